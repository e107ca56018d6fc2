"""`voltway chargers` and `voltway tokens` as an operator uses them."""

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


def test_chargers_are_provisioned_and_listed(environment: dict[str, str]) -> None:
    added = run(
        environment,
        "chargers", "add", "CP-1", "--password", "a-long-charger-secret", "--evses", "2",
        "--connector", "IEC_62196_T2_COMBO", "--max-power-kw", "150", "--lat", "52.1", "--lon", "5.1",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "provisioned charger CP-1 with 2 EVSE(s)" in added.stdout
    again = run(environment, "chargers", "add", "CP-1", "--password", "another-long-secret")
    assert "its password was changed" in again.stdout
    listed = run(environment, "chargers", "list")
    assert "CP-1" in listed.stdout
    assert " no " in listed.stdout  # not connected yet

    weak = run(environment, "chargers", "add", "CP-2", "--password", "short")
    assert weak.returncode == 2
    assert "at least 16 characters" in weak.stderr
    odd = run(environment, "chargers", "add", "CP-3", "--password", "a-long-charger-secret", "--connector", "PLUG")
    assert odd.returncode == 2
    assert "unknown connector standard" in odd.stderr


def test_tokens_are_added_blocked_and_listed(environment: dict[str, str]) -> None:
    assert run(environment, "users", "add", "dana@example.com", "--password", "dana's password").returncode == 0
    assert "added" in run(environment, "tokens", "add", "04A1B2C3", "--driver", "dana@example.com").stdout
    nobody = run(environment, "tokens", "add", "04FFFF", "--driver", "nobody@example.com")
    assert nobody.returncode == 2
    assert "no account" in nobody.stderr
    assert run(environment, "tokens", "block", "04A1B2C3").returncode == 0
    listed = run(environment, "tokens", "list").stdout
    assert "04A1B2C3" in listed
    assert "Blocked" in listed
    assert "dana@example.com" in listed
    missing = run(environment, "tokens", "block", "NOPE")
    assert missing.returncode == 2


def test_registration_from_the_command_line_on_sqlite(environment: dict[str, str]) -> None:
    assert run(environment, "chargers", "add", "CP-9", "--password", "a-long-charger-secret").returncode == 0
    blocked = run(environment, "chargers", "block", "CP-9")
    assert blocked.returncode == 0, blocked.stderr
    assert "registration blocked" in blocked.stdout
    assert run(environment, "chargers", "unblock", "CP-9").returncode == 0
    trail = run(environment, "chargers", "audit", "CP-9").stdout
    assert trail.index("unblock") < trail.index("block ")  # newest first
    # a second process cannot reach a charger that the server holds on SQLite: said plainly
    rotated = run(environment, "chargers", "rotate-password", "CP-9")
    assert rotated.returncode == 2
    assert "cannot be reached from the command line on SQLite" in rotated.stderr
    assert "voltway serve" in rotated.stderr
    missing = run(environment, "chargers", "block", "CP-404")
    assert missing.returncode == 2
    assert "No charger 'CP-404'" in missing.stderr
