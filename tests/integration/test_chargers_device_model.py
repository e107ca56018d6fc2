"""A charger's device model, monitoring, logs, customer information, display messages and firmware publishing, end
to end on SQLite and PostgreSQL: the app with its OCPP bridge, a simulated 2.0.1 (or 1.6) charger over a real
websocket, an operator using the admin API, and what the charger reported stored and shown."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from api.db.engine import create_engine, create_session_factory
from api.domain.chargers.device_model import DeviceModelService, list_variables
from api.domain.chargers.provisioning import add_charger
from api.domain.drivers.commands import add_user
from ocpp_bridge.device_model import ComponentVariable
from tests.e2e.ocpp_bridge.ocpp_charger_for_tests import charger
from tests.integration.conftest import empty_all_tables
from tests.integration.test_chargers_relay import (
    Factory,
    bridge_process,
    eventually,
    held_by,
    postgres_only,
    postgres_relay,
    provision,
    station,
)
from tests.integration.test_sessions import PASSWORD, Network, serve
from tests.support import database_session, make_settings, wait_for

CHARGER = "SES-00001"
ADMIN_PASSWORD = "operator password long"


async def _admin(client: httpx.AsyncClient, database_url: str) -> dict[str, str]:
    await add_user(
        make_settings(database_url=database_url),
        email="ops@example.com",
        password=ADMIN_PASSWORD,
        role="admin",
        name="Ops",
    )
    tokens = (await client.post("/v1/auth/login", json={"email": "ops@example.com", "password": ADMIN_PASSWORD})).json()
    return {"Authorization": f"Bearer {tokens['accessToken']}"}


Send = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]


def _operator(client: httpx.AsyncClient, headers: dict[str, str], charger_id: str = CHARGER) -> Send:
    async def send(command: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = await client.post(f"/v1/admin/chargers/{charger_id}/commands/{command}", json=body, headers=headers)
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()
        return result

    return send


async def _request(
    client: httpx.AsyncClient, headers: dict[str, str], kind: str, request_id: int, *, status: str | None = None
) -> dict[str, Any]:
    """The stored request once the charger has finished answering it."""

    async def finished() -> dict[str, Any] | None:
        answer = await client.get(f"/v1/admin/chargers/{CHARGER}/requests/{kind}/{request_id}", headers=headers)
        if answer.status_code != 200:
            return None
        found: dict[str, Any] = answer.json()
        return found if found["complete"] and (status is None or found["status"] == status) else None

    result: dict[str, Any] = await wait_for(finished, f"{kind} {request_id} complete")
    return result


async def _all_variables(client: httpx.AsyncClient, headers: dict[str, str], **filters: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params = {**filters, "limit": 5, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(f"/v1/admin/chargers/{CHARGER}/variables", params=params, headers=headers)).json()
        items.extend(page["items"])
        cursor = page["nextCursor"]
        if cursor is None:
            return items


def _value(variables: list[dict[str, Any]], component: str, variable: str, attribute: str = "Actual") -> Any:
    return next(
        v["value"]
        for v in variables
        if v["component"] == component and v["variable"] == variable and v["attributeType"] == attribute
    )


async def _report_and_variables(network: Network, client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    send = _operator(client, headers)
    assert await send("get-base-report", {"request_id": 41, "report_base": "FullInventory"}) == {
        "result": "status",
        "status": "Accepted",
        "reason": None,
    }
    report = await _request(client, headers, "report", 41)
    assert report["parts"] == 5  # 18 variables, 4 per NotifyReport
    refreshed = (await client.post(f"/v1/admin/chargers/{CHARGER}/variables/refresh", headers=headers)).json()
    assert (refreshed["ocppVersion"], refreshed["status"]) == ("2.0.1", "Accepted")
    assert (await _request(client, headers, "report", refreshed["requestId"]))["parts"] == 5

    variables = await _all_variables(client, headers)
    assert len(variables) == 19  # EVSE Power also has a MaxSet attribute
    power = [v for v in variables if v["component"] == "EVSE" and v["variable"] == "Power"]
    assert {(v["attributeType"], v["value"]) for v in power} == {("Actual", "0"), ("MaxSet", "22000")}
    assert all(v["evseId"] == 1 and v["unit"] == "W" and v["dataType"] == "decimal" for v in power)
    heartbeat = next(v for v in variables if v["variable"] == "HeartbeatInterval")
    assert (heartbeat["mutability"], heartbeat["supportsMonitoring"]) == ("ReadWrite", True)

    connectors = await _all_variables(client, headers, component="Connector", evse=1)
    assert {(v["variable"], v["evseId"], v["connectorId"]) for v in connectors} == {
        ("ConnectorType", 1, 1),
        ("AvailabilityState", 1, 1),
    }

    # Ten variables in one request; the charger takes four per message (its DeviceDataCtrlr.ItemsPerMessage).
    wanted: list[dict[str, Any]] = [
        {"component": "DeviceDataCtrlr", "variable": "ItemsPerMessage", "variableInstance": "GetVariables"},
        {"component": "OCPPCommCtrlr", "variable": "HeartbeatInterval"},
        {"component": "SampledDataCtrlr", "variable": "TxUpdatedInterval"},
        {"component": "AlignedDataCtrlr", "variable": "Interval"},
        {"component": "AuthCtrlr", "variable": "AuthorizeRemoteStart"},
        {"component": "SecurityCtrlr", "variable": "SecurityProfile"},
        {"component": "EVSE", "variable": "Power", "evseId": 1, "attributeType": "MaxSet"},
        {"component": "Connector", "variable": "ConnectorType", "evseId": 1, "connectorId": 1},
        {"component": "OCPPCommCtrlr", "variable": "NoSuchVariable"},
        {"component": "NoSuchCtrlr", "variable": "Enabled"},
    ]
    answer = await client.post(
        f"/v1/admin/chargers/{CHARGER}/variables/get", json={"variables": wanted}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    read = answer.json()
    assert read["messages"] == 3
    assert [(o["component"], o["variable"]) for o in read["variables"]] == [
        (w["component"], w["variable"]) for w in wanted
    ]
    assert [o["status"] for o in read["variables"]][-3:] == ["Accepted", "UnknownVariable", "UnknownComponent"]
    assert [o["value"] for o in read["variables"]][:2] == ["4", "300"]
    assert read["variables"][6]["value"] == "22000"

    written = await client.post(
        f"/v1/admin/chargers/{CHARGER}/variables/set",
        json={
            "variables": [
                {"component": "OCPPCommCtrlr", "variable": "HeartbeatInterval", "value": "120"},
                {"component": "SecurityCtrlr", "variable": "SecurityProfile", "value": "3"},
            ]
        },
        headers=headers,
    )
    assert written.status_code == 200, written.text
    assert [o["status"] for o in written.json()["variables"]] == ["Accepted", "Rejected"]
    stored = await _all_variables(client, headers)
    assert _value(stored, "OCPPCommCtrlr", "HeartbeatInterval") == "120"
    assert _value(stored, "SecurityCtrlr", "SecurityProfile") == "1"

    # A new report replaces what it reports: the charger now says 120 too.
    await send("get-report", {"request_id": 42, "component_variables": [{"component": "OCPPCommCtrlr"}]})
    again = await _request(client, headers, "report", 42)
    assert again["parts"] == 1
    assert (
        _value(await _all_variables(client, headers, component="OCPPCommCtrlr"), "OCPPCommCtrlr", "HeartbeatInterval")
        == "120"
    )
    assert len(await _all_variables(client, headers)) == 19


async def _monitoring(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    send = _operator(client, headers)
    monitor = {"component": "EVSE", "variable": "Power", "evse_id": 1, "kind": "UpperThreshold", "value": 7400}
    set_ = await send("set-variable-monitoring", {"monitors": [monitor]})
    assert [(m["status"], m["monitor_id"]) for m in set_["monitors"]] == [("Accepted", 1)]
    assert (await send("get-monitoring-report", {"request_id": 79}))["status"] == "Accepted"
    await _request(client, headers, "monitoring-report", 79)
    monitors = (await client.get(f"/v1/admin/chargers/{CHARGER}/monitors", headers=headers)).json()
    assert [(m["monitorId"], m["kind"], m["value"], m["variable"]) for m in monitors] == [
        (1, "UpperThreshold", 7400.0, "Power")
    ]
    cleared = await send("clear-variable-monitoring", {"monitor_ids": [1, 9]})
    assert [(m["monitor_id"], m["status"]) for m in cleared["monitors"]] == [(1, "Accepted"), (9, "NotFound")]
    assert (await send("set-monitoring-level", {"severity": 4}))["status"] == "Accepted"
    assert (await send("set-monitoring-base", {"monitoring_base": "HardWiredOnly"}))["status"] == "Accepted"


async def _logs_customers_messages_firmware(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    send = _operator(client, headers)
    log = await send("get-log", {"remote_location": "https://logs.example/upload", "request_id": 77})
    assert log["status"] == "Accepted"
    upload = await _request(client, headers, "log", 77, status="Uploaded")
    assert [step["status"] for step in upload["detail"]["history"]] == ["Uploading", "Uploaded"]

    asked = await send("customer-information", {"request_id": 78, "customer_identifier": "driver-17"})
    assert asked["status"] == "Accepted"
    customer = await _request(client, headers, "customer-information", 78)
    assert customer["parts"] == 2
    assert customer["data"] == f"Customer driver-17 at {CHARGER}: no transactions stored, no local list entry."

    shown = await send(
        "set-display-message", {"message_id": 5, "content": "Cable stuck? Call us", "priority": "InFront"}
    )
    assert shown["status"] == "Accepted"
    assert (await send("get-display-messages", {"request_id": 80}))["status"] == "Accepted"
    messages = await _request(client, headers, "display-messages", 80)
    assert [(m["messageId"], m["content"], m["priority"]) for m in messages["detail"]["items"]] == [
        (5, "Cable stuck? Call us", "InFront")
    ]
    assert (await send("clear-display-message", {"message_id": 5}))["status"] == "Accepted"
    assert (await send("get-display-messages", {"request_id": 81}))["status"] == "Unknown"

    published = await send(
        "publish-firmware", {"location": "https://fw.example/v2.bin", "checksum": "a" * 32, "request_id": 82}
    )
    assert published["status"] == "Accepted"
    firmware = await _request(client, headers, "publish-firmware", 82, status="Published")
    assert firmware["detail"]["locations"] == [f"http://{CHARGER.lower()}.local/firmware/{'a' * 32}.bin"]
    assert (await send("unpublish-firmware", {"checksum": "a" * 32}))["status"] == "Unpublished"

    assert (await send("reset", {"kind": "Soft", "evse_id": 1}))["status"] == "Accepted"
    assert (await send("reset", {"kind": "Soft", "evse_id": 2}))["status"] == "Rejected"
    assert await send("get-transaction-status", {}) == {
        "result": "transaction-status",
        "messages_in_queue": False,
        "ongoing_indicator": None,
    }
    status = await send("get-transaction-status", {"transaction_id": "not-running"})
    assert (status["ongoing_indicator"], status["messages_in_queue"]) == (False, False)
    profile = {"ocpp_csms_url": "wss://csms.example/ocpp", "security_profile": 2}
    assert (await send("set-network-profile", {"configuration_slot": 2, "connection_data": profile}))[
        "status"
    ] == "Accepted"

    listed = (await client.get(f"/v1/admin/chargers/{CHARGER}/requests", headers=headers)).json()
    assert {r["kind"] for r in listed} == {
        "report",
        "monitoring-report",
        "log",
        "customer-information",
        "display-messages",
        "publish-firmware",
    }
    logs = (await client.get(f"/v1/admin/chargers/{CHARGER}/requests", params={"kind": "log"}, headers=headers)).json()
    assert [(r["requestId"], r["status"]) for r in logs] == [(77, "Uploaded")]


async def test_a_201_chargers_device_model_is_stored_and_worked_on(database_url: str) -> None:
    async with (
        serve(database_url, chargers=1, version="2.0.1") as network,
        httpx.AsyncClient(base_url=network.base, timeout=20) as client,
    ):
        headers = await _admin(client, database_url)
        await _report_and_variables(network, client, headers)
        await _monitoring(client, headers)
        await _logs_customers_messages_firmware(client, headers)


EVENT = {
    "eventId": 31,
    "timestamp": "2026-06-01T12:00:00Z",
    "trigger": "Alerting",
    "cause": 30,
    "actualValue": "7800",
    "techCode": "OVR-1",
    "techInfo": "power above the monitor",
    "cleared": False,
    "transactionId": "tx-88",
    "component": {"name": "EVSE", "evse": {"id": 1}},
    "variableMonitoringId": 3,
    "eventNotificationType": "CustomMonitor",
    "variable": {"name": "Power"},
}
FAULT = {
    "eventId": 30,
    "timestamp": "2026-06-01T11:59:00Z",
    "trigger": "Delta",
    "actualValue": "Faulted",
    "component": {"name": "Connector", "instance": "left", "evse": {"id": 1, "connectorId": 1}},
    "eventNotificationType": "HardWiredNotification",
    "variable": {"name": "AvailabilityState"},
}


async def test_notify_event_is_stored_once_and_listed_newest_first(database_url: str) -> None:
    async with serve(database_url, chargers=1, version="2.0.1") as network:
        async with database_session(database_url) as session:
            await add_charger(session, ocpp_id="DM-HAND", password=PASSWORD, country_code="NL", party_id="VWY")
            await session.commit()
        port = int(network.ocpp_url.rsplit(":", 1)[1].split("/")[0])
        async with httpx.AsyncClient(base_url=network.base, timeout=20) as client:
            headers = await _admin(client, database_url)
            async with charger(port, "DM-HAND", "2.0.1", password=PASSWORD) as station:
                message = {"generatedAt": "2026-06-01T12:00:01Z", "seqNo": 0, "eventData": [FAULT, EVENT]}
                assert await station.call("NotifyEvent", message) == {}
                assert await station.call("NotifyEvent", message) == {}  # sent again after a lost answer
            page = (await client.get("/v1/admin/chargers/DM-HAND/events", headers=headers)).json()
    assert page["total"] == 2
    alert, fault = page["items"]
    assert alert == {
        "eventId": 31,
        "timestamp": "2026-06-01T12:00:00Z",
        "trigger": "Alerting",
        "actualValue": "7800",
        "component": "EVSE",
        "variable": "Power",
        "notificationType": "CustomMonitor",
        "cleared": False,
        "cause": 30,
        "techCode": "OVR-1",
        "techInfo": "power above the monitor",
        "transactionId": "tx-88",
        "componentInstance": None,
        "variableInstance": None,
        "evseId": 1,
        "connectorId": None,
        "variableMonitoringId": 3,
    }
    assert (fault["componentInstance"], fault["evseId"], fault["connectorId"]) == ("left", 1, 1)


async def test_a_16_charger_uploads_logs_and_answers_extended_triggers(database_url: str) -> None:
    async with (
        serve(database_url, chargers=1, version="1.6") as network,
        httpx.AsyncClient(base_url=network.base, timeout=20) as client,
    ):
        headers = await _admin(client, database_url)
        send = _operator(client, headers)
        log = await send(
            "get-log", {"remote_location": "ftp://logs.example/", "request_id": 5, "log_type": "SecurityLog"}
        )
        assert log["status"] == "Accepted"
        upload = await _request(client, headers, "log", 5, status="Uploaded")
        assert [step["status"] for step in upload["detail"]["history"]] == ["Uploading", "Uploaded"]
        assert (await send("extended-trigger-message", {"message": "LogStatusNotification"}))["status"] == "Accepted"
        trigger = {"message": "StatusNotification", "connector_id": 1}
        assert (await send("extended-trigger-message", trigger))["status"] == "Accepted"
        refused = await client.post(
            f"/v1/admin/chargers/{CHARGER}/commands/get-base-report", json={"request_id": 1}, headers=headers
        )
        assert refused.status_code == 422
        assert "OCPP 2.0.1" in json.dumps(refused.json())


@postgres_only
async def test_variables_are_read_on_a_charger_held_by_another_process(database_url: str) -> None:
    """Many variables through the relay: each command's answer fits PostgreSQL's NOTIFY, in order, split by the
    charger's limit on the process that holds it."""
    engine = create_engine(database_url)
    try:
        await _read_through_the_relay(database_url, create_session_factory(engine))
    finally:
        await engine.dispose()
        await empty_all_tables(database_url)


