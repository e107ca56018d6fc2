"""Hypothesis strategies for what a hostile or broken charger sends: garbage, wrong shapes and types, huge numbers,
deep nesting, huge strings, unknown actions, mutated valid messages, and transaction messages that are out of order
or name another charger's transaction."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import strategies as st

# A frame as sent: text or bytes on the websocket.
Frame = str | bytes

NOW = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
HUGE_NUMBERS = ["1" + "0" * 400, "-1e999", "1e400", "123456789012345678901234567890", "-0", "1E-400", "0.1e1"]

json_leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_leaves,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


def v16_templates(victim_transaction: int) -> dict[str, dict[str, Any]]:
    meter = [{"timestamp": NOW, "sampledValue": [{"value": "1234.5", "measurand": "Energy.Active.Import.Register"}]}]
    return {
        "BootNotification": {"chargePointVendor": "Fuzz", "chargePointModel": "F1"},
        "Heartbeat": {},
        "StatusNotification": {"connectorId": 1, "errorCode": "NoError", "status": "Charging", "timestamp": NOW},
        "Authorize": {"idTag": "FZ-CARD"},
        "StartTransaction": {"connectorId": 1, "idTag": "FZ-CARD", "meterStart": 100, "timestamp": NOW},
        "MeterValues": {"connectorId": 1, "transactionId": victim_transaction, "meterValue": meter},
        "StopTransaction": {"transactionId": victim_transaction, "meterStop": 999_999, "timestamp": NOW},
        "DataTransfer": {"vendorId": "com.fuzz", "data": "x"},
        "FirmwareStatusNotification": {"status": "Idle"},
        "DiagnosticsStatusNotification": {"status": "Idle"},
    }


def v201_templates(victim_transaction: str) -> dict[str, dict[str, Any]]:
    meter = [{"timestamp": NOW, "sampledValue": [{"value": 1234.5, "measurand": "Energy.Active.Import.Register"}]}]

    def event(kind: str, seq: int) -> dict[str, Any]:
        return {
            "eventType": kind,
            "timestamp": NOW,
            "triggerReason": "MeterValuePeriodic" if kind == "Updated" else "Authorized",
            "seqNo": seq,
            "transactionInfo": {"transactionId": victim_transaction},
            "evse": {"id": 1, "connectorId": 1},
            "meterValue": meter,
        }

    return {
        "BootNotification": {"chargingStation": {"vendorName": "Fuzz", "model": "F1"}, "reason": "PowerUp"},
        "Heartbeat": {},
        "StatusNotification": {"timestamp": NOW, "connectorStatus": "Occupied", "evseId": 1, "connectorId": 1},
        "Authorize": {"idToken": {"idToken": "FZ-CARD", "type": "ISO14443"}},
        "TransactionEvent": event("Updated", 7),
        "TransactionEventEnded": event("Ended", 8),
        "TransactionEventStarted": {**event("Started", 0), "idToken": {"idToken": "FZ-CARD", "type": "ISO14443"}},
        "MeterValues": {"evseId": 1, "meterValue": meter},
        "DataTransfer": {"vendorId": "com.fuzz", "data": "x"},
        "NotifyEvent": {"generatedAt": NOW, "seqNo": 0, "eventData": []},
    }


def _action(name: str) -> str:
    return name.removesuffix("Ended").removesuffix("Started")


@st.composite
def _mutated(draw: st.DrawFn, templates: dict[str, dict[str, Any]]) -> Frame:
    """A valid message of a known action, left whole or with one field dropped, replaced, added or made huge."""
    name = draw(st.sampled_from(sorted(templates)))
    payload = json.loads(json.dumps(templates[name]))
    keys = sorted(payload)
    how = draw(st.sampled_from(["as is", "drop", "replace", "add", "huge number", "huge string"]))
    if how == "drop" and keys:
        del payload[draw(st.sampled_from(keys))]
    elif how == "replace" and keys:
        payload[draw(st.sampled_from(keys))] = draw(json_values)
    elif how == "add":
        payload[draw(st.text(min_size=1, max_size=10))] = draw(json_values)
    message_id = draw(st.text(alphabet="abcdef0123456789-", min_size=1, max_size=36))
    if how == "huge number" and keys:
        key = draw(st.sampled_from(keys))
        payload[key] = "@@NUMBER@@"
        text = json.dumps([2, message_id, _action(name), payload])
        return text.replace('"@@NUMBER@@"', draw(st.sampled_from(HUGE_NUMBERS)))
    if how == "huge string" and keys:
        payload[draw(st.sampled_from(keys))] = "é" * draw(st.integers(1_000, 40_000))
    return json.dumps([2, message_id, _action(name), payload], ensure_ascii=False)


@st.composite
def _deep(draw: st.DrawFn) -> Frame:
    depth = draw(st.integers(min_value=50, max_value=5_000))
    nested = "[" * depth + "]" * depth if draw(st.booleans()) else '{"a":' * depth + "1" + "}" * depth
    where = draw(st.sampled_from(["frame", "payload", "field"]))
    if where == "frame":
        return nested
    if where == "payload":
        return f'[2, "deep", "Heartbeat", {nested}]'
    return f'[2, "deep", "DataTransfer", {{"vendorId": "x", "data": {nested}}}]'


@st.composite
def _shape(draw: st.DrawFn) -> Frame:
    """Frames of the wrong shape: wrong lengths, types and message type ids."""
    parts = [
        draw(st.sampled_from([2, 3, 4, 5, -1, 0, "2", 2.0, None, 2**64])),
        draw(st.one_of(st.text(max_size=40), st.integers(), st.none(), st.just(""), st.just("x" * 37))),
        draw(st.one_of(st.text(max_size=30), st.sampled_from(["Heartbeat", "heartbeat", "StartTransaction"]))),
        draw(json_values),
        draw(json_values),
    ]
    return json.dumps(parts[: draw(st.integers(min_value=0, max_value=5))])


def hostile_frames(version: str, victim_transaction: str) -> st.SearchStrategy[Frame]:
    templates = v16_templates(int(victim_transaction)) if version == "1.6" else v201_templates(victim_transaction)
    return st.one_of(
        st.text(max_size=60),
        st.binary(max_size=60),
        json_values.map(json.dumps),
        _shape(),
        _deep(),
        _mutated(templates),
        _mutated(templates),
        _mutated(templates),
        st.builds(
            lambda action, payload: json.dumps([2, "unknown", action, payload]),
            st.text(min_size=1, max_size=30),
            json_values,
        ),
        st.builds(lambda n: json.dumps([2, "long", "DataTransfer", {"vendorId": "x", "data": "y" * n}]),
                  st.integers(10_000, 200_000)),
    )  # fmt: skip
