"""Roaming drivers at our chargers, on SQLite and PostgreSQL: the app served by uvicorn with its OCPP bridge, simulated
chargers over real websockets, and a fake eMSP (a real HTTP server in the test) that registers with us, pushes its
drivers' tokens and sends commands, and receives our CommandResults (and session and CDR pushes)."""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from ocpi_types import v2_2_1
from sqlalchemy import select, update

from api.db.engine import create_engine, create_session_factory
from api.db.models import ChargingSession, Evse, Location, OcpiToken, Reservation
from api.domain.chargers.reservations import expire_reservations
from tests.integration.test_sessions import Network, serve
from tests.support import wait_for

OCPI = "/ocpi/cpo/2.2.1"
ROAMING_UID = "04A1B2C3D4E5F6"


def token_object(uid: str, *, whitelist: str = "ALWAYS", country: str = "DE", party: str = "FAK", **extra: Any) -> dict:
    return {
        "country_code": country,
        "party_id": party,
        "uid": uid,
        "type": "RFID",
        "contract_id": f"{country}-{party}-C{uid[-6:]}",
        "issuer": "Fake Mobility",
        "valid": True,
        "whitelist": whitelist,
        "last_updated": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        **extra,
    }


class Partner:
    """The fake eMSP as a registered partner of ours: calls our OCPI API with its token C."""

    def __init__(self, base: str, token_c: str, partner_id: uuid.UUID, country: str, party: str, emsp: Any) -> None:
        self.base = base
        self.headers = {"Authorization": "Token " + base64.b64encode(token_c.encode()).decode()}
        self.partner_id = partner_id
        self.country = country
        self.party = party
        self.emsp = emsp

    async def call(self, client: httpx.AsyncClient, method: str, path: str, body: Any = None) -> httpx.Response:
        return await client.request(method, f"{self.base}{OCPI}{path}", json=body, headers=self.headers)

    async def command(self, client: httpx.AsyncClient, command: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = await self.call(client, "POST", f"/commands/{command}", body)
        assert answer.status_code == 200, answer.text
        envelope = answer.json()
        assert envelope["status_code"] == 1000, envelope
        v2_2_1.CommandResponse.from_dict(envelope["data"])  # the spec's shape
        data: dict[str, Any] = envelope["data"]
        return data

    def response_url(self, name: str) -> str:
        return f"{self.emsp.url}/ocpi/emsp/2.2.1/commands/{name}/{uuid.uuid4()}"

    async def result_at(self, url: str) -> dict[str, Any]:
        """The CommandResult POSTed to `url`, once it arrives (validated against the spec's shape)."""
        path = httpx.URL(url).path
        found = await self.emsp.wait_for(lambda r: r.method == "POST" and r.path == path, timeout=30)
        v2_2_1.CommandResult.from_dict(found.body)
        result: dict[str, Any] = found.body
        return result


async def rows(database_url: str, query: Any) -> list[Any]:
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            return list((await session.execute(query)).all())
    finally:
        await engine.dispose()


async def execute(database_url: str, statement: Any) -> None:
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            await session.execute(statement)
    finally:
        await engine.dispose()


async def location_of(net: Network, evse_uid: str) -> str:
    found = await rows(
        net.database_url, select(Location.ocpi_id).join(Evse, Evse.location_id == Location.id).where(Evse.uid == evse_uid)
    )
    return str(found[0][0])
