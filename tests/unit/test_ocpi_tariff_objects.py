"""Stored tariffs as OCPI Tariff objects: every example tariff of the spec, stored and sent back, validates and keeps
its prices; alternative texts come in every language we write price text in when the tariff has none."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import pytest
from ocpi_types import v2_2_1 as ocpi

from api.domain.ocpi.tariff_objects import StoredTariff, tariff_json
from pricing.price_text import SUPPORTED_LANGUAGES
from pricing.tariff import decode_tariff, encode_tariff
from tests.ocpi_spec import problems
from tests.support import SHARED_DIR

EXAMPLES = SHARED_DIR / "specs" / "ocpi-2.2.1" / "examples"
STORED_AT = datetime(2026, 12, 1, 8, 30, 15, 123456, tzinfo=UTC)


def stored(document: dict[str, Any]) -> StoredTariff:
    """As the tariff store keeps it: re-encoded by the pricing engine's model."""
    return StoredTariff(
        country_code="NL",
        party_id="VWY",
        tariff_id=str(document["id"]),
        document=encode_tariff(decode_tariff(json.dumps(document))).decode(),
        last_updated=STORED_AT,
    )


def example_tariffs() -> list[Path]:
    return sorted(p for p in EXAMPLES.glob("tariff_*.json") if "elements" in json.loads(p.read_text()))


@pytest.mark.parametrize("path", example_tariffs(), ids=lambda p: p.stem)
def test_each_spec_example_is_sent_valid_with_its_prices(path: Path, shared_dir: Path) -> None:
    original = json.loads(path.read_text())
    sent = json.loads(bytes(tariff_json(stored(original))))
    assert problems(sent, "Tariff") == []
    ocpi.Tariff.from_dict(sent)
    assert sent["elements"] == original["elements"]
    assert (sent["country_code"], sent["party_id"], sent["last_updated"]) == ("NL", "VWY", "2026-12-01T08:30:15Z")
    for field in ("currency", "type", "min_price", "max_price", "tariff_alt_url", "energy_mix"):
        assert sent.get(field) == original.get(field)


def test_a_tariff_without_alt_text_gets_one_per_supported_language(shared_dir: Path) -> None:
    original = json.loads((EXAMPLES / "tariff_8_simple_025kwh.json").read_text())
    assert "tariff_alt_text" not in original
    sent = msgspec.json.decode(bytes(tariff_json(stored(original))))
    texts = {item["language"]: item["text"] for item in sent["tariff_alt_text"]}
    assert set(texts) == set(SUPPORTED_LANGUAGES)
    assert texts["en"] == "€0.275/kWh"  # 0.25 excl. VAT + 10 % VAT, as drivers see it in the app
    assert texts["de"].startswith("0,275")


def test_a_tariff_with_its_own_alt_text_keeps_it(shared_dir: Path) -> None:
    original = json.loads((EXAMPLES / "tariff_2_alt_text.json").read_text())
    sent = msgspec.json.decode(bytes(tariff_json(stored(original))))
    assert sent["tariff_alt_text"] == original["tariff_alt_text"]
