"""A served app on a real database (SQLite and PostgreSQL), with one signed-in caller of every role and one
registered OCPI partner.

The fuzzing and the authorisation matrix call it over real HTTP, as an app or an attacker would.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn
from litestar import Litestar

from api.app import create_app
from api.db.engine import create_engine, create_session_factory
from api.domain.drivers.commands import add_user
from api.domain.stations.importing import store_feed
from api.security.tokens import Role
from api.settings import Settings
from tests.integration.conftest import database_url, empty_all_tables
from tests.integration.stations_data import feed, location
from tests.ocpi_fake_emsp import ocpi_headers, register_fake_emsp, start_fake_emsp
from tests.support import make_settings

__all__ = ["database_url"]

PASSWORD = "correct horse battery"
METRICS_TOKEN = "contract-test-scrape-token"
ROLE_ACCOUNTS: dict[str, tuple[Role, str]] = {
    "driver_a": ("driver", "driver-a@example.com"),
    "driver_b": ("driver", "driver-b@example.com"),
    "erased_driver": ("driver", "erased@example.com"),
    "agent": ("agent", "agent@example.com"),
    "operator": ("operator", "operator@example.com"),
    "admin": ("admin", "admin@example.com"),
}


@dataclass
class ServedApi:
    """The base URL of a served app, its Litestar object and an Authorization header per caller."""

    base_url: str
    app: Litestar
    settings: Settings
    auth: dict[str, dict[str, str]] = field(default_factory=dict)
    location_id: str = ""

    def headers(self, caller: str) -> dict[str, str]:
        return dict(self.auth.get(caller, {}))


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the test process keeps its own Ctrl-C
        return


def serve(app: Litestar) -> tuple[_Server, threading.Thread, str]:
    """Serve `app` with uvicorn on a free port in a thread of its own; returns once it listens."""
    server = _Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, access_log=False))
    thread = threading.Thread(target=server.run, name="contract-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the app did not start serving within 30 s")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, thread, f"http://127.0.0.1:{port}"


def contract_settings(database_url: str, **overrides: Any) -> Settings:
    """Test settings without the per-address limits, since every call comes from one address; the OCPP bridge
    runs (on a free port) so that charging calls meet a real bridge."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "ocpp_enabled": True,
        "ocpp_port": 0,
        "metrics_token": METRICS_TOKEN,
        "rate_limit_per_minute": 0,
        "login_attempts_per_ip_per_minute": 0,
        "login_failures_per_account": 0,
    }
    values.update(overrides)
    return make_settings(**values)


async def _seed_station(database_url: str, location_id: str) -> None:
    engine = create_engine(database_url)
    try:
        await store_feed(create_session_factory(engine), feed([location(location_id, 52.37, 4.89)]))
    finally:
        await engine.dispose()


async def _register_ocpi_partner(base_url: str, database_url: str, fake: Any) -> str:
    """An OCPI partner (the fake eMSP) registered through the credentials handshake: the token it calls us with."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        return (await register_fake_emsp(client, fake, database_url)).token


def _sign_in(client: httpx.Client, email: str) -> dict[str, str]:
    answer = client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['accessToken']}"}


@pytest.fixture
def served_api(database_url: str) -> Iterator[ServedApi]:
    """The app served on a real socket, one account per role signed in, and one station on the map.

    The erased driver signs in, then erases the account: the token it holds must stop working."""
    settings = contract_settings(database_url)
    asyncio.run(_seed_station(database_url, "CONTRACT-1"))
    for role, email in ROLE_ACCOUNTS.values():
        asyncio.run(add_user(settings, email=email, password=PASSWORD, role=role, name=email.split("@")[0]))
    app = create_app(settings)
    server, thread, base_url = serve(app)
    fake_emsp, stop_fake_emsp = start_fake_emsp()
    try:
        api = ServedApi(base_url=base_url, app=app, settings=settings)
        api.auth["ocpi_partner"] = ocpi_headers(asyncio.run(_register_ocpi_partner(base_url, database_url, fake_emsp)))
        with httpx.Client(base_url=base_url, timeout=30) as client:
            for caller, (_, email) in ROLE_ACCOUNTS.items():
                api.auth[caller] = _sign_in(client, email)
            erased = client.delete("/v1/me", headers=api.auth["erased_driver"])
            assert erased.status_code == 204, erased.text
            stations = client.get("/v1/stations", params={"lat": 52.37, "lon": 4.89}).json()["items"]
            api.location_id = stations[0]["id"] if stations else str(uuid.uuid4())
        yield api
    finally:
        stop_fake_emsp()
        server.should_exit = True
        thread.join(timeout=30)
        asyncio.run(empty_all_tables(database_url))
