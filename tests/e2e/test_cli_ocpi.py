"""`voltway ocpi partners` as an operator uses it: a partner added, its token A working against the served app,
listed without tokens, revoked; and us registering with a (fake) eMSP from the command line."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from tests.ocpi_fake_emsp import FakeEmsp, ocpi_headers, serve_in_thread
from tests.support import TEST_SECRET_KEY, cli_environment, make_settings

VOLTWAY = [sys.executable, "-m", "api"]


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*VOLTWAY, *args], env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """The app served on the command line's database, and the command line's environment naming its URL."""
    environment = cli_environment(tmp_path)
    assert run(environment, "db", "upgrade").returncode == 0
    settings = make_settings(database_url=environment["VOLTWAY_DATABASE_URL"], secret_key=TEST_SECRET_KEY)
    base_url, stop = serve_in_thread(create_app(settings), "voltway-cli-ocpi")
    try:
        yield base_url, {**environment, "VOLTWAY_OCPI_BASE_URL": base_url}
    finally:
        stop()


def test_add_list_and_revoke_a_partner(served: tuple[str, dict[str, str]]) -> None:
    base_url, environment = served
    added = run(environment, "ocpi", "partners", "add", "--country-code", "de", "--party-id", "abc", "--name", "ABC")
    assert added.returncode == 0, added.stderr
    assert "created partner DE/ABC/EMSP 'ABC'" in added.stdout
    assert f"{base_url}/ocpi/versions" in added.stdout
    match = re.search(r"token A \(shown once; only its hash is kept\): (\S+)", added.stdout)
    assert match is not None
    token_a = match[1]
    assert httpx.get(f"{base_url}/ocpi/versions", headers=ocpi_headers(token_a)).status_code == 200

    listed = run(environment, "ocpi", "partners", "list")
    assert "DE/ABC/EMSP" in listed.stdout
    assert "pending" in listed.stdout
    assert token_a not in listed.stdout

    again = run(environment, "ocpi", "partners", "add", "--country-code", "DE", "--party-id", "ABC", "--name", "ABC")
    assert again.returncode == 2
    assert "already exists" in again.stderr

    revoked = run(environment, "ocpi", "partners", "revoke", "DE/ABC")
    assert revoked.returncode == 0, revoked.stderr
    assert httpx.get(f"{base_url}/ocpi/versions", headers=ocpi_headers(token_a)).status_code == 401
    assert "revoked" in run(environment, "ocpi", "partners", "list").stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["add", "--country-code", "NLD", "--party-id", "ABC", "--name", "x"], "country code must be two letters"),
        (["add", "--country-code", "NL", "--party-id", "AB!", "--name", "x"], "party id must be three"),
        (["add", "--country-code", "NL", "--party-id", "ABC", "--role", "driver", "--name", "x"], "role must be one"),
        (["revoke", "NL/ZZZ"], "no partner 'NL/ZZZ'"),
        (["update", "NL/ZZZ"], "no partner 'NL/ZZZ'"),
    ],
)
def test_bad_input_gets_one_readable_line(tmp_path: Path, args: list[str], words: str) -> None:
    answer = run(cli_environment(tmp_path), "ocpi", "partners", *args)
    assert answer.returncode == 2
    assert words in answer.stderr
    assert "Traceback" not in answer.stderr


def test_we_register_with_an_emsp_from_the_command_line(
    served: tuple[str, dict[str, str]], fake_emsp: FakeEmsp
) -> None:
    base_url, environment = served
    joined = run(
        environment,
        "ocpi",
        "partners",
        "register",
        fake_emsp.versions_url,
        fake_emsp.token_a,
        "--country-code",
        "DE",
        "--party-id",
        "FKE",
        "--name",
        "Fake eMSP",
    )
    assert joined.returncode == 0, joined.stderr
    assert "registered with DE/FKE/EMSP 'Fake eMSP'" in joined.stdout
    assert fake_emsp.peer_versions_url == f"{base_url}/ocpi/versions"
    our_token = fake_emsp.peer_token
    assert our_token is not None
    assert httpx.get(f"{base_url}/ocpi/2.2.1", headers=ocpi_headers(our_token)).status_code == 200
    assert "registered" in run(environment, "ocpi", "partners", "list").stdout

    wrong = run(
        environment,
        "ocpi",
        "partners",
        "register",
        fake_emsp.versions_url,
        "stale",
        "--country-code",
        "DE",
        "--party-id",
        "FKE",
    )
    assert wrong.returncode == 2
    assert "already registered" in wrong.stderr

    left = run(environment, "ocpi", "partners", "unregister", "DE/FKE")
    assert left.returncode == 0, left.stderr
    assert fake_emsp.issued_token is None
    assert httpx.get(f"{base_url}/ocpi/2.2.1", headers=ocpi_headers(our_token)).status_code == 401
