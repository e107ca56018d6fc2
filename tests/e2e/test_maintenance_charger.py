"""A charger taken out of service for maintenance, end to end on SQLite and PostgreSQL: the app with its OCPP bridge
on free ports, a simulated charger over a real websocket and a fake eMSP registered as a roaming partner.

Starting the work order sends the charger ChangeAvailability Inoperative (it reports Unavailable), drivers see the
EVSE INOPERATIVE "Under maintenance" and the eMSP gets the OCPI PATCH; completing it sends Operative, and the
charger's next report puts the EVSE back on the map AVAILABLE."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import select

from api.db.models import Evse
from api.domain.drivers.commands import add_user
from tests.integration.conftest import database_url
from tests.integration.test_sessions import serve
from tests.ocpi_fake_emsp import FakeEmsp, register_fake_emsp
from tests.support import database_session, make_settings, wait_for

__all__ = ["database_url"]  # every test here runs on SQLite and PostgreSQL

PASSWORD = "long enough password"


async def _admin(client: httpx.AsyncClient, database_url: str) -> dict[str, str]:
    email = f"ops-{uuid.uuid4().hex[:6]}@example.com"
    await add_user(make_settings(database_url=database_url), email=email, password=PASSWORD, role="admin", name="Ops")
    tokens = (await client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})).json()
    return {"Authorization": f"Bearer {tokens['accessToken']}"}


async def _shown(client: httpx.AsyncClient, evse_uid: str) -> dict[str, Any]:
    page = (await client.get("/v1/stations", params={"lat": 52.37, "lon": 4.9, "radius": 20000})).json()
    for item in page["items"]:
        for evse in item["evses"]:
            if evse["uid"] == evse_uid:
                found: dict[str, Any] = evse
                return found
    return {}


async def test_maintenance_takes_a_connected_charger_out_of_service_and_gives_it_back(
    database_url: str, fake_emsp: FakeEmsp
) -> None:
    async with serve(database_url, chargers=1) as net, httpx.AsyncClient(base_url=net.base, timeout=30) as client:
        await register_fake_emsp(client, fake_emsp, database_url)
        charger = net.simulators[0].chargers[0]
        evse_uid = net.evse_uids[0]
        headers = await _admin(client, database_url)
        created = await client.post(
            "/v1/admin/work-orders",
            json={
                "title": "Annual electrical test",
                "chargerId": charger.charger_id,
                "takesOutOfService": True,
                "serviceReason": "annual electrical test",
            },
            headers=headers,
        )
        assert created.status_code == 201, created.text
        work = f"/v1/admin/work-orders/{created.json()['id']}"

        started = await client.post(f"{work}/start", headers=headers)
        assert started.status_code == 200, started.text
        assert started.json()["availability"] == "Accepted"
        assert charger.availability_requests == ["Inoperative"]

        async def under_maintenance() -> bool:
            return (await _shown(client, evse_uid)).get("statusSource") == "maintenance"

        await wait_for(under_maintenance, "the EVSE shown under maintenance")
        shown = await _shown(client, evse_uid)
        assert shown["status"] == "INOPERATIVE"
        assert shown["statusReason"] == "Under maintenance: annual electrical test"
        pushed = await fake_emsp.wait_for(
            lambda r: r.method == "PATCH" and r.path.endswith(f"/{evse_uid}") and r.json["status"] == "INOPERATIVE", 20
        )
        assert set(pushed.json) == {"status", "last_updated"}
        # the charger's own Unavailable report does not take the EVSE back from the work order
        async with database_session(database_url) as session:
            row = (await session.execute(select(Evse).where(Evse.uid == evse_uid))).scalar_one()
            assert (row.status, row.status_source, row.status_reason) == (
                "INOPERATIVE",
                "maintenance",
                "annual electrical test",
            )

        done = await client.post(
            f"{work}/complete", json={"closingNotes": "Insulation and RCD tests passed"}, headers=headers
        )
        assert done.status_code == 200, done.text
        assert done.json()["availability"] == "Accepted"
        assert charger.availability_requests == ["Inoperative", "Operative"]

        async def available_again() -> bool:
            evse = await _shown(client, evse_uid)
            return evse.get("statusSource") == "live" and evse.get("status") == "AVAILABLE"

        await wait_for(available_again, "the EVSE back in service")
        assert (await _shown(client, evse_uid)).get("statusReason") is None
        trail = [(e["action"], e["detail"].get("outcome")) for e in done.json()["audit"]]
        assert ("charger.availability", "Accepted") in trail
        assert trail.count(("charger.availability", "Accepted")) == 2
        audited = (await client.get(f"/v1/admin/chargers/{charger.charger_id}/audit", headers=headers)).json()
        assert [entry["action"] for entry in audited][:2] == ["change-availability", "change-availability"]
