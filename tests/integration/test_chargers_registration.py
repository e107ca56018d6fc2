"""Charger registration and password rotation as operators and chargers live them: the app served with its OCPP
bridge, simulated chargers and hand-driven ones over real websockets, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from api.db.engine import create_engine, create_session_factory
from api.domain.chargers.provisioning import add_charger
from api.domain.drivers.commands import add_user
from ocpp_bridge.simulator import Simulation, SimulatorConfig
from tests.integration.test_sessions import running, served_app
from tests.support import make_settings, wait_for

OLD_PASSWORD = "registration-old-secret"
ONBOARDING_PASSWORD = "shared-onboarding-secret"
ADMIN_PASSWORD = "long enough admin password"
VERSIONS = ["1.6", "2.0.1"]


async def provision(database_url: str, *ocpp_ids: str) -> None:
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            for ocpp_id in ocpp_ids:
                await add_charger(session, ocpp_id=ocpp_id, password=OLD_PASSWORD, country_code="NL", party_id="VWY")
    finally:
        await engine.dispose()


async def admin_headers(client: httpx.AsyncClient, base: str, database_url: str) -> dict[str, str]:
    settings = make_settings(database_url=database_url)
    await add_user(settings, email="ops@example.com", password=ADMIN_PASSWORD, role="admin", name="Ops")
    tokens = (
        await client.post(f"{base}/v1/auth/login", json={"email": "ops@example.com", "password": ADMIN_PASSWORD})
    ).json()
    return {"Authorization": f"Bearer {tokens['accessToken']}"}


def simulation(ocpp_url: str, prefix: str, version: str, password: str, **overrides: Any) -> Simulation:
    return Simulation(
        SimulatorConfig(
            url=ocpp_url,
            chargers=1,
            ocpp_version=version,  # type: ignore[arg-type]
            id_prefix=prefix,
            password=password,
            duration=None,
            speed=60.0,
            arrival_rate=0.0,
            fault_rate=0.0,
            disconnect_rate=0.0,
            meter_interval=60.0,
            **overrides,
        )
    )


async def charger_row(client: httpx.AsyncClient, base: str, headers: dict[str, str], ocpp_id: str) -> dict[str, Any]:
    rows = (await client.get(f"{base}/v1/admin/chargers", headers=headers)).json()
    return next((row for row in rows if row["ocppId"] == ocpp_id), {})


def basic(ocpp_id: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{ocpp_id}:{password}".encode()).decode()}


@contextlib.asynccontextmanager
async def charger_socket(ocpp_url: str, ocpp_id: str, password: str, version: str) -> AsyncIterator[ClientConnection]:
    subprotocol = "ocpp1.6" if version == "1.6" else "ocpp2.0.1"
    async with websockets.connect(
        f"{ocpp_url}/{ocpp_id}",
        subprotocols=[subprotocol],  # type: ignore[list-item]
        additional_headers=basic(ocpp_id, password),
    ) as socket:
        yield socket


async def refused_with(ocpp_url: str, ocpp_id: str, password: str, version: str = "1.6") -> int | None:
    """The HTTP status the upgrade was refused with; None when the charger got in."""
    try:
        async with charger_socket(ocpp_url, ocpp_id, password, version):
            return None
    except websockets.InvalidStatus as exc:
        return exc.response.status_code


async def call(socket: ClientConnection, action: str, payload: dict[str, Any]) -> list[Any]:
    message_id = f"m-{action}"
    await socket.send(json.dumps([2, message_id, action, payload]))
    while True:
        frame = json.loads(await socket.recv())
        if frame[0] in (3, 4) and frame[1] == message_id:
            return list(frame)


def boot_payload(version: str) -> dict[str, Any]:
    if version == "1.6":
        return {"chargePointVendor": "Hand", "chargePointModel": "Made"}
    return {"chargingStation": {"vendorName": "Hand", "model": "Made"}, "reason": "PowerUp"}


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_rotated_password_replaces_the_old_once_the_charger_reconnects_with_it(
    database_url: str, version: str
) -> None:
    await provision(database_url, "ROT-00001")
    async with (
        served_app(database_url) as (_app, base, ocpp_url),
        httpx.AsyncClient(timeout=20) as client,
        running(simulation(ocpp_url, "ROT-", version, OLD_PASSWORD)) as sim,
    ):
        headers = await admin_headers(client, base, database_url)

        async def booted() -> bool:
            row = await charger_row(client, base, headers, "ROT-00001")
            return bool(row.get("connected")) and row.get("ocppVersion") == version

        await wait_for(booted, "the charger online")
        charger = sim.chargers[0]
        connections = sim.report.connections

        rotated = await client.post(f"{base}/v1/admin/chargers/ROT-00001/password", headers=headers)
        assert rotated.status_code == 200, rotated.text
        assert rotated.json()["status"] == "Accepted"
        new_password = charger.password
        assert new_password is not None
        assert new_password != OLD_PASSWORD
        assert len(new_password) >= 16

        async def reconnected_with_the_new_one() -> bool:
            row = await charger_row(client, base, headers, "ROT-00001")
            return sim.report.connections > connections and row["passwordRotation"] is None and row["connected"]

        await wait_for(reconnected_with_the_new_one, "the charger back with its new password")
        assert await refused_with(ocpp_url, "ROT-00001", OLD_PASSWORD, version) == 401

        trail = await client.get(f"{base}/v1/admin/chargers/ROT-00001/audit", headers=headers)
        assert trail.status_code == 200
        entries = trail.json()
        assert [(e["action"], e["outcome"]) for e in entries][:2] == [
            ("password-rotation", "confirmed"),
            ("password-rotation", "Accepted"),
        ]
        assert entries[1]["adminId"] is not None
        assert entries[0]["actor"] == "charger"
        assert new_password not in trail.text
        assert new_password.encode().hex() not in trail.text
        assert "[redacted]" in trail.text


async def test_a_charger_that_refuses_a_new_password_keeps_its_old_one(database_url: str) -> None:
    await provision(database_url, "KEEP-00001")
    async with (
        served_app(database_url) as (_app, base, ocpp_url),
        httpx.AsyncClient(timeout=20) as client,
        running(simulation(ocpp_url, "KEEP-", "1.6", OLD_PASSWORD, accept_password_change=False)) as sim,
    ):
        headers = await admin_headers(client, base, database_url)

        async def online() -> bool:
            return bool((await charger_row(client, base, headers, "KEEP-00001")).get("connected"))

        await wait_for(online, "the charger online")
        refused = await client.post(f"{base}/v1/admin/chargers/KEEP-00001/password", headers=headers)
        assert refused.status_code == 200, refused.text
        assert refused.json()["status"] == "Rejected"

        # the raw configuration key, by the named command and by the generic endpoint, takes the same path
        secret = "a-password-of-my-own"
        named = await client.post(
            f"{base}/v1/admin/chargers/KEEP-00001/commands/change-configuration",
            json={"key": "AuthorizationKey", "value": secret.encode().hex()},
            headers=headers,
        )
        assert named.status_code == 200, named.text
        assert named.json()["status"] == "Rejected"
        generic = await client.post(
            f"{base}/v1/admin/chargers/KEEP-00001/ocpp/ChangeConfiguration",
            json={"key": "AuthorizationKey", "value": secret.encode().hex()},
            headers=headers,
        )
        assert generic.status_code == 200, generic.text
        assert generic.json() == {"status": "Rejected"}
        not_hex = await client.post(
            f"{base}/v1/admin/chargers/KEEP-00001/ocpp/ChangeConfiguration",
            json={"key": "AuthorizationKey", "value": "not hexadecimal at all"},
            headers=headers,
        )
        assert not_hex.status_code == 422

        row = await charger_row(client, base, headers, "KEEP-00001")
        assert row["passwordRotation"] is None
        assert sim.chargers[0].password == OLD_PASSWORD
        assert await refused_with(ocpp_url, "KEEP-00001", secret) == 401
        assert await refused_with(ocpp_url, "KEEP-00001", OLD_PASSWORD) is None

        trail = (await client.get(f"{base}/v1/admin/chargers/KEEP-00001/audit", headers=headers)).text
        assert secret.encode().hex() not in trail
        assert trail.count('"action":"password-rotation"') == 3


@pytest.mark.parametrize("version", VERSIONS)
async def test_an_onboarded_charger_waits_pending_is_configured_and_approved(database_url: str, version: str) -> None:
    await provision(database_url, "SITE-1")  # its location is where the approved charger goes
    async with (
        served_app(database_url, ocpp_onboarding_password=ONBOARDING_PASSWORD, ocpp_pending_interval=600) as (
            _app,
            base,
            ocpp_url,
        ),
        httpx.AsyncClient(timeout=20) as client,
    ):
        headers = await admin_headers(client, base, database_url)

        # by hand: created Pending on its first connection; only BootNotification is answered
        async with charger_socket(ocpp_url, "HAND-1", ONBOARDING_PASSWORD, version) as socket:
            boot = await call(socket, "BootNotification", boot_payload(version))
            assert boot[0] == 3
            assert boot[2]["status"] == "Pending"
            assert boot[2]["interval"] == 600
            refused = await call(socket, "Heartbeat", {})
            assert refused[0] == 4
            assert refused[2] == "SecurityError"
        assert (await charger_row(client, base, headers, "HAND-1"))["registrationStatus"] == "pending"

        async with running(simulation(ocpp_url, "NEW-", version, ONBOARDING_PASSWORD)) as sim:
            charger = sim.chargers[0]

            async def pending() -> bool:
                row = await charger_row(client, base, headers, "NEW-00001")
                return bool(row.get("connected")) and row["registrationStatus"] == "pending" and sim.report.boots > 0

            await wait_for(pending, "the onboarded charger Pending")
            assert not charger.booted

            # the central system configures it while it is Pending
            if version == "1.6":
                read = await client.post(
                    f"{base}/v1/admin/chargers/NEW-00001/ocpp/GetConfiguration", json={}, headers=headers
                )
                assert read.status_code == 200, read.text
                assert "configurationKey" in read.json()
            else:
                read = await client.post(
                    f"{base}/v1/admin/chargers/NEW-00001/ocpp/GetVariables",
                    json={
                        "getVariableData": [
                            {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}
                        ]
                    },
                    headers=headers,
                )
                assert read.status_code == 200, read.text
                assert read.json()["getVariableResult"][0]["attributeStatus"] in {"Accepted", "UnknownVariable"}

            site = await charger_row(client, base, headers, "SITE-1")
            placeholder = (await charger_row(client, base, headers, "NEW-00001"))["locationId"]
            assert placeholder != site["locationId"]
            approved = await client.post(
                f"{base}/v1/admin/chargers/NEW-00001/approve", json={"locationId": site["locationId"]}, headers=headers
            )
            assert approved.status_code == 200, approved.text
            moved = await charger_row(client, base, headers, "NEW-00001")
            assert (moved["locationId"], moved["locationName"], moved["evses"]) == (
                site["locationId"],
                site["locationName"],
                1,
            )
            nowhere = await client.post(
                f"{base}/v1/admin/chargers/HAND-1/approve", json={"locationId": placeholder}, headers=headers
            )
            assert nowhere.status_code == 422  # the placeholder went with the move
            assert approved.json()["registrationStatus"] == "accepted"

            async def accepted() -> bool:
                row = await charger_row(client, base, headers, "NEW-00001")
                return charger.booted and row["passwordRotation"] is None and bool(row["connected"])

            await wait_for(accepted, "the approved charger Accepted with its own password")
            assert charger.password != ONBOARDING_PASSWORD
            assert await refused_with(ocpp_url, "NEW-00001", ONBOARDING_PASSWORD, version) == 401
            actions = [
                e["action"]
                for e in (await client.get(f"{base}/v1/admin/chargers/NEW-00001/audit", headers=headers)).json()
            ]
            assert "approve" in actions
            assert "password-rotation" in actions


async def test_unknown_chargers_are_refused_unless_they_bring_the_onboarding_password(database_url: str) -> None:
    async with served_app(database_url) as (_app, _base, ocpp_url):
        assert await refused_with(ocpp_url, "STRANGER-1", ONBOARDING_PASSWORD) == 401
    async with served_app(database_url, ocpp_onboarding_password=ONBOARDING_PASSWORD) as (_app, base, ocpp_url):
        assert await refused_with(ocpp_url, "STRANGER-2", "some-other-long-password") == 401
        assert await refused_with(ocpp_url, "STRANGER-3", ONBOARDING_PASSWORD) is None
        async with httpx.AsyncClient(timeout=20) as client:
            headers = await admin_headers(client, base, database_url)
            assert (await charger_row(client, base, headers, "STRANGER-2")) == {}
            assert (await charger_row(client, base, headers, "STRANGER-3"))["registrationStatus"] == "pending"


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_blocked_charger_is_rejected_with_the_retry_interval(database_url: str, version: str) -> None:
    await provision(database_url, "BLOCK-1")
    async with (
        served_app(database_url, ocpp_rejected_interval=1800) as (_app, base, ocpp_url),
        httpx.AsyncClient(timeout=20) as client,
    ):
        headers = await admin_headers(client, base, database_url)
        blocked = await client.post(f"{base}/v1/admin/chargers/BLOCK-1/block", headers=headers)
        assert blocked.status_code == 200, blocked.text
        assert (await charger_row(client, base, headers, "BLOCK-1"))["registrationStatus"] == "blocked"
        async with charger_socket(ocpp_url, "BLOCK-1", OLD_PASSWORD, version) as socket:
            boot = await call(socket, "BootNotification", boot_payload(version))
            assert (boot[2]["status"], boot[2]["interval"]) == ("Rejected", 1800)
            refused = await call(socket, "Heartbeat", {})
            assert (refused[0], refused[2]) == (4, "SecurityError")

            assert (await client.post(f"{base}/v1/admin/chargers/BLOCK-1/unblock", headers=headers)).status_code == 200
            boot = await call(socket, "BootNotification", boot_payload(version))
            assert boot[2]["status"] == "Accepted"
            heartbeat = await call(socket, "Heartbeat", {})
            assert heartbeat[0] == 3
        actions = [
            e["action"] for e in (await client.get(f"{base}/v1/admin/chargers/BLOCK-1/audit", headers=headers)).json()
        ]
        assert actions == ["unblock", "block"]
        missing = await client.post(f"{base}/v1/admin/chargers/NOBODY/block", headers=headers)
        assert missing.status_code == 404


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_pending_charger_may_send_what_the_central_system_triggers(database_url: str, version: str) -> None:
    async with (
        served_app(database_url, ocpp_onboarding_password=ONBOARDING_PASSWORD) as (_app, base, ocpp_url),
        httpx.AsyncClient(timeout=20) as client,
        charger_socket(ocpp_url, "HAND-T", ONBOARDING_PASSWORD, version) as socket,
    ):
        headers = await admin_headers(client, base, database_url)
        assert (await call(socket, "BootNotification", boot_payload(version)))[2]["status"] == "Pending"
        if version == "1.6":
            status: dict[str, Any] = {"connectorId": 1, "errorCode": "NoError", "status": "Available"}
        else:
            status = {
                "timestamp": "2026-01-01T00:00:00Z",
                "connectorStatus": "Available",
                "evseId": 1,
                "connectorId": 1,
            }
        assert (await call(socket, "StatusNotification", status))[2] == "SecurityError"  # not asked for

        async def charger_side() -> None:
            frame = json.loads(await socket.recv())
            assert frame[:3] == [2, frame[1], "TriggerMessage"]
            assert frame[3]["requestedMessage"] == "StatusNotification"
            await socket.send(json.dumps([3, frame[1], {"status": "Accepted"}]))

        answered, _ = await asyncio.gather(
            client.post(
                f"{base}/v1/admin/chargers/HAND-T/ocpp/TriggerMessage",
                json={"requestedMessage": "StatusNotification"},
                headers=headers,
            ),
            charger_side(),
        )
        assert answered.status_code == 200, answered.text
        assert (await call(socket, "StatusNotification", status))[0] == 3  # asked for: taken
        assert (await call(socket, "StatusNotification", status))[2] == "SecurityError"  # once


async def test_a_password_set_through_any_setvariables_path_is_a_rotation(database_url: str) -> None:
    await provision(database_url, "SETV-00001")
    async with (
        served_app(database_url) as (_app, base, ocpp_url),
        httpx.AsyncClient(timeout=20) as client,
        running(simulation(ocpp_url, "SETV-", "2.0.1", OLD_PASSWORD)) as sim,
    ):
        headers = await admin_headers(client, base, database_url)
        root = f"{base}/v1/admin/chargers/SETV-00001"

        async def online() -> bool:
            row = await charger_row(client, base, headers, "SETV-00001")
            return bool(row.get("connected")) and row.get("passwordRotation") is None

        await wait_for(online, "the charger online")
        password = {"component": "SecurityCtrlr", "variable": "BasicAuthPassword", "value": "x" * 20}
        other = {"component": "OCPPCommCtrlr", "variable": "HeartbeatInterval", "value": "120"}

        # with other variables the password is refused, by the device-model endpoint and the named command alike
        mixed = await client.post(f"{root}/variables/set", json={"variables": [password, other]}, headers=headers)
        assert mixed.status_code == 422, mixed.text
        named = await client.post(
            f"{root}/commands/set-variables", json={"variables": [password, other]}, headers=headers
        )
        assert named.status_code == 422, named.text
        assert sim.chargers[0].password == OLD_PASSWORD

        # alone, through the device-model endpoint, it is a rotation: the charger reconnects with it
        secret = "a-device-model-password"
        connections = sim.report.connections
        alone = await client.post(
            f"{root}/variables/set", json={"variables": [{**password, "value": secret}]}, headers=headers
        )
        assert alone.status_code == 200, alone.text
        assert alone.json()["variables"][0]["status"] == "Accepted"
        assert sim.chargers[0].password == secret

        async def reconnected() -> bool:
            row = await charger_row(client, base, headers, "SETV-00001")
            return sim.report.connections > connections and row["connected"] and row["passwordRotation"] is None

        await wait_for(reconnected, "the charger back with the password set through SetVariables")
        assert await refused_with(ocpp_url, "SETV-00001", OLD_PASSWORD, "2.0.1") == 401
        stored = (await client.get(f"{root}/variables", params={"component": "SecurityCtrlr"}, headers=headers)).text
        assert secret not in stored
        assert secret not in (await client.get(f"{root}/audit", headers=headers)).text
