"""An EVSE status push end to end, on SQLite and PostgreSQL: the app with its OCPP bridge served on free ports, a
simulated charger over a real websocket, the fake eMSP registered as a partner; a driver's start makes the charger
report Charging, and the eMSP receives the OCPI PATCH of that EVSE."""

from __future__ import annotations

import uuid

import httpx

from tests.integration.test_sessions import serve
from tests.ocpi_fake_emsp import FakeEmsp, register_fake_emsp


async def test_a_status_notification_reaches_the_partner_as_an_evse_patch(
    database_url: str, fake_emsp: FakeEmsp
) -> None:
    async with serve(database_url, chargers=1) as net, httpx.AsyncClient(base_url=net.base, timeout=10) as client:
        await register_fake_emsp(client, fake_emsp, database_url)
        evse = net.evse_uids[0]
        headers = await net.driver(client, "roaming-push@example.com")
        started = await client.post(
            "/v1/sessions", json={"evseUid": evse}, headers={"Idempotency-Key": str(uuid.uuid4()), **headers}
        )
        assert started.status_code == 202, started.text
        pushed = await fake_emsp.wait_for(
            lambda r: r.method == "PATCH" and r.path.endswith(f"/{evse}") and r.json["status"] == "CHARGING", 20
        )
    assert pushed.path.startswith("/ocpi/emsp/2.2.1/locations/NL/VWY/")
    assert set(pushed.json) == {"status", "last_updated"}
    assert pushed.headers["ocpi-from-party-id"] == "VWY"
    assert pushed.headers["ocpi-to-party-id"] == fake_emsp.party_id
