"""The alert detectors end to end: the app with its OCPP bridge served by uvicorn, a charger over a real websocket
that faults, fails a firmware update and a diagnostics upload, reports a tampered enclosure, drops off the network,
refuses remote starts and ignores a stop (OCPP 1.6), and one that reports faults, problems and failed uploads in OCPP
2.0.1. The sink records what the alert engine would be told, in order; time
beyond the test's few seconds comes from a clock the test moves."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from api.db.engine import create_engine, create_session_factory
from api.db.models import ChargingStation
from api.db.models.operation_alerts import OperationAlert
from api.domain.operations.conditions import DEFAULT_RULES, StaticRuleBook
from api.domain.operations.detectors.network import NetworkDetectors
from api.domain.operations.detectors.offline import OfflineChargers
from api.domain.operations.detectors.stuck_stopping import StuckStops
from tests.condition_sinks import MovingClock, RecordingSink
from tests.e2e.ocpp_bridge.ocpp_charger_for_tests import charger
from tests.faults.charger import ScriptedCharger
from tests.integration.test_chargers_registration import admin_headers, simulation
from tests.integration.test_sessions import (
    PASSWORD,
    _all_available,
    _prepare,
    running,
    served_app,
    session_status,
)
from tests.support import database_session, wait_for

CHARGER = "SES-00001"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class StubbornCharger(ScriptedCharger):
    """Refuses remote starts while `refuse_starts` is set."""

    refuse_starts = False

    def _on_command(self, action: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        if action == "RemoteStartTransaction" and self.refuse_starts:
            return {"status": "Rejected"}
        return super()._on_command(action, payload)


@dataclass
class Site:
    base: str
    ocpp_url: str
    database_url: str
    client: httpx.AsyncClient
    charger: StubbornCharger
    evse_uid: str
    detectors: NetworkDetectors
    sink: RecordingSink

    async def said(self, action: str, payload: dict[str, Any]) -> None:
        """A Call from the charger, answered; then whatever it raised or cleared is delivered."""
        await self.charger.call(action, payload)
        await self.detectors.drain()

    async def driver(self) -> dict[str, str]:
        email, password = f"alerts-{uuid.uuid4().hex[:8]}@example.com", "long enough password"
        await self.client.post(
            f"{self.base}/v1/auth/register", json={"email": email, "password": password, "name": "Driver"}
        )
        login = await self.client.post(f"{self.base}/v1/auth/login", json={"email": email, "password": password})
        return {"Authorization": f"Bearer {login.json()['accessToken']}"}

    async def start(self, headers: dict[str, str]) -> str:
        started = await self.client.post(
            f"{self.base}/v1/sessions",
            json={"evseUid": self.evse_uid},
            headers={"Idempotency-Key": str(uuid.uuid4()), **headers},
        )
        assert started.status_code == 202, started.text
        session_id: str = started.json()["id"]

        async def settled() -> str | None:
            status = await session_status(self.client, self.base, headers, session_id)
            return None if status == "starting" else status

        await wait_for(settled, "the start settled")
        await self.detectors.drain()
        return session_id


@pytest.fixture
async def site(database_url: str) -> AsyncIterator[Site]:
    evse_uids = await _prepare(database_url, 1)
    async with served_app(database_url) as (app, base, ocpp_url), httpx.AsyncClient(timeout=10) as client:
        detectors: NetworkDetectors = app.state.detectors
        sink = RecordingSink()
        detectors.queue.sink = sink  # what the alert engine would hear
        charger = StubbornCharger(CHARGER, PASSWORD)
        await charger.connect(ocpp_url)
        try:
            await wait_for(lambda: _all_available(client, base, 1), "the charger available")
            await detectors.drain()
            yield Site(base, ocpp_url, database_url, client, charger, evse_uids[0], detectors, sink)
        finally:
            await charger.close()


async def test_a_fault_a_failed_update_and_upload_and_a_tampered_charger_raise_and_clear(site: Site) -> None:
    # connecting clears any offline alert; the first status after a connection is reported whatever it is
    assert site.sink.of("charger_offline") == [(CHARGER, None, False)]
    assert site.sink.of("connector_faulted") == [(CHARGER, 1, False)]

    fault = {"connectorId": 1, "errorCode": "GroundFailure", "status": "Faulted", "timestamp": _now()}
    await site.said("StatusNotification", {**fault, "vendorErrorCode": "E-217", "info": "RCD tripped"})
    assert site.sink.of("connector_faulted")[-1] == (CHARGER, 1, True)
    detail = site.sink.last("connector_faulted").detail
    assert (detail["errorCode"], detail["vendorErrorCode"], detail["info"]) == ("GroundFailure", "E-217", "RCD tripped")
    await site.said("StatusNotification", fault)  # the same fault again: nothing new
    await site.said("StatusNotification", {**fault, "errorCode": "NoError", "status": "Available"})
    assert site.sink.of("connector_faulted")[1:] == [(CHARGER, 1, True), (CHARGER, 1, False)]

    await site.said("FirmwareStatusNotification", {"status": "Downloading"})
    await site.said("FirmwareStatusNotification", {"status": "InstallationFailed"})
    assert site.sink.of("firmware_failure") == [(CHARGER, None, True)]
    assert site.sink.last("firmware_failure").detail["status"] == "InstallationFailed"
    await site.said("FirmwareStatusNotification", {"status": "Installed"})
    assert site.sink.of("firmware_failure") == [(CHARGER, None, True), (CHARGER, None, False)]

    await site.said("DiagnosticsStatusNotification", {"status": "UploadFailed"})
    await site.said("DiagnosticsStatusNotification", {"status": "Uploaded"})
    assert site.sink.of("diagnostics_failure") == [(CHARGER, None, True), (CHARGER, None, False)]

    await site.said("SecurityEventNotification", {"type": "InvalidCentralSystemCertificate", "timestamp": _now()})
    assert site.sink.of("security_event") == []  # not one of the critical kinds
    await site.said("SecurityEventNotification", {"type": "TamperDetectionActivated", "timestamp": _now()})
    assert site.sink.of("security_event") == [(CHARGER, None, True)]
    assert site.sink.last("security_event").detail["type"] == "TamperDetectionActivated"


async def _connected(database_url: str, expected: bool) -> bool:
    async with database_session(database_url) as session:
        stored = (
            await session.execute(select(ChargingStation.connected).where(ChargingStation.ocpp_id == CHARGER))
        ).scalar_one()
        return bool(stored) is expected


async def test_a_charger_gone_longer_than_ten_minutes_raises_and_its_return_clears(site: Site) -> None:
    clock = MovingClock()
    engine = create_engine(site.database_url)
    scanner = OfflineChargers(create_session_factory(engine), StaticRuleBook(DEFAULT_RULES), clock)
    try:
        await site.charger.drop()
        await wait_for(lambda: _connected(site.database_url, False), "the charger stored offline")
        assert await scanner.scan() == []  # just gone
        clock.advance(minutes=11)
        assert [(r.charger_id, r.active) for r in await scanner.scan()] == [(CHARGER, True)]

        before = len(site.sink.of("charger_offline"))
        await site.charger.connect(site.ocpp_url)
        await site.detectors.drain()
        assert site.sink.of("charger_offline")[before:] == [(CHARGER, None, False)]  # at once, from the connection
        await wait_for(lambda: _connected(site.database_url, True), "the charger stored online")
        assert [(r.charger_id, r.active) for r in await scanner.scan()] == [(CHARGER, False)]
    finally:
        await engine.dispose()


async def test_three_refused_starts_raise_failed_starts_and_the_next_good_start_clears(site: Site) -> None:
    headers = await site.driver()
    site.charger.refuse_starts = True
    for _ in range(2):
        await site.start(headers)
    assert site.sink.of("failed_starts") == []
    await site.start(headers)
    assert site.sink.of("failed_starts") == [(CHARGER, None, True)]
    assert site.sink.last("failed_starts").detail["lastFailure"] == "The charger refused to start."

    site.charger.refuse_starts = False
    session_id = await site.start(headers)
    assert await session_status(site.client, site.base, headers, session_id) == "charging"
    assert site.sink.of("failed_starts") == [(CHARGER, None, True), (CHARGER, None, False)]


async def test_a_stop_the_charger_ignores_raises_stuck_stopping_until_the_session_completes(site: Site) -> None:
    headers = await site.driver()
    session_id = await site.start(headers)
    clock = MovingClock()
    engine = create_engine(site.database_url)
    scanner = StuckStops(create_session_factory(engine), StaticRuleBook(DEFAULT_RULES), clock)
    try:
        site.charger.obey_stops = False  # it accepts the stop and keeps charging
        stop = f"{site.base}/v1/sessions/{session_id}/stop"
        assert (await site.client.post(stop, headers=headers)).status_code < 300
        assert await session_status(site.client, site.base, headers, session_id) == "stopping"
        assert await scanner.scan() == []
        clock.advance(minutes=11)
        reports = await scanner.scan()
        assert [(r.charger_id, r.connector_id, r.active) for r in reports] == [(CHARGER, 1, True)]
        assert reports[0].detail["sessionId"] == session_id

        site.charger.obey_stops = True
        assert (await site.client.post(stop, headers=headers)).status_code < 300

        async def completed() -> bool:
            return await session_status(site.client, site.base, headers, session_id) == "completed"

        await wait_for(completed, "the session completed")
        assert [(r.charger_id, r.active) for r in await scanner.scan()] == [(CHARGER, False)]
    finally:
        await engine.dispose()


async def test_an_ocpp_201_charger_raises_and_clears_faults_problems_and_failed_uploads(database_url: str) -> None:
    await _prepare(database_url, 1)
    async with served_app(database_url) as (app, _, ocpp_url):
        detectors: NetworkDetectors = app.state.detectors
        sink = RecordingSink()
        detectors.queue.sink = sink
        port = int(ocpp_url.rsplit(":", 1)[1].split("/", 1)[0])
        async with charger(port, CHARGER, "2.0.1", password=PASSWORD) as cp:

            async def said(action: str, payload: dict[str, Any]) -> None:
                await cp.call(action, payload)
                await detectors.drain()

            boot = {"chargingStation": {"model": "Scripted", "vendorName": "Alerts"}, "reason": "PowerUp"}
            assert (await cp.call("BootNotification", boot))["status"] == "Accepted"
            status = {"timestamp": _now(), "evseId": 1, "connectorId": 1}
            await said("StatusNotification", {**status, "connectorStatus": "Faulted"})
            problem = {
                "eventId": 1,
                "timestamp": _now(),
                "trigger": "Delta",
                "actualValue": "true",
                "eventNotificationType": "HardWiredNotification",
                "component": {"name": "EVSE", "evse": {"id": 1}},
                "variable": {"name": "Problem"},
                "techCode": "OverTemperature",
            }
            await said("NotifyEvent", {"generatedAt": _now(), "seqNo": 0, "eventData": [problem]})
            # still faulted, now with the charger's error code for the alert to show
            assert sink.of("connector_faulted") == [(CHARGER, 1, True), (CHARGER, 1, True)]
            assert sink.last("connector_faulted").detail["errorCode"] == "OverTemperature"
            await said("StatusNotification", {**status, "connectorStatus": "Available"})
            assert len(sink.of("connector_faulted")) == 2  # the problem is still set
            cleared = {**problem, "eventId": 2, "actualValue": "false", "cleared": True}
            await said("NotifyEvent", {"generatedAt": _now(), "seqNo": 1, "eventData": [cleared]})
            assert sink.of("connector_faulted")[-1] == (CHARGER, 1, False)

            await said("LogStatusNotification", {"status": "UploadFailure", "requestId": 3})
            await said("LogStatusNotification", {"status": "Uploaded", "requestId": 4})
            assert sink.of("diagnostics_failure") == [(CHARGER, None, True), (CHARGER, None, False)]
            await said("FirmwareStatusNotification", {"status": "InvalidSignature", "requestId": 5})
            assert sink.of("firmware_failure") == [(CHARGER, None, True)]
            assert sink.last("firmware_failure").detail == {"status": "InvalidSignature", "requestId": "5"}
            await said("SecurityEventNotification", {"type": "MemoryExhaustion", "timestamp": _now()})
            assert sink.of("security_event") == [(CHARGER, None, True)]


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_a_simulated_charger_whose_firmware_update_fails_raises_firmware_failure(
    database_url: str, version: str
) -> None:
    await _prepare(database_url, 1)
    async with served_app(database_url) as (app, base, ocpp_url), httpx.AsyncClient(timeout=10) as client:
        detectors: NetworkDetectors = app.state.detectors
        sink = RecordingSink()
        detectors.queue.sink = sink
        failing = simulation(ocpp_url, "SES-", version, PASSWORD, firmware_update_fails=True)
        async with running(failing):
            await wait_for(lambda: _all_available(client, base, 1), "the simulated charger available")
            headers = await admin_headers(client, base, database_url)
            update = {"location": "https://firmware.example.com/v2.4.1.bin", "retrieve_date": _now(), "request_id": 9}
            answer = await client.post(
                f"{base}/v1/admin/chargers/{CHARGER}/commands/update-firmware", json=update, headers=headers
            )
            assert answer.status_code == 200, answer.text

            async def reported() -> bool:
                await detectors.drain()
                return bool(sink.of("firmware_failure"))

            await wait_for(reported, "the failed installation reported")
        assert sink.of("firmware_failure") == [(CHARGER, None, True)]
        assert sink.last("firmware_failure").detail["status"] == "InstallationFailed"


async def _fault_alert(database_url: str) -> tuple[bool, dict[str, Any]] | None:
    """(whether the condition still holds, detail) of the connector_faulted alert the engine keeps, if any."""
    async with database_session(database_url) as session:
        row = (
            await session.execute(
                select(OperationAlert.condition_active, OperationAlert.detail).where(
                    OperationAlert.rule == "connector_faulted", OperationAlert.charger_id == CHARGER
                )
            )
        ).one_or_none()
        return None if row is None else (row[0], row[1])


async def test_the_alert_engine_keeps_the_fault_the_detectors_report(database_url: str) -> None:
    """Without a recording sink: the app's own alert engine hears the fault and its end."""
    await _prepare(database_url, 1)
    async with served_app(database_url) as (app, base, ocpp_url), httpx.AsyncClient(timeout=10) as client:
        detectors: NetworkDetectors = app.state.detectors
        charger_1_6 = ScriptedCharger(CHARGER, PASSWORD)
        await charger_1_6.connect(ocpp_url)
        try:
            await wait_for(lambda: _all_available(client, base, 1), "the charger available")
            fault = {"connectorId": 1, "errorCode": "GroundFailure", "status": "Faulted", "timestamp": _now()}
            await charger_1_6.call("StatusNotification", fault)
            await detectors.drain()

            async def raised() -> tuple[bool, dict[str, Any]] | None:
                found = await _fault_alert(database_url)
                return found if found is not None and found[0] else None

            _, detail = await wait_for(raised, "the engine holding the fault")
            assert detail["errorCode"] == "GroundFailure"
            await charger_1_6.status("Available")
            await detectors.drain()

            async def cleared() -> bool:
                found = await _fault_alert(database_url)
                return found is not None and not found[0]

            await wait_for(cleared, "the engine told the fault cleared")
        finally:
            await charger_1_6.close()
