"""`voltway import`, `voltway tariffs` and `voltway price` as an operator runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from tests.support import cli_environment

VOLTWAY = [sys.executable, "-m", "api"]


@pytest.fixture
def environment(tmp_path: Path) -> dict[str, str]:
    return cli_environment(tmp_path)


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*VOLTWAY, *args], env=env, capture_output=True, text=True, timeout=300, check=False)


def test_import_reports_per_feed_and_is_idempotent(environment: dict[str, str], shared_dir: Path) -> None:
    feed = shared_dir / "data" / "ocpi-locations" / "ocpi_2_2_locations_powergo.json"
    first = run(environment, "import", "ocpi", str(feed))
    assert first.returncode == 0, first.stderr
    assert "ocpi_2_2_locations_powergo.json: 489 locations (489 new, 0 updated, 0 unchanged)" in first.stdout
    assert "status 'CHARGING ' -> 'CHARGING'" in first.stdout
    assert "rejected" in first.stdout
    second = run(environment, "import", "ocpi", str(feed))
    assert "489 locations (0 new, 0 updated, 489 unchanged)" in second.stdout


def test_import_of_an_unreadable_file_says_why(environment: dict[str, str], tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    result = run(environment, "import", "ocpi", str(broken))
    assert result.returncode == 1
    assert "broken.json: not imported:" in result.stderr
    assert "Traceback" not in result.stderr
    missing = run(environment, "import", "afdc", str(tmp_path / "nope.csv"))
    assert missing.returncode == 2
    assert "does not exist" in missing.stderr


def test_tariffs_import_assign_and_list(environment: dict[str, str], tmp_path: Path) -> None:
    tariff = {
        "id": "AC-1",
        "currency": "EUR",
        "elements": [{"price_components": [{"type": "ENERGY", "price": 0.39, "vat": 21, "step_size": 1}]}],
    }
    (tmp_path / "tariffs.json").write_text(json.dumps({"data": [tariff, {"id": "BAD", "currency": "EUR"}]}))
    imported = run(environment, "tariffs", "import", str(tmp_path / "tariffs.json"))
    assert imported.returncode == 0, imported.stderr
    assert "1 new, 0 updated, 0 unchanged, 1 rejected" in imported.stdout
    assert "elements" in imported.stdout  # the rejection names the missing field
    listed = run(environment, "tariffs", "list")
    assert "NL/VWY  AC-1" in listed.stdout
    unknown = run(environment, "tariffs", "assign", "AC-1", "--location", "not-a-uuid")
    assert unknown.returncode == 2
    assert "--location must be a station id" in unknown.stderr


def test_price_reproduces_a_shared_vector(environment: dict[str, str], shared_dir: Path) -> None:
    vector = shared_dir / "data" / "ocpi-tariffs-vectors" / "simple_025kwh"
    result = run(environment, "price", str(vector / "tariff.json"), str(vector / "cdr1.json"))
    assert result.returncode == 0, result.stderr
    priced = json.loads(result.stdout)
    expected = json.loads((vector / "cdr1.json").read_text())
    assert Decimal(priced["total_cost"]["incl_vat"]).quantize(Decimal("0.01")) == Decimal(
        str(expected["total_cost"]["incl_vat"])
    ).quantize(Decimal("0.01"))
    assert priced["currency"] == expected["currency"]


def test_price_names_the_bad_field(environment: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "t.json").write_text(json.dumps({"id": "T", "currency": "EUR", "elements": []}))
    (tmp_path / "s.json").write_text(json.dumps({"start_date_time": "2026-01-01T00:00:00Z"}))
    result = run(environment, "price", str(tmp_path / "t.json"), str(tmp_path / "s.json"))
    assert result.returncode == 2
    assert result.stderr.startswith("voltway: tariff.elements")
    missing = run(environment, "price", str(tmp_path / "none.json"), str(tmp_path / "s.json"))
    assert missing.returncode == 2
    assert "cannot read" in missing.stderr
