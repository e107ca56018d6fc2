"""Upgrade checks, connection lifecycle, command correlation, queueing, timeouts and the relay between processes."""

from __future__ import annotations

import asyncio
import shutil
import ssl
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from ocpp_bridge import commands, errors
from ocpp_bridge.config import BridgeConfig
from ocpp_bridge.events import ChargerBooted, ChargerConnected, ChargerDisconnected
from ocpp_bridge.server import REPLACED_CLOSE_REASON, CentralSystem
from tests.e2e.ocpp_bridge.backend_for_tests import TEST_PASSWORD, RecordingBackend, RecordingRelay, running_bridge
from tests.e2e.ocpp_bridge.ocpp_charger_for_tests import basic_auth, charger


async def refused_status(url: str, subprotocols: list[str] | None, headers: dict[str, str]) -> InvalidStatus:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url, subprotocols=subprotocols, additional_headers=headers):  # type: ignore[arg-type]
            pass
    return refused.value


@pytest.mark.parametrize(
    ("charger_id", "headers"),
    [
        ("CP-AUTH", {}),
        ("CP-AUTH", basic_auth("CP-AUTH", "wrong")),
        ("UNKNOWN-1", basic_auth("UNKNOWN-1", TEST_PASSWORD)),
        ("CP-AUTH", basic_auth("CP-OTHER", TEST_PASSWORD)),
        ("CP-AUTH", {"Authorization": "Basic !!!not-base64"}),
    ],
    ids=["no-credentials", "wrong-password", "unknown-charger", "username-mismatch", "malformed-header"],
)
async def test_bad_credentials_get_401(charger_id: str, headers: dict[str, str]) -> None:
    async with running_bridge() as (bridge, backend):
        refused = await refused_status(f"ws://127.0.0.1:{bridge.port}/ocpp/{charger_id}", ["ocpp1.6"], headers)
        assert refused.response.status_code == 401
        assert "Basic" in refused.response.headers["WWW-Authenticate"]
        assert not backend.events


async def test_charger_without_password_when_backend_allows_it() -> None:
    backend = RecordingBackend({"CP-OPEN": None})
    async with (
        running_bridge(backend) as (bridge, _),
        connect(f"ws://127.0.0.1:{bridge.port}/ocpp/CP-OPEN", subprotocols=["ocpp1.6"]) as ws,  # type: ignore[list-item]
    ):
        assert ws.subprotocol == "ocpp1.6"


@pytest.mark.parametrize("offered", [["ocpp1.5"], None], ids=["unsupported", "none"])
async def test_unsupported_subprotocol_is_refused_with_reason(offered: list[str] | None) -> None:
    async with running_bridge() as (bridge, _backend):
        url = f"ws://127.0.0.1:{bridge.port}/ocpp/CP-SUB"
        refused = await refused_status(url, offered, basic_auth("CP-SUB", TEST_PASSWORD))
        assert refused.response.status_code == 400
        assert b"ocpp1.6 or ocpp2.0.1" in refused.response.body


async def test_subprotocol_follows_the_chargers_preference_and_paths() -> None:
    async with running_bridge() as (bridge, _backend):
        headers = basic_auth("CP-PREF", TEST_PASSWORD)
        url = f"ws://127.0.0.1:{bridge.port}/CP-PREF"
        async with connect(url, subprotocols=["ocpp2.0.1", "ocpp1.6"], additional_headers=headers) as ws:  # type: ignore[list-item]
            assert ws.subprotocol == "ocpp2.0.1"
        refused = await refused_status(f"ws://127.0.0.1:{bridge.port}/a/b/c", ["ocpp1.6"], headers)
        assert refused.response.status_code == 404


async def test_second_connection_replaces_the_first() -> None:
    async with running_bridge() as (bridge, backend), charger(bridge.port, "CP-DUP") as first:
        await first.call("Heartbeat", {})
        async with charger(bridge.port, "CP-DUP", "2.0.1") as second:
            await first.wait_closed()
            assert first.websocket.close_reason == REPLACED_CLOSE_REASON
            assert (await second.call("Heartbeat", {}))["currentTime"]
            assert bridge.session("CP-DUP") is not None
            assert bridge.session("CP-DUP").ocpp_version == "2.0.1"  # type: ignore[union-attr]
            result = await bridge.send_command("CP-DUP", commands.ClearCache())
            assert result == commands.StatusResult(status="Rejected", reason="NoCache")
        await backend.wait_for(ChargerDisconnected, count=2)
        kinds = [type(e).__name__ for e in backend.events if isinstance(e, ChargerConnected | ChargerDisconnected)]
        assert kinds == ["ChargerConnected", "ChargerDisconnected", "ChargerConnected", "ChargerDisconnected"]
        assert not bridge.is_connected("CP-DUP")


async def test_connectivity_events_and_last_message_time() -> None:
    async with running_bridge() as (bridge, backend):
        async with charger(bridge.port, "CP-LIVE") as cp:
            connected = await backend.wait_for(ChargerConnected)
            assert connected[0].remote_address == "127.0.0.1"
            [info] = bridge.chargers()
            assert info.last_message_at is None
            await cp.call("Heartbeat", {})
            [info] = bridge.chargers()
            assert info.last_message_at is not None
            assert info.last_message_at >= info.connected_at
        [gone] = await backend.wait_for(ChargerDisconnected)
        assert gone.charger_id == "CP-LIVE"
        assert gone.close_code == 1000
        assert bridge.chargers() == []


