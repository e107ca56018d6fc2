"""What the bridge tells its observer (the metrics of the application): connections by OCPP version, every Call
answered with its action, handler time and CallError code, refusals, and command round trips with their outcome;
never a charger id."""

from __future__ import annotations

import asyncio

import pytest

from ocpp_bridge import errors
from ocpp_bridge.commands import RemoteStart, Unlock
from ocpp_bridge.config import BridgeConfig
from ocpp_bridge.events import OcppVersion
from ocpp_bridge.server import CentralSystem
from tests.e2e.ocpp_bridge.backend_for_tests import RecordingBackend
from tests.e2e.ocpp_bridge.ocpp_charger_for_tests import charger


class RecordingObserver:
    def __init__(self) -> None:
        self.connected: list[str] = []
        self.disconnected: list[str] = []
        self.calls: list[tuple[str, str, float | None, str | None]] = []
        self.commands: list[tuple[str, float, str]] = []
        self.disconnect_seen = asyncio.Event()

    def charger_connected(self, ocpp_version: OcppVersion) -> None:
        self.connected.append(ocpp_version)

    def charger_disconnected(self, ocpp_version: OcppVersion) -> None:
        self.disconnected.append(ocpp_version)
        self.disconnect_seen.set()

    def call_answered(
        self, ocpp_version: OcppVersion, action: str, seconds: float | None, error_code: str | None
    ) -> None:
        self.calls.append((ocpp_version, action, seconds, error_code))

    def command_finished(self, command: str, seconds: float, outcome: str) -> None:
        self.commands.append((command, seconds, outcome))


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_the_observer_sees_connections_calls_errors_and_commands(version: OcppVersion) -> None:
    observer = RecordingObserver()
    backend = RecordingBackend(accept_prefix="CP-", prefix_password="s3cret-Passw0rd")
    config = BridgeConfig(
        host="127.0.0.1", port=0, ping_interval=None, command_timeout=5.0, rate_limit_burst=8, rate_limit_per_second=0.1
    )
    refusal = "GenericError" if version == "1.6" else "SecurityError"  # 1.6 has no SecurityError code
    async with CentralSystem(backend, config, observer=observer) as system:
        async with charger(system.port, "CP-OBSERVED", version) as cp:
            assert (await cp.call("Heartbeat", {}))["currentTime"]
            await cp.send_raw('[2, "x1", "NoSuchAction", {}]')
            assert (await cp.next_unmatched())[2] == "NotImplemented"
            await cp.send_raw("this is not json")
            await cp.next_unmatched()
            result = await system.send_command("CP-OBSERVED", Unlock(connector_id=1))
            assert result.status == "Unlocked"  # type: ignore[union-attr]
            with pytest.raises(errors.ChargerNotConnected):
                await system.send_command("CP-ELSEWHERE", RemoteStart(id_token="T", connector_id=1))
            for n in range(12):  # 6 tokens of the burst of 8 are left: the rest are refused before any handler
                await cp.send_raw(f'[2, "h{n}", "Heartbeat", {{}}]')
            answers = [await cp.next_unmatched() for _ in range(12)]
            refused = [frame for frame in answers if frame[0] == 4]
            assert [frame[2] for frame in refused] == [refusal] * 6
        await asyncio.wait_for(observer.disconnect_seen.wait(), 5)

    assert observer.connected == [version]
    assert observer.disconnected == [version]
    heartbeat = observer.calls[0]
    assert heartbeat[:2] == (version, "Heartbeat")
    assert heartbeat[2] is not None
    assert 0 <= heartbeat[2] < 5
    assert heartbeat[3] is None
    unknown = observer.calls[1]
    assert (unknown[0], unknown[1], unknown[3]) == (version, "unknown", "NotImplemented")
    malformed_code = "FormationViolation" if version == "1.6" else "RpcFrameworkError"
    assert observer.calls[2] == (version, "unknown", None, malformed_code)
    assert observer.calls.count((version, "Heartbeat", None, refusal)) == 6
    assert len([call for call in observer.calls if call[1] == "Heartbeat"]) == 13
    assert [(name, outcome) for name, _, outcome in observer.commands] == [
        ("unlock", "ok"),
        ("remote-start", "not_connected"),
    ]
    assert all(seconds >= 0 for _, seconds, _ in observer.commands)
    assert "CP-" not in repr((observer.calls, observer.commands))