async def _read_through_the_relay(database_url: str, factory: Factory) -> None:
    await provision(factory, "CP-DM-REL")
    station_id = (await station(factory, "CP-DM-REL")).id
    relay_a = postgres_relay(database_url, factory, "process-a")
    relay_b = postgres_relay(database_url, factory, "process-b")
    async with (
        bridge_process(relay_a) as here,
        bridge_process(relay_b) as there,
        charger(there.port, "CP-DM-REL", "2.0.1") as station_b,
    ):
        await eventually(held_by(factory, "CP-DM-REL", "process-b", connected=True))
        station_b.answers["GetVariables"] = lambda payload: {
            "getVariableResult": [
                {
                    "component": item["component"],
                    "variable": item["variable"],
                    "attributeStatus": "Accepted",
                    "attributeValue": "4" if item["variable"]["name"] == "ItemsPerMessage" else "v" * 200,
                }
                for item in payload["getVariableData"]
            ]
        }
        service = DeviceModelService(factory, here)
        wanted = [ComponentVariable(component="Controller", variable=f"Variable{n:03d}") for n in range(60)]
        result = await service.get_variables(station_id, "CP-DM-REL", wanted)
    assert [o.variable for o in result.variables] == [w.variable for w in wanted]
    assert result.messages == 15  # 4 per GetVariables, on the holding process
    async with factory() as session:
        page = await list_variables(session, station_id, component="Controller", limit=1000)
    assert page.total == 60
    assert all(item.value == "v" * 200 for item in page.items)
