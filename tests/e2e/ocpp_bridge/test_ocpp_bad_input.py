"""Bad input from a charger is answered with the CallError the spec prescribes (or a close), is logged with the
charger's id, and never disturbs other chargers."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest

from ocpp_bridge.events import ChargerBooted, HeartbeatReceived
from tests.e2e.ocpp_bridge.backend_for_tests import running_bridge
from tests.e2e.ocpp_bridge.ocpp_charger_for_tests import charger

BOOT_16 = {"chargePointVendor": "V", "chargePointModel": "M"}
STATUS_16 = {"connectorId": 1, "errorCode": "NoError", "status": "Available"}

# raw frame, expected message id, 1.6 code, 2.0.1 code
FRAMING_CASES = [
    ("this is not json", "-1", "FormationViolation", "RpcFrameworkError"),
    ('{"an": "object"}', "-1", "FormationViolation", "RpcFrameworkError"),
    ('[2, 17, "Heartbeat", {}]', "-1", "FormationViolation", "RpcFrameworkError"),
    ('[2, "f4", "Heartbeat"]', "f4", "FormationViolation", "RpcFrameworkError"),
    ('[9, "f5", "Heartbeat", {}]', "f5", "GenericError", "MessageTypeNotSupported"),
    ('[2, "f6", "Heartbeat", []]', "f6", "FormationViolation", "FormatViolation"),
    ('[2, "f7", "NoSuchAction", {}]', "f7", "NotImplemented", "NotImplemented"),
    ('[2, "f8", "ClearCache", {}]', "f8", "NotSupported", "NotSupported"),
]


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_malformed_frames(version: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="ocpp_bridge")
    async with running_bridge() as (bridge, _backend), charger(bridge.port, "CP-BAD", version) as cp:
        for raw, message_id, code_16, code_201 in FRAMING_CASES:
            await cp.send_raw(raw)
            answer = await cp.next_unmatched()
            assert answer[:3] == [4, message_id, code_16 if version == "1.6" else code_201], raw
            assert isinstance(answer[3], str)
            assert isinstance(answer[4], dict)
        assert (await cp.call("Heartbeat", {}))["currentTime"]
    assert any("CP-BAD" in record.getMessage() for record in caplog.records)


V16_PAYLOAD_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("StatusNotification", {**STATUS_16, "connectorId": "1"}, "TypeConstraintViolation"),
    ("StatusNotification", {"connectorId": 1, "status": "Available"}, "OccurenceConstraintViolation"),
    ("StatusNotification", {**STATUS_16, "colour": "blue"}, "FormationViolation"),
    ("StatusNotification", {**STATUS_16, "status": "Sleeping"}, "PropertyConstraintViolation"),
    ("StatusNotification", {**STATUS_16, "info": "x" * 51}, "PropertyConstraintViolation"),
    ("StatusNotification", {**STATUS_16, "timestamp": "yesterday"}, "TypeConstraintViolation"),
    (
        "StartTransaction",
        {"connectorId": 1, "idTag": "A", "meterStart": 1.5, "timestamp": "2026-11-27T09:00:00Z"},
        "TypeConstraintViolation",
    ),
    ("MeterValues", {"connectorId": 1, "meterValue": []}, "PropertyConstraintViolation"),
    (
        "StopTransaction",
        {"transactionId": 1, "meterStop": 10**400, "timestamp": "2026-11-27T09:00:00Z"},
        "TypeConstraintViolation",
    ),
    ("StatusNotification", {**STATUS_16, "connectorId": 2**31}, "TypeConstraintViolation"),
    ("BootNotification", {**BOOT_16, "chargePointVendor": None}, "TypeConstraintViolation"),
]

V201_PAYLOAD_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("Heartbeat", {"unexpected": True}, "FormatViolation"),
    ("Heartbeat", {"customData": {"vendorId": "X", "anything": [1]}}, ""),
    (
        "StatusNotification",
        {"timestamp": "2026-11-27T09:00:00Z", "connectorStatus": "Occupied", "evseId": 1},
        "OccurrenceConstraintViolation",
    ),
    (
        "BootNotification",
        {"chargingStation": {"vendorName": "V", "model": "M"}, "reason": "Because"},
        "PropertyConstraintViolation",
    ),
    ("Authorize", {"idToken": {"idToken": "A", "type": 5}}, "TypeConstraintViolation"),
    (
        "StatusNotification",
        {"timestamp": "2026-11-27T09:00:00Z", "connectorStatus": "Occupied", "evseId": -(2**63), "connectorId": 1},
        "TypeConstraintViolation",
    ),
]


@pytest.mark.parametrize(
    ("version", "action", "payload", "code"),
    [("1.6", *case) for case in V16_PAYLOAD_CASES] + [("2.0.1", *case) for case in V201_PAYLOAD_CASES],
)
async def test_invalid_payloads(version: str, action: str, payload: dict[str, Any], code: str) -> None:
    async with running_bridge() as (bridge, backend), charger(bridge.port, "CP-PAYLOAD", version) as cp:
        answer = await cp.call_frame(action, payload)
        if code:
            assert answer[0] == 4
            assert answer[2] == code, answer
            assert not [e for e in backend.events if hasattr(e, "message_id")]
        else:
            assert answer[0] == 3


async def test_oversized_frame_closes_only_that_connection() -> None:
    async with (
        running_bridge(max_frame_size=4096) as (bridge, _backend),
        charger(bridge.port, "CP-BIG") as big,
        charger(bridge.port, "CP-SMALL") as small,
    ):
        await big.send_raw(json.dumps([2, "big", "DataTransfer", {"vendorId": "x", "data": "y" * 10_000}]))
        await big.wait_closed()
        assert big.websocket.close_code == 1009
        assert (await small.call("Heartbeat", {}))["currentTime"]


async def test_flood_is_rate_limited_and_other_chargers_keep_being_served() -> None:
    async with (
        running_bridge(rate_limit_per_second=5.0, rate_limit_burst=5) as (bridge, backend),
        charger(bridge.port, "CP-FLOOD", "2.0.1") as flood,
        charger(bridge.port, "CP-CALM") as calm,
    ):
        frames = await asyncio.gather(*(flood.call_frame("Heartbeat", {}) for _ in range(30)))
        refused = [f for f in frames if f[0] == 4]
        assert refused
        assert {f[2] for f in refused} == {"SecurityError"}
        assert 5 <= sum(1 for f in frames if f[0] == 3) < 30
        assert (await calm.call("Heartbeat", {}))["currentTime"]
        assert backend.of_type(HeartbeatReceived, "CP-CALM")


async def test_too_many_pending_calls_closes_the_connection() -> None:
    async with running_bridge(max_pending_calls=2) as (bridge, backend), charger(bridge.port, "CP-PILE") as cp:

        async def slow_boot(_event: ChargerBooted) -> None:
            await asyncio.sleep(0.3)

        backend.on_boot_hook = slow_boot
        for n in range(6):
            await cp.send_raw(json.dumps([2, f"p{n}", "BootNotification", BOOT_16]))
        await cp.wait_closed()
        assert cp.websocket.close_code == 1008
