"""The OCPI tariff test vectors in ../shared/data: every cdr*.json reproduces its totals at its stated precision."""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from pricing.cdr_document import price_cdr_document
from pricing.tariff import decode_tariff, encode_tariff

VECTORS = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "ocpi-tariffs-vectors"
EXPECTED_CDR_VECTORS = 8

pytestmark = pytest.mark.shared


def _vectors_folder() -> Path:
    if VECTORS.is_dir():
        return VECTORS
    reason = f"OCPI tariff vectors not found at {VECTORS.resolve()} (the sibling 'shared' folder of the repository)"
    if os.environ.get("VOLTWAY_REQUIRE_SHARED") == "1":
        pytest.fail(f"VOLTWAY_REQUIRE_SHARED=1 but {reason}")
    pytest.skip(reason)


def _cdr_files() -> list[Path]:
    return sorted(VECTORS.glob("*/cdr*.json")) if VECTORS.is_dir() else []


def _tolerance(expected: Decimal) -> Decimal:
    """Half a unit of the last decimal the vector states (at least cents)."""
    exponent = expected.as_tuple().exponent
    assert isinstance(exponent, int)
    return Decimal(1).scaleb(min(exponent, -2)) / 2


def test_vector_count() -> None:
    _vectors_folder()
    assert len(_cdr_files()) == EXPECTED_CDR_VECTORS


@pytest.mark.parametrize("cdr_path", _cdr_files() or [None], ids=lambda p: p.parent.name if p else "absent")
def test_vector_totals(cdr_path: Path | None) -> None:
    _vectors_folder()
    assert cdr_path is not None
    expected: dict[str, Any] = json.loads(cdr_path.read_bytes(), parse_float=Decimal, parse_int=Decimal)
    result: dict[str, Any] = json.loads(
        price_cdr_document((cdr_path.parent / "tariff.json").read_bytes(), cdr_path.read_bytes())
    )
    compared = 0
    for key, value in expected.items():
        if not key.startswith("total_"):
            continue
        if isinstance(value, dict):
            for part in ("excl_vat", "incl_vat"):
                got = Decimal(result[key][part])
                assert abs(got - value[part]) <= _tolerance(value[part]), (key, part, got, value[part])
                compared += 1
        else:
            got = Decimal(result[key])
            assert abs(got - value) <= _tolerance(value), (key, got, value)
            compared += 1
    assert compared >= 4


@pytest.mark.parametrize(
    "tariff_path", sorted(VECTORS.glob("*/tariff.json")) or [None], ids=lambda p: p.parent.name if p else "absent"
)
def test_every_vector_tariff_round_trips(tariff_path: Path | None) -> None:
    _vectors_folder()
    assert tariff_path is not None
    tariff = decode_tariff(tariff_path.read_bytes())
    assert decode_tariff(encode_tariff(tariff)) == tariff