async def test_backend_awaiting_a_command_inside_a_handler_does_not_deadlock() -> None:
    async with running_bridge() as (bridge, backend), charger(bridge.port, "CP-NODEADLOCK") as cp:
        results: list[commands.CommandResult] = []

        async def configure_on_boot(event: ChargerBooted) -> None:
            results.append(await bridge.send_command(event.charger_id, commands.GetConfiguration()))

        backend.on_boot_hook = configure_on_boot
        boot = await cp.call("BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"})
        assert boot["status"] == "Accepted"
        assert isinstance(results[0], commands.ConfigurationResult)


async def test_commands_are_sent_one_at_a_time() -> None:
    async with running_bridge() as (bridge, _backend), charger(bridge.port, "CP-QUEUE") as cp:
        cp.answer_delay = 0.05
        requests: list[commands.CommandRequest] = [
            commands.Reset(),
            commands.ClearCache(),
            commands.Unlock(connector_id=1),
            commands.ClearCache(),
        ]
        results = await asyncio.gather(*(bridge.send_command("CP-QUEUE", r) for r in requests))
        assert [r.status for r in results] == ["Accepted", "Accepted", "Unlocked", "Accepted"]  # type: ignore[union-attr]
        assert cp.max_in_flight == 1
        assert [action for action, _ in cp.received_commands] == [
            "Reset",
            "ClearCache",
            "UnlockConnector",
            "ClearCache",
        ]


async def test_command_timeout_then_late_reply_is_ignored() -> None:
    async with running_bridge() as (bridge, _backend), charger(bridge.port, "CP-SLOW") as cp:
        cp.answer_delay = 0.4
        with pytest.raises(errors.CommandTimeout):
            await bridge.send_command("CP-SLOW", commands.Reset(), reply_timeout=0.1)
        cp.answer_delay = 0.0
        await asyncio.sleep(0.4)  # the late reply arrives and matches nothing
        assert (await bridge.send_command("CP-SLOW", commands.Reset())).status == "Accepted"  # type: ignore[union-attr]


async def test_disconnect_fails_the_pending_command() -> None:
    async with running_bridge() as (bridge, _backend), charger(bridge.port, "CP-DROP") as cp:
        cp.answer_delay = 5
        pending = asyncio.create_task(bridge.send_command("CP-DROP", commands.Reset()))
        await asyncio.sleep(0.1)
        await cp.websocket.close()
        with pytest.raises(errors.ChargerDisconnected):
            await pending


async def test_commands_reach_chargers_held_by_another_process_through_the_relay() -> None:
    relay = RecordingRelay()
    async with running_bridge(relay=relay) as (here, _), running_bridge(relay=relay) as (there, there_backend):
        relay.peers = [here, there]
        async with charger(there.port, "CP-FAR") as cp:
            await asyncio.sleep(0.05)
            assert relay.attached == {"CP-FAR": "1.6"}
            result = await here.send_command("CP-FAR", commands.Unlock(connector_id=1))
            assert result == commands.StatusResult(status="Unlocked")
            assert relay.forwarded == [("CP-FAR", "Unlock")]
            assert cp.received_commands == [("UnlockConnector", {"connectorId": 1})]
        await there_backend.wait_for(ChargerDisconnected)
        with pytest.raises(errors.ChargerNotConnected):
            await here.send_command("CP-FAR", commands.Reset())
        with pytest.raises(errors.ChargerNotConnected):
            await there.execute_relayed_command("CP-FAR", commands.Reset())
        assert relay.attached == {}


async def test_command_to_unknown_charger_without_relay() -> None:
    async with running_bridge() as (bridge, _backend):
        with pytest.raises(errors.ChargerNotConnected):
            await bridge.send_command("CP-NOBODY", commands.ClearCache())


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command to make a test certificate")
async def test_tls_security_profile_2(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    openssl = await asyncio.create_subprocess_exec(
        "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
        "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert await openssl.wait() == 0
    backend = RecordingBackend({"CP-TLS": TEST_PASSWORD})
    config = BridgeConfig(host="127.0.0.1", port=0, tls_cert_path=str(cert), tls_key_path=str(key), ping_interval=None)
    async with CentralSystem(backend, config) as bridge:
        client_context = ssl.create_default_context(cafile=str(cert))
        url = f"wss://127.0.0.1:{bridge.port}/ocpp/CP-TLS"
        headers = basic_auth("CP-TLS", TEST_PASSWORD)
        async with connect(url, subprotocols=["ocpp1.6"], additional_headers=headers, ssl=client_context) as ws:  # type: ignore[list-item]
            await ws.send('[2,"1","Heartbeat",{}]')
            assert '"currentTime"' in str(await ws.recv())
        with pytest.raises((ConnectionClosed, OSError, InvalidHandshake)):
            async with connect(f"ws://127.0.0.1:{bridge.port}/ocpp/CP-TLS", subprotocols=["ocpp1.6"]) as ws:  # type: ignore[list-item]
                await ws.recv()
