"""Any OCPP message a central system sends, by its action name, from the admin API: checked against the schema of
the charger's version, answered with the charger's reply, and audited. Simulated chargers over real websockets."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.integration.test_chargers_registration import (
    OLD_PASSWORD,
    admin_headers,
    charger_row,
    provision,
    simulation,
)
from tests.integration.test_sessions import running, served_app
from tests.support import wait_for

# action, payload, what the answer holds
GOOD_CALLS: dict[str, list[tuple[str, dict[str, Any], str]]] = {
    "1.6": [
        ("GetConfiguration", {"key": ["HeartbeatInterval"]}, "configurationKey"),
        ("ClearCache", {}, "status"),
        ("TriggerMessage", {"requestedMessage": "Heartbeat"}, "status"),
        ("ChangeAvailability", {"connectorId": 0, "type": "Operative"}, "status"),
    ],
    "2.0.1": [
        (
            "GetVariables",
            {"getVariableData": [{"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}]},
            "getVariableResult",
        ),
        ("ClearCache", {}, "status"),
        ("TriggerMessage", {"requestedMessage": "Heartbeat"}, "status"),
        ("ChangeAvailability", {"operationalStatus": "Operative"}, "status"),
    ],
}
BAD_PAYLOAD = {
    "1.6": ("ChangeAvailability", {"connectorId": "one", "type": "Operative"}, "$.connectorId"),
    "2.0.1": ("ChangeAvailability", {"operationalStatus": "Sideways"}, "$.operationalStatus"),
}
OTHER_VERSION = {"1.6": "GetVariables", "2.0.1": "RemoteStartTransaction"}
# Answered NotImplemented by a charger without the local authorisation list feature.
NOT_SIMULATED: dict[str, tuple[str, dict[str, Any]]] = {
    "1.6": ("GetLocalListVersion", {}),
    "2.0.1": ("GetLocalListVersion", {}),
}


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_any_message_of_the_chargers_version_is_sent_by_name(database_url: str, version: str) -> None:
    await provision(database_url, "GEN-00001", "GEN-OFFLINE")
    async with (
        served_app(database_url) as (_app, base, ocpp_url),
        httpx.AsyncClient(timeout=20) as client,
        running(
            simulation(
                ocpp_url, "GEN-", version, OLD_PASSWORD, unsupported_actions=frozenset({NOT_SIMULATED[version][0]})
            )
        ) as sim,
    ):
        headers = await admin_headers(client, base, database_url)

        async def online() -> bool:
            row = await charger_row(client, base, headers, "GEN-00001")
            return bool(row.get("connected")) and row.get("ocppVersion") == version

        await wait_for(online, "the charger online")
        path = f"{base}/v1/admin/chargers/GEN-00001/ocpp"

        listed = (await client.get(path, headers=headers)).json()
        assert listed["ocppVersion"] == version
        assert {"TriggerMessage", "Reset", "SetChargingProfile"} <= set(listed["actions"])
        assert "BootNotification" not in listed["actions"]
        assert OTHER_VERSION[version] not in listed["actions"]

        received = sim.report.commands_received
        for action, payload, field in GOOD_CALLS[version]:
            answer = await client.post(f"{path}/{action}", json=payload, headers=headers)
            assert answer.status_code == 200, (action, answer.text)
            assert field in answer.json(), (action, answer.json())
        assert sim.report.commands_received == received + len(GOOD_CALLS[version])

        action, payload, field = BAD_PAYLOAD[version]
        invalid = await client.post(f"{path}/{action}", json=payload, headers=headers)
        assert invalid.status_code == 422, invalid.text
        assert invalid.headers["content-type"] == "application/problem+json"
        assert invalid.json()["errors"][0]["field"] == field

        other = await client.post(f"{path}/{OTHER_VERSION[version]}", json={}, headers=headers)
        assert other.status_code == 404, other.text
        charger_to_csms = await client.post(f"{path}/Heartbeat", json={}, headers=headers)
        assert charger_to_csms.status_code == 404

        action, payload = NOT_SIMULATED[version]
        call_error = await client.post(f"{path}/{action}", json=payload, headers=headers)
        assert call_error.status_code == 502, call_error.text
        assert "NotImplemented" in call_error.json()["detail"]
        assert sim.report.commands_received == received + len(GOOD_CALLS[version]) + 1  # bad ones never left

        unknown = await client.post(f"{base}/v1/admin/chargers/NOBODY/ocpp/ClearCache", json={}, headers=headers)
        assert unknown.status_code == 404
        assert (await client.get(f"{base}/v1/admin/chargers/NOBODY/ocpp", headers=headers)).status_code == 404
        named_unknown = await client.post(f"{base}/v1/admin/chargers/NOBODY/commands/reset", json={}, headers=headers)
        assert named_unknown.status_code == 404
        offline = await client.post(f"{base}/v1/admin/chargers/GEN-OFFLINE/commands/reset", json={}, headers=headers)
        assert offline.status_code == 409
        named = await client.post(f"{base}/v1/admin/chargers/GEN-00001/commands/clear-cache", json={}, headers=headers)
        assert named.status_code == 200

        trail = (await client.get(f"{base}/v1/admin/chargers/GEN-00001/audit", headers=headers)).json()
        audited = [(entry["action"], entry["outcome"]) for entry in reversed(trail)]
        assert audited == [
            *((action, "answered" if field != "status" else "Accepted") for action, _, field in GOOD_CALLS[version]),
            (NOT_SIMULATED[version][0], "CallError NotImplemented"),
            ("clear-cache", "Accepted"),
        ]
        assert all(entry["actor"].startswith("admin ") for entry in trail)
        assert trail[-1]["payload"] == GOOD_CALLS[version][0][1]
        offline_trail = (await client.get(f"{base}/v1/admin/chargers/GEN-OFFLINE/audit", headers=headers)).json()
        assert [(e["action"], e["outcome"]) for e in offline_trail] == [("reset", "not_connected")]
