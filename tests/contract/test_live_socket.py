"""The live session WebSocket tells a refused client why, with a close code after the upgrade.

A refused handshake is an HTTP 403 to every client, the same for a bad token as for someone else's session; so the
server accepts the upgrade and closes with 4401 (sign in again) or 4404 (no such session for this caller).
"""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
import websockets
from sqlalchemy import select

from api.db.engine import create_engine, create_session_factory
from api.db.models import ChargingSession, Evse, User
from api.domain.chargers.provisioning import add_charger
from tests.contract.conftest import ROLE_ACCOUNTS, ServedApi


async def _session_of(database_url: str, email: str) -> str:
    """A charging session of the account `email` at a freshly provisioned charger."""
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            user_id = (await session.execute(select(User.id).where(User.email == email))).scalar_one()
            station, _ = await add_charger(
                session, ocpp_id="LIVE-1", password="a charger secret 123", country_code="NL", party_id="VWY"
            )
            evse = (await session.execute(select(Evse).where(Evse.charging_station_id == station.id))).scalar_one()
            record = ChargingSession(
                user_id=user_id,
                location_id=station.location_id,
                evse_id=evse.id,
                charging_station_id=station.id,
                connector_id=1,
                id_token="LIVE-TOKEN",
                status="charging",
            )
            session.add(record)
            await session.commit()
            return str(record.id)
    finally:
        await engine.dispose()


async def _outcome(api: ServedApi, session_id: str, token: str | None) -> tuple[int, str]:
    """(1000 and the first message's status) when the stream opens, else (close code, reason)."""
    url = api.base_url.replace("http://", "ws://") + f"/v1/sessions/{session_id}/live"
    if token is not None:
        url += f"?token={token}"
    async with websockets.connect(url, open_timeout=10) as socket:  # the upgrade itself always succeeds
        try:
            message = json.loads(await asyncio.wait_for(socket.recv(), timeout=10))
        except websockets.ConnectionClosed as closed:
            frame = closed.rcvd
        else:
            return 1000, str(message["status"])
    assert frame is not None, "closed without a close frame"
    return frame.code, frame.reason


def _token(api: ServedApi, caller: str) -> str:
    return api.headers(caller)["Authorization"].removeprefix("Bearer ")


@pytest.fixture
def driver_a_session(served_api: ServedApi) -> str:
    return asyncio.run(_session_of(served_api.settings.database_url, ROLE_ACCOUNTS["driver_a"][1]))


def test_the_owner_gets_the_stream(served_api: ServedApi, driver_a_session: str) -> None:
    assert asyncio.run(_outcome(served_api, driver_a_session, _token(served_api, "driver_a"))) == (1000, "charging")


def test_a_missing_bad_or_revoked_token_closes_with_4401(served_api: ServedApi, driver_a_session: str) -> None:
    forged = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.c2lnbmF0dXJl"
    erased = _token(served_api, "erased_driver")  # its sign-in ended with the account
    for token in (None, "", "not-a-token", forged, erased):
        code, reason = asyncio.run(_outcome(served_api, driver_a_session, token))
        assert (code, reason) == (4401, "send a valid access token as the token query parameter"), token


def test_a_session_that_is_not_the_callers_closes_with_4404(served_api: ServedApi, driver_a_session: str) -> None:
    for caller in ("driver_b", "agent", "admin"):
        outcome = asyncio.run(_outcome(served_api, driver_a_session, _token(served_api, caller)))
        assert outcome == (4404, "no such session"), caller
    missing = asyncio.run(_outcome(served_api, str(uuid.uuid4()), _token(served_api, "driver_a")))
    assert missing == (4404, "no such session")
