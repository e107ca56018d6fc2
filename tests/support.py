"""Helpers shared by test modules (plain functions; fixtures live in conftest.py)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.engine import create_engine, create_session_factory
from api.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"
TEST_SECRET_KEY = "test-secret-key-that-is-long-enough-for-hs256"


def required(flag: str) -> bool:
    """CI sets VOLTWAY_REQUIRE_POSTGRES / VOLTWAY_REQUIRE_SHARED so a missing dependency fails instead of skipping."""
    return os.environ.get(flag) == "1"


def skip_or_fail(flag: str, reason: str) -> None:
    if required(flag):
        pytest.fail(f"{reason} ({flag}=1 makes this a failure)")
    pytest.skip(reason)


def make_settings(**overrides: Any) -> Settings:
    """Settings for tests: cheap password hashing and a fixed key; everything else as in production."""
    values: dict[str, Any] = {
        "env": "test",
        "secret_key": TEST_SECRET_KEY,
        "password_hash_time_cost": 1,
        "password_hash_memory_kib": 64,
    }
    values.update(overrides)
    return Settings(**values)


def free_port() -> int:
    """A TCP port nothing listens on right now (for servers the tests start)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def cli_environment(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a `voltway` process under test: the caller's, without VOLTWAY_* leaking in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOLTWAY_")}
    env.update(
        {
            "VOLTWAY_DATABASE_URL": f"sqlite+aiosqlite:///{data_dir}/voltway.db",
            "VOLTWAY_DATA_DIR": str(data_dir / "data"),
            "VOLTWAY_SECRET_KEY": TEST_SECRET_KEY,
            "VOLTWAY_PASSWORD_HASH_TIME_COST": "1",
            "VOLTWAY_PASSWORD_HASH_MEMORY_KIB": "64",
            "VOLTWAY_OCPP_PORT": str(free_port()),
        }
    )
    env.update(extra)
    return env


def wait_until_ready(base: str, path: str = "/ready", seconds: float = 60.0) -> None:
    """Poll a served process until it answers 200, or fail the test."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}{path}", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"{base}{path} did not answer within {seconds:.0f} s")


async def wait_for(check: Callable[[], Awaitable[Any]], what: str, seconds: float = 20.0) -> Any:
    """Poll `check` until it returns something true, and return that; fail the test after `seconds`."""
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        result = await check()
        if result:
            return result
        await asyncio.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


@contextlib.asynccontextmanager
async def database_session(database_url: str) -> AsyncIterator[AsyncSession]:
    """A session on the database under test from an engine of its own, disposed of afterwards (for tests whose app
    runs in another process or on another event loop)."""
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            yield session
    finally:
        await engine.dispose()


GRAFANA_DASHBOARD = REPO_ROOT / "api" / "metrics" / "grafana-dashboard.json"
_METRIC_NAME = re.compile(r"\b((?:voltway|process)_[a-z0-9_]+)\b")


def dashboard_queries() -> list[str]:
    """Every PromQL expression of the ready-made Grafana dashboard."""
    dashboard = json.loads(GRAFANA_DASHBOARD.read_text(encoding="utf-8"))
    return [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]


def dashboard_metric_names() -> set[str]:
    """The metric (sample) names the dashboard queries, e.g. `voltway_ocpp_handler_seconds_bucket`."""
    return {name for expr in dashboard_queries() for name in _METRIC_NAME.findall(expr)}


def stop_process(process: subprocess.Popen[Any], seconds: float = 30.0) -> None:
    """Stop a served process as Ctrl-C would; kill it if it has not ended within `seconds`."""
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
