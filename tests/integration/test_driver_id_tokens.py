"""A driver's RFID cards through the app, and what the bridge's Authorize then answers, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.db.engine import create_engine, create_session_factory
from api.domain.chargers.backend import TOKEN_TTL_SECONDS, CsmsService
from api.domain.chargers.meter_writer import MeterSampleWriter
from api.domain.chargers.provisioning import add_charger
from api.domain.drivers.commands import add_user
from ocpp_bridge.events import AuthorizationRequested, IdToken
from tests.integration.test_accounts import assert_problem, bearer, login, register
from tests.support import make_settings

Client = AsyncTestClient[Litestar]


@pytest.fixture
async def csms(database_url: str) -> AsyncIterator[CsmsService]:
    engine = create_engine(database_url)
    factory = create_session_factory(engine)
    async with factory() as session:
        await add_charger(
            session, ocpp_id="CP-TOKENS", password="a-long-charger-secret", country_code="NL", party_id="VWY",
            evses=1, coordinates=(52.0, 5.0),
        )  # fmt: skip
    service = CsmsService(factory, heartbeat_interval=120, meter_writer=MeterSampleWriter(factory, flush_seconds=60))
    await service.start()
    yield service
    await service.stop()
    await engine.dispose()


async def authorize(csms: CsmsService, uid: str) -> str:
    request = AuthorizationRequested(
        charger_id="CP-TOKENS",
        ocpp_version="1.6",
        message_id="m1",
        received_at=datetime.now(UTC),
        id_token=IdToken(uid),
    )
    return (await csms.on_authorization_requested(request)).status


async def signed_in(client: Client, email: str) -> dict[str, str]:
    await register(client, email=email)
    return bearer(await login(client, email=email))


async def test_cards_are_added_listed_and_blocked(client: Client, csms: CsmsService) -> None:
    dana = await signed_in(client, "dana@example.com")
    assert await authorize(csms, "FFEEDDCC") == "Invalid"

    added = await client.post(
        "/v1/me/tokens", json={"uid": "04:a2:2b:5a:7c:6e:80", "label": " Blue fob "}, headers=dana
    )
    assert added.status_code == 201, added.text
    token = added.json()
    assert (token["uid"], token["label"], token["type"], token["valid"]) == ("04A22B5A7C6E80", "Blue fob", "RFID", True)
    again = await client.post("/v1/me/tokens", json={"uid": "04-A2-2B-5A-7C-6E-80"}, headers=dana)
    assert again.status_code == 200
    assert again.json()["id"] == token["id"]
    assert [t["id"] for t in (await client.get("/v1/me/tokens", headers=dana)).json()] == [token["id"]]
    exported = (await client.get("/v1/me/export", headers=dana)).json()
    assert [card["uid"] for card in exported["rfidCards"]] == ["04A22B5A7C6E80"]

    # A card added through the app is accepted at the charger.
    assert await authorize(csms, "04A22B5A7C6E80") == "Accepted"

    blocked = await client.post(f"/v1/me/tokens/{token['id']}/block", headers=dana)
    assert blocked.status_code == 200
    assert blocked.json()["valid"] is False
    # The bridge remembers a verdict for TOKEN_TTL_SECONDS; after that the blocked card is refused.
    await asyncio.sleep(TOKEN_TTL_SECONDS + 0.1)
    assert await authorize(csms, "04A22B5A7C6E80") == "Blocked"
    assert (await client.get("/v1/me/tokens", headers=dana)).json()[0]["valid"] is False


async def test_someone_elses_card_and_malformed_uids(client: Client) -> None:
    dana = await signed_in(client, "dana@example.com")
    eve = await signed_in(client, "eve@example.com")
    token = (await client.post("/v1/me/tokens", json={"uid": "AABBCCDD"}, headers=dana)).json()

    taken = assert_problem(await client.post("/v1/me/tokens", json={"uid": "aa bb cc dd"}, headers=eve), 409)
    assert "already registered" in taken["detail"]
    assert_problem(await client.post(f"/v1/me/tokens/{token['id']}/block", headers=eve), 404)
    assert (await client.get("/v1/me/tokens", headers=eve)).json() == []

    for bad in ["not-hex-at-all", "ABC", "ABCDEF0", "00112233445566778899AA"]:
        problem = assert_problem(await client.post("/v1/me/tokens", json={"uid": bad}, headers=dana), 422)
        assert problem["errors"][0]["field"] == "uid"
    assert_problem(await client.get("/v1/me/tokens"), 401)


async def test_erased_accounts_cards_stop_working(client: Client, csms: CsmsService) -> None:
    dana = await signed_in(client, "dana@example.com")
    await client.post("/v1/me/tokens", json={"uid": "0102030405060708"}, headers=dana)
    assert await authorize(csms, "0102030405060708") == "Accepted"
    assert (await client.delete("/v1/me", headers=dana)).status_code == 204
    await asyncio.sleep(TOKEN_TTL_SECONDS + 0.1)
    assert await authorize(csms, "0102030405060708") == "Blocked"


async def test_a_card_cannot_be_registered_after_erasure(client: Client, csms: CsmsService) -> None:
    dana = await signed_in(client, "dana@example.com")
    assert (await client.delete("/v1/me", headers=dana)).status_code == 204
    # The access token from before the erasure is still unexpired, but the account is gone.
    assert_problem(await client.post("/v1/me/tokens", json={"uid": "0A0B0C0D0E0F"}, headers=dana), 401)
    assert await authorize(csms, "0A0B0C0D0E0F") == "Invalid"  # never known, so never accepted


ADMIN_PASSWORD = "correct horse battery"


async def test_an_operator_sets_a_cards_expiry_and_group(client: Client, csms: CsmsService, database_url: str) -> None:
    await add_user(
        make_settings(database_url=database_url),
        email="ops@example.com",
        password=ADMIN_PASSWORD,
        role="admin",
        name="Ops",
    )
    admin = bearer(await login(client, email="ops@example.com", password=ADMIN_PASSWORD))
    dana = await signed_in(client, "dana@example.com")
    added = await client.post("/v1/me/tokens", json={"uid": "04A22B5A7C6E80"}, headers=dana)
    assert added.status_code == 201

    until = datetime.now(UTC) + timedelta(days=90)
    body = {"status": "Accepted", "expiresAt": until.isoformat(), "groupId": "FLEET-1"}
    changed = await client.put("/v1/admin/tokens/04A22B5A7C6E80/authorisation", json=body, headers=admin)
    assert changed.status_code == 200, changed.text
    assert changed.json()["groupId"] == "FLEET-1"
    [card] = (await client.get("/v1/me/tokens", headers=dana)).json()
    assert card["valid"] is True
    assert datetime.fromisoformat(card["expiresAt"]) == until

    past = {"status": "Accepted", "expiresAt": (datetime.now(UTC) - timedelta(seconds=1)).isoformat()}
    assert (await client.put("/v1/admin/tokens/04A22B5A7C6E80/authorisation", json=past, headers=admin)).is_success
    [card] = (await client.get("/v1/me/tokens", headers=dana)).json()
    assert card["valid"] is False
    await asyncio.sleep(TOKEN_TTL_SECONDS + 0.1)  # the bridge remembers a verdict this long
    assert await authorize(csms, "04A22B5A7C6E80") == "Expired"

    missing = await client.put("/v1/admin/tokens/NOPE/authorisation", json=body, headers=admin)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    naive = {"status": "Accepted", "expiresAt": "2030-01-01T00:00:00"}
    assert (
        await client.put("/v1/admin/tokens/04A22B5A7C6E80/authorisation", json=naive, headers=admin)
    ).status_code == 422
    as_driver = await client.put("/v1/admin/tokens/04A22B5A7C6E80/authorisation", json=body, headers=dana)
    assert as_driver.status_code == 403
