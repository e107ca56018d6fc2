"""A driver's stop is carried out even when the charger misses it, on SQLite and PostgreSQL: sent when an offline
charger comes back, sent again on a repeated stop, and retried (and counted) when the charger keeps metering."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.faults.charger import ScriptedCharger
from tests.integration.test_sessions import PASSWORD, _all_available, _prepare, served_app, session_status
from tests.support import wait_for


@dataclass
class Charging:
    app: Any
    base: str
    ocpp_url: str
    client: httpx.AsyncClient
    headers: dict[str, str]
    charger: ScriptedCharger
    session_id: str

    async def stop(self) -> None:
        answer = await self.client.post(f"{self.base}/v1/sessions/{self.session_id}/stop", headers=self.headers)
        assert answer.status_code == 202, answer.text

    async def status(self) -> str:
        return await session_status(self.client, self.base, self.headers, self.session_id)

    async def completed(self) -> dict[str, Any]:
        async def done() -> bool:
            return await self.status() == "completed"

        await wait_for(done, "the session completed")
        view: dict[str, Any] = (
            await self.client.get(f"{self.base}/v1/sessions/{self.session_id}", headers=self.headers)
        ).json()
        return view


@pytest.fixture
async def charging(database_url: str) -> AsyncIterator[Charging]:
    """A driver's session charging on a scripted charger that has reported 1.5 kWh."""
    evse_uids = await _prepare(database_url, 1)
    async with served_app(database_url) as (app, base, ocpp_url), httpx.AsyncClient(timeout=10) as client:
        charger = ScriptedCharger("SES-00001", PASSWORD)
        await charger.connect(ocpp_url)
        try:
            await wait_for(lambda: _all_available(client, base, len(evse_uids)), "the charger available")
            email = f"stop-{uuid.uuid4().hex[:8]}@example.com"
            password = "long enough password"
            await client.post(f"{base}/v1/auth/register", json={"email": email, "password": password, "name": "D"})
            login = await client.post(f"{base}/v1/auth/login", json={"email": email, "password": password})
            headers = {"Authorization": f"Bearer {login.json()['accessToken']}"}
            started = await client.post(
                f"{base}/v1/sessions",
                json={"evseUid": evse_uids[0]},
                headers={"Idempotency-Key": str(uuid.uuid4()), **headers},
            )
            assert started.status_code == 202, started.text
            run = Charging(app, base, ocpp_url, client, headers, charger, started.json()["id"])

            async def is_charging() -> bool:
                return await run.status() == "charging"

            await wait_for(is_charging, "the session charging")
            await charger.meter(700)
            await charger.meter(800)
            yield run
        finally:
            await charger.close()


def energy_of(view: dict[str, Any]) -> Decimal:
    return Decimal(str(view["energyKwh"]))


async def test_a_stop_while_the_charger_is_offline_is_sent_when_it_reconnects(charging: Charging) -> None:
    await charging.charger.drop()
    await charging.stop()
    assert await charging.status() == "stopping"
    await charging.charger.connect(charging.ocpp_url)
    view = await charging.completed()
    assert charging.charger.stops_received >= 1
    assert energy_of(view) == Decimal(charging.charger.energy_wh) / 1000 == Decimal("1.5")
    await asyncio.wait_for(charging.app.state.sessions.relay.delivered(), 10)  # nothing left retrying


async def test_a_repeated_stop_sends_the_stop_again(charging: Charging) -> None:
    charger = charging.charger
    charger.obey_stops = False  # the charger accepts the first stop and keeps charging
    await charging.stop()

    async def first_stop_arrived() -> bool:
        return charger.stops_received == 1

    await wait_for(first_stop_arrived, "the first stop")
    await charger.meter(250)
    charger.obey_stops = True
    await charging.stop()
    view = await charging.completed()
    assert charger.stops_received == 2
    assert energy_of(view) == Decimal("1.75")


async def test_a_session_still_metering_after_its_stop_is_retried_and_counted(charging: Charging) -> None:
    charger = charging.charger
    charging.app.state.sessions.stuck_after_seconds = 0.5
    before = await retries(charging)
    charger.obey_stops = False
    await charging.stop()

    async def first_stop_arrived() -> bool:
        return charger.stops_received == 1

    await wait_for(first_stop_arrived, "the first stop")
    charger.obey_stops = True

    async def stopped_by_a_retry() -> bool:
        if charger.transaction_id is not None:
            await charger.meter(100)  # the car keeps charging: the charger keeps metering
        return charger.stopped.is_set()

    await wait_for(stopped_by_a_retry, "the stop sent again")
    view = await charging.completed()
    assert charger.stops_received >= 2
    assert energy_of(view) == Decimal(charger.energy_wh) / 1000
    assert await retries(charging) > before


async def retries(charging: Charging) -> float:
    text = (await charging.client.get(f"{charging.base}/metrics")).text
    for line in text.splitlines():
        if line.startswith("voltway_session_stop_retries_total "):
            return float(line.split()[1])
    pytest.fail("voltway_session_stop_retries_total is not exported")
