"""A charger's diagnostics as a support agent reads them: its last OCPP messages (the bridge's journal) and its
recent faults, over the app served with its bridge and chargers on real websockets, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from api.domain.drivers.commands import add_user
from tests.integration.test_chargers_registration import (
    OLD_PASSWORD,
    admin_headers,
    charger_socket,
    provision,
    simulation,
)
from tests.integration.test_sessions import running, served_app
from tests.support import make_settings, wait_for

AGENT_PASSWORD = "long enough agent password"


async def agent_headers(client: httpx.AsyncClient, base: str, database_url: str) -> dict[str, str]:
    settings = make_settings(database_url=database_url)
    await add_user(settings, email="help@example.com", password=AGENT_PASSWORD, role="agent", name="Help")
    tokens = (
        await client.post(f"{base}/v1/auth/login", json={"email": "help@example.com", "password": AGENT_PASSWORD})
    ).json()
    return {"Authorization": f"Bearer {tokens['accessToken']}"}


def _seen(view: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(e["direction"], e["messageType"], e["action"]) for e in view["entries"]}


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_an_agent_reads_a_chargers_last_messages(database_url: str, version: str) -> None:
    await provision(database_url, "JNL-00001", "JNL-IDLE")
    async with served_app(database_url) as (_app, base, ocpp_url), httpx.AsyncClient(timeout=20) as client:
        admin = await admin_headers(client, base, database_url)
        agent = await agent_headers(client, base, database_url)
        url = f"{base}/v1/admin/chargers/JNL-00001/journal"

        async with running(simulation(ocpp_url, "JNL-", version, OLD_PASSWORD)) as sim:

            async def booted() -> dict[str, Any] | None:
                view = (await client.get(url, headers=agent)).json()
                wanted = {
                    ("charger->csms", "Call", "BootNotification"),
                    ("csms->charger", "CallResult", "BootNotification"),
                    ("charger->csms", "Call", "StatusNotification"),
                }
                return view if wanted <= _seen(view) else None

            view = await wait_for(booted, "the boot in the journal")
            assert view["available"] is True
            assert view["connected"] is True
            assert view["connections"][-1]["event"] == "connected"
            assert view["connections"][-1]["ocppVersion"] == version
            boot = next(e for e in view["entries"] if e["action"] == "BootNotification" and e["messageType"] == "Call")
            assert boot["payload"]  # the charger's own words, decoded
            times = [e["at"] for e in view["entries"]]
            assert times == sorted(times)  # newest last

            # A Heartbeat asked for: our TriggerMessage, its answer, the charger's Heartbeat and ours.
            triggered = await client.post(
                f"{base}/v1/admin/chargers/JNL-00001/commands/trigger-message",
                headers=admin,
                json={"message": "Heartbeat"},
            )
            assert triggered.status_code == 200, triggered.text

            async def heartbeat() -> bool:
                seen = _seen((await client.get(url, headers=agent)).json())
                return {
                    ("csms->charger", "Call", "TriggerMessage"),
                    ("charger->csms", "CallResult", "TriggerMessage"),
                    ("charger->csms", "Call", "Heartbeat"),
                    ("csms->charger", "CallResult", "Heartbeat"),
                } <= seen

            await wait_for(heartbeat, "the triggered Heartbeat in the journal")

            # A new charger password crosses the socket; the journal never shows it.
            rotated = await client.post(f"{base}/v1/admin/chargers/JNL-00001/password", headers=admin)
            assert rotated.status_code == 200, rotated.text
            secret = sim.chargers[0].password
            assert secret is not None
            answer = await client.get(url, headers=agent, params={"limit": 500})
            assert answer.status_code == 200
            assert "[redacted]" in answer.text
            assert secret not in answer.text
            assert secret.encode().hex() not in answer.text
            setting = "ChangeConfiguration" if version == "1.6" else "SetVariables"
            assert ("csms->charger", "Call", setting) in _seen(answer.json())

            last_two = (await client.get(url, headers=agent, params={"limit": 2})).json()["entries"]
            assert len(last_two) == 2
            assert last_two[-1]["at"] >= last_two[0]["at"]

        # Gone from the socket: the journal is kept, with the drop.
        async def dropped() -> dict[str, Any] | None:
            view = (await client.get(url, headers=agent)).json()
            return view if view["connected"] is False else None

        kept = await wait_for(dropped, "the charger gone")
        assert kept["available"] is True
        assert kept["connections"][-1]["event"] == "disconnected"
        assert kept["entries"]

        never = (await client.get(f"{base}/v1/admin/chargers/JNL-IDLE/journal", headers=agent)).json()
        assert never["available"] is False
        assert never["detail"]
        assert never["entries"] == []
        unknown = await client.get(f"{base}/v1/admin/chargers/NO-SUCH/journal", headers=agent)
        assert unknown.status_code == 404
        bad = await client.get(url, headers=agent, params={"limit": 0})
        assert bad.status_code == 422


async def test_an_agent_reads_a_chargers_recent_faults(database_url: str) -> None:
    await provision(database_url, "FLT-00001")
    async with served_app(database_url) as (_app, base, ocpp_url), httpx.AsyncClient(timeout=20) as client:
        agent = await agent_headers(client, base, database_url)
        async with charger_socket(ocpp_url, "FLT-00001", OLD_PASSWORD, "1.6") as socket:
            await socket.send(
                json.dumps([2, "b1", "BootNotification", {"chargePointVendor": "H", "chargePointModel": "M"}])
            )
            assert json.loads(await socket.recv())[0] == 3
            for n, (status, code) in enumerate([("Available", "NoError"), ("Faulted", "GroundFailure")]):
                status_notification = {"connectorId": 1, "status": status, "errorCode": code, "info": "RCD tripped"}
                await socket.send(json.dumps([2, f"s{n}", "StatusNotification", status_notification]))
                assert json.loads(await socket.recv())[0] == 3

            async def faulted() -> list[dict[str, Any]]:
                answer = await client.get(f"{base}/v1/admin/chargers/FLT-00001/faults", headers=agent)
                assert answer.status_code == 200, answer.text
                faults: list[dict[str, Any]] = answer.json()
                return faults

            faults = await wait_for(faulted, "the fault logged")
            assert [fault["kind"] for fault in faults] == ["ConnectorFault"]
            assert "GroundFailure" in json.dumps(faults[0]["detail"])

            journal = (await client.get(f"{base}/v1/admin/chargers/FLT-00001/journal", headers=agent)).json()
            faulted_status = [
                e["payload"]
                for e in journal["entries"]
                if e["action"] == "StatusNotification" and e["messageType"] == "Call"
            ]
            assert faulted_status[-1]["errorCode"] == "GroundFailure"
        missing = await client.get(f"{base}/v1/admin/chargers/NO-SUCH/faults", headers=agent)
        assert missing.status_code == 404
