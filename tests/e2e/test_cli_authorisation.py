"""`voltway tokens set` and `voltway chargers local-list` as an operator uses them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import cli_environment

VOLTWAY = [sys.executable, "-m", "api"]


@pytest.fixture
def environment(tmp_path: Path) -> dict[str, str]:
    return cli_environment(tmp_path)


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*VOLTWAY, *args], env=env, capture_output=True, text=True, timeout=120, check=False)


def test_a_card_gets_an_expiry_and_a_group(environment: dict[str, str]) -> None:
    assert run(environment, "tokens", "add", "04A1B2C3").returncode == 0
    changed = run(environment, "tokens", "set", "04A1B2C3", "--expires", "2031-01-31T23:59:59Z", "--group", "FLEET-1")
    assert changed.returncode == 0, changed.stderr
    assert "expires 2031-01-31T23:59:59+00:00, group FLEET-1" in changed.stdout
    cleared = run(environment, "tokens", "set", "04A1B2C3", "--expires", "never", "--group", "none")
    assert "expires never, group none" in cleared.stdout
    bad = run(environment, "tokens", "set", "04A1B2C3", "--expires", "next week")
    assert bad.returncode == 2
    assert "ISO 8601" in bad.stderr
    assert run(environment, "tokens", "set", "NOPE", "--group", "G").returncode == 2


def test_a_full_local_list_is_requested_for_a_charger(environment: dict[str, str]) -> None:
    assert run(environment, "chargers", "add", "CP-1", "--password", "a-long-charger-secret").returncode == 0
    requested = run(environment, "chargers", "local-list", "sync", "CP-1")
    assert requested.returncode == 0, requested.stderr
    assert "full local list for CP-1 requested" in requested.stdout
    shown = run(environment, "chargers", "local-list", "show", "CP-1")
    assert "version 0, 0 entries, synced never" in shown.stdout
    unknown = run(environment, "chargers", "local-list", "sync", "CP-404")
    assert unknown.returncode == 2
    assert "No charger" in unknown.stderr
