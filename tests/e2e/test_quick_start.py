"""The product as a new user meets it: the `voltway` command and a real server on a real port."""

from __future__ import annotations

import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import httpx
import pytest

from api.cli import build_parser
from tests.support import TEST_SECRET_KEY, cli_environment, free_port, stop_process, wait_until_ready

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
    assert "voltway simulate" not in seeded.stdout  # `make run` (`voltway serve --simulate`) starts them itself
    port = free_port()
    process = subprocess.Popen(
        [*VOLTWAY, "serve", "--port", str(port)], env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base, "/health")
        yield base, environment
    finally:
        stop_process(process, 20)


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
        admin = {"Authorization": f"Bearer {demo.json()['accessToken']}"}
        # the demo operator looks after one region: some of the network's chargers, not all of them
        operator_login = http.post("/v1/auth/login", json={"email": "operator@example.com", "password": "voltway-demo"})
        operator = {"Authorization": f"Bearer {operator_login.json()['accessToken']}"}
        theirs = {c["ocppId"] for c in http.get("/v1/admin/chargers", headers=operator).json()}
        everything = {c["ocppId"] for c in http.get("/v1/admin/chargers", headers=admin).json()}
        assert "SIM-00001" in theirs
        assert theirs < everything

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


def _read_until(stream: IO[str], marker: str, seconds: float) -> list[str]:
    """Lines of a child's output up to and including the first one holding `marker` (fails after `seconds`)."""
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + seconds
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=remaining)
        except queue.Empty:
            break
        if line is None:
            break
        seen.append(line)
        if marker in line:
            return seen
    pytest.fail(f"no line with {marker!r} within {seconds:.0f} s; got {seen!r}")


def test_serve_with_simulated_chargers_ends_start_up_with_one_summary_line(environment: dict[str, str]) -> None:
    for charger in ("SIM-00001", "SIM-00002"):
        added = run_cli(environment, "chargers", "add", charger, "--password", "voltway-demo-charger", "--evses", "2")
        assert added.returncode == 0, added.stderr
    user = run_cli(environment, "users", "add", "driver@example.com", "--password", "voltway-demo")
    assert user.returncode == 0, user.stderr
    port, ocpp_port = free_port(), free_port()
    process = subprocess.Popen(
        [*VOLTWAY, "serve", "--simulate", "--port", str(port), "--ocpp-port", str(ocpp_port)],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        stdout = _read_until(process.stdout, "Voltway is ready", 90)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            _, stderr = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            _, stderr = process.communicate()
    assert process.returncode in {0, 130}, stderr  # 130: stopped by Ctrl-C (SIGINT)
    summary = stdout[-1].strip()
    assert summary == (
        f"Voltway is ready: API http://127.0.0.1:{port}; docs http://127.0.0.1:{port}/schema; "
        f"OCPP ws://127.0.0.1:{ocpp_port}/ocpp/{{id}}; 2 of 2 simulated chargers connected; "
        "demo logins driver@example.com (password voltway-demo). Ctrl-C stops."
    )
    # Start-up and shutdown stay short: no line per charger connecting or leaving, no object reprs.
    log = stderr.splitlines()
    assert len(log) < 20, stderr
    assert not [line for line in log if "SIM-0000" in line or "object at 0x" in line]


def test_serve_prints_the_summary_without_simulated_chargers(environment: dict[str, str]) -> None:
    port = free_port()
    process = subprocess.Popen(
        [*VOLTWAY, "serve", "--port", str(port), "--no-ocpp"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        summary = _read_until(process.stdout, "Voltway is ready", 60)[-1].strip()
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    assert (
        summary == f"Voltway is ready: API http://127.0.0.1:{port}; docs http://127.0.0.1:{port}/schema. Ctrl-C stops."
    )


@pytest.mark.parametrize(
    ("args", "what", "how"),
    [
        (["serve", "--port", "{busy}"], "(the API)", "--port or VOLTWAY_PORT"),
        (
            ["serve", "--port", "{free}", "--ocpp-port", "{busy}"],
            "(the OCPP bridge)",
            "--ocpp-port or VOLTWAY_OCPP_PORT",
        ),
        (["ocpp", "serve", "--port", "{busy}"], "(the OCPP bridge)", "--port or VOLTWAY_OCPP_PORT"),
    ],
    ids=["api", "ocpp-in-serve", "ocpp-alone"],
)
def test_a_busy_port_ends_in_one_line_and_exit_code_2(
    environment: dict[str, str], args: list[str], what: str, how: str
) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy = holder.getsockname()[1]
        command = [arg.format(busy=busy, free=free_port()) for arg in args]
        result = run_cli({**environment, "VOLTWAY_SECRET_KEY": TEST_SECRET_KEY}, *command)
    assert result.returncode == 2
    assert result.stderr == (
        f"voltway: port {busy} on 127.0.0.1 {what} is already in use: stop what listens there or choose another "
        f"port with {how}\n"
    )
