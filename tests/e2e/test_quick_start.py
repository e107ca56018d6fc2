"""The product as a new user meets it: the `voltway` command and a real server on a real port."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.__main__ import build_parser
from tests.support import cli_environment, free_port, wait_until_ready

VOLTWAY = [sys.executable, "-m", "api"]


def command_paths() -> list[list[str]]:
    """Every command and sub-command of the CLI, found from the parser itself."""
    paths: list[list[str]] = [[]]

    def walk(parser: object, prefix: list[str]) -> None:
        for action in getattr(parser, "_actions", []):
            choices = getattr(action, "choices", None)
            if isinstance(choices, dict):
                for name, sub in choices.items():
                    paths.append([*prefix, name])
                    walk(sub, [*prefix, name])

    walk(build_parser(), [])
    return paths


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*VOLTWAY, *args], env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def environment(tmp_path: Path) -> dict[str, str]:
    env = cli_environment(tmp_path)
    del env["VOLTWAY_SECRET_KEY"]  # as on a fresh machine: a development key gets generated
    return env


@pytest.mark.parametrize("path", command_paths(), ids=lambda p: " ".join(p) or "voltway")
def test_every_command_has_help(path: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args([*path, "--help"])
    assert exit_info.value.code == 0


def test_help_runs_as_a_program(environment: dict[str, str]) -> None:
    result = run_cli(environment, "--help")
    assert result.returncode == 0
    for command in ("serve", "db", "seed", "users", "mail", "openapi"):
        assert command in result.stdout


def test_readable_error_for_bad_configuration(environment: dict[str, str]) -> None:
    result = run_cli({**environment, "VOLTWAY_PORT": "eighty"}, "db", "current")
    assert result.returncode == 2
    assert result.stderr.strip() == "voltway: VOLTWAY_PORT must be a whole number, got 'eighty'"


@pytest.fixture
def server(environment: dict[str, str]) -> Iterator[tuple[str, dict[str, str]]]:
    """`voltway seed demo` then `voltway serve` on a free port, as `make run` does."""
    seeded = run_cli(environment, "seed", "demo", "--if-empty")
    assert seeded.returncode == 0, seeded.stderr
    assert "driver@example.com" in seeded.stdout
    port = free_port()
    process = subprocess.Popen(
        [*VOLTWAY, "serve", "--port", str(port)], env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base, "/health")
        yield base, environment
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_served_quick_start_journey(server: tuple[str, dict[str, str]]) -> None:
    base, environment = server
    with httpx.Client(base_url=base, timeout=10) as http:
        assert http.get("/health").status_code == 200
        assert http.get("/ready").json() == {"status": "ok", "database": "ok"}

        registered = http.post(
            "/v1/auth/register", json={"email": "new@example.com", "password": "my long password", "name": "New"}
        )
        assert registered.status_code == 201
        tokens = http.post("/v1/auth/login", json={"email": "new@example.com", "password": "my long password"}).json()
        me = http.get("/v1/me", headers={"Authorization": f"Bearer {tokens['accessToken']}"})
        assert me.json()["email"] == "new@example.com"
        pair = http.post("/v1/auth/refresh", json={"refreshToken": tokens["refreshToken"]})
        assert pair.status_code == 200
        assert http.post("/v1/auth/logout", json={"refreshToken": pair.json()["refreshToken"]}).status_code == 204

        wrong = http.post("/v1/auth/login", json={"email": "new@example.com", "password": "not my password"})
        assert wrong.status_code == 401
        assert wrong.headers["content-type"] == "application/problem+json"
        malformed = http.post("/v1/auth/login", json={"email": "new@example.com"})
        assert malformed.status_code == 422
        assert malformed.json()["errors"][0]["field"] == "password"

        demo = http.post("/v1/auth/login", json={"email": "admin@example.com", "password": "voltway-demo"})
        assert demo.status_code == 200

        statuses = [
            http.post("/v1/auth/login", json={"email": "driver@example.com", "password": "wrong!"}).status_code
            for _ in range(20)
        ]
        assert 429 in statuses

        # The developer reads the verification mail from the outbox and opens the link.
        outbox = run_cli(environment, "mail", "list", "--to", "new@example.com")
        assert outbox.returncode == 0
        link = re.search(r"(http://\S+/v1/auth/verify-email\?token=\S+)", outbox.stdout)
        assert link is not None
        verified = httpx.get(link.group(1)).json()
        assert (verified["emailVerified"], verified["alreadyVerified"]) == (True, False)


def test_serve_refuses_an_unmigrated_postgresql(environment: dict[str, str]) -> None:
    env = {**environment, "VOLTWAY_DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1:1/none"}
    result = run_cli(env, "serve", "--port", str(free_port()))
    assert result.returncode == 2
    assert "voltway: cannot reach the database:" in result.stderr
    assert "Traceback" not in result.stderr
