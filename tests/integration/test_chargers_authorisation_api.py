"""The operator's authorisation API against the app with its bridge and a simulated charger, on SQLite and
PostgreSQL: local list sync and version, reservations made, listed and cancelled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from api.domain.drivers.commands import add_user
from tests.integration.test_sessions import serve
from tests.support import make_settings, wait_for

PASSWORD = "correct horse battery"


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_local_list_and_reservations_over_the_admin_api(database_url: str, version: str) -> None:
    await add_user(
        make_settings(database_url=database_url), email="ops@example.com", password=PASSWORD, role="admin", name="Ops"
    )
    async with serve(database_url, chargers=1, version=version) as net, httpx.AsyncClient(timeout=15) as client:
        tokens = (
            await client.post(f"{net.base}/v1/auth/login", json={"email": "ops@example.com", "password": PASSWORD})
        ).json()
        admin = {"Authorization": f"Bearer {tokens['accessToken']}"}
        driver = await net.driver(client, "dana@example.com")
        card = await client.post(f"{net.base}/v1/me/tokens", json={"uid": "04A22B5A"}, headers=driver)
        assert card.status_code == 201

        synced = await client.post(f"{net.base}/v1/admin/chargers/SES-00001/local-list/sync", headers=admin)
        assert synced.status_code == 200, synced.text
        assert (synced.json()["status"], synced.json()["version"]) == ("Accepted", 1)
        simulated = net.simulators[0].chargers[0]
        assert simulated.local_list["04A22B5A"]["status"] == "Accepted"
        assert synced.json()["entries"] == len(simulated.local_list)
        state = (await client.get(f"{net.base}/v1/admin/chargers/SES-00001/local-list", headers=admin)).json()
        assert (state["version"], state["chargerVersion"]) == (1, 1)

        # a card blocked in the app reaches the charger's list as a Differential update within seconds
        await client.post(f"{net.base}/v1/me/tokens/{card.json()['id']}/block", headers=driver)

        async def updated() -> bool:
            answer = await client.get(f"{net.base}/v1/admin/chargers/SES-00001/local-list", headers=admin)
            return bool(answer.json()["chargerVersion"] == 2)

        await wait_for(updated, "the differential update", seconds=30)
        assert simulated.local_list["04A22B5A"]["status"] == "Blocked"

        body = {
            "chargerId": "SES-00001",
            "connectorId": 1,
            "idToken": "04A22B5A",
            "expiresAt": (datetime.now(UTC) + timedelta(minutes=30)).isoformat(),
        }
        made = await client.post(f"{net.base}/v1/admin/reservations", json=body, headers=admin)
        assert made.status_code == 201, made.text
        assert made.json()["status"] == "Active"
        listed = (await client.get(f"{net.base}/v1/admin/reservations", params={"open": "true"}, headers=admin)).json()
        assert [r["id"] for r in listed] == [made.json()["id"]]
        occupied = await client.post(f"{net.base}/v1/admin/reservations", json=body, headers=admin)
        assert occupied.status_code == 409  # the connector is held by the first one
        cancelled = await client.post(f"{net.base}/v1/admin/reservations/{made.json()['id']}/cancel", headers=admin)
        assert cancelled.json()["status"] == "Cancelled"
        naive = await client.post(
            f"{net.base}/v1/admin/reservations", json={**body, "expiresAt": "2030-01-01T00:00:00"}, headers=admin
        )
        assert naive.status_code == 422
        offline = await client.post(f"{net.base}/v1/admin/chargers/NO-SUCH/local-list/sync", headers=admin)
        assert offline.status_code == 404
