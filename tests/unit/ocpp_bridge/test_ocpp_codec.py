"""The generated validators agree with the ``ocpp`` library's jsonschema validation, and each kind of violation
maps to the CallError code the OCPP specification prescribes."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import ocpp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ocpp.messages import get_validator

from ocpp_bridge import codec, errors

SCHEMAS = Path(ocpp.__file__).parent

# jsonschema keyword that failed -> the code we answer with (2.0.1 spelling)
EXPECTED_CODE = {
    "type": "TypeConstraintViolation",
    "required": "OccurrenceConstraintViolation",
    "additionalProperties": "FormatViolation",
    "enum": "PropertyConstraintViolation",
    "maxLength": "PropertyConstraintViolation",
    "minItems": "PropertyConstraintViolation",
    "maxItems": "PropertyConstraintViolation",
    "minimum": "PropertyConstraintViolation",
    "maximum": "PropertyConstraintViolation",
}

T0 = "2026-11-27T09:00:00Z"
VALID: dict[tuple[str, str], dict[str, Any]] = {
    ("1.6", "BootNotification"): {
        "chargePointVendor": "V",
        "chargePointModel": "M",
        "firmwareVersion": "1.0",
        "iccid": "1",
    },
    ("1.6", "Heartbeat"): {},
    ("1.6", "StatusNotification"): {
        "connectorId": 1,
        "errorCode": "NoError",
        "status": "Charging",
        "timestamp": T0,
        "info": "i",
        "vendorErrorCode": "E1",
    },
    ("1.6", "Authorize"): {"idTag": "TAG"},
    ("1.6", "StartTransaction"): {
        "connectorId": 1,
        "idTag": "TAG",
        "meterStart": 0,
        "timestamp": T0,
        "reservationId": 3,
    },
    ("1.6", "MeterValues"): {
        "connectorId": 1,
        "transactionId": 5,
        "meterValue": [
            {
                "timestamp": T0,
                "sampledValue": [
                    {
                        "value": "1",
                        "unit": "kWh",
                        "measurand": "Energy.Active.Import.Register",
                        "phase": "L1",
                        "location": "Outlet",
                        "context": "Sample.Periodic",
                        "format": "Raw",
                    }
                ],
            }
        ],
    },
    ("1.6", "StopTransaction"): {
        "transactionId": 5,
        "meterStop": 10,
        "timestamp": T0,
        "idTag": "TAG",
        "reason": "Local",
        "transactionData": [{"timestamp": T0, "sampledValue": [{"value": "10"}]}],
    },
    ("1.6", "DataTransfer"): {"vendorId": "v", "messageId": "m", "data": "d"},
    ("1.6", "DiagnosticsStatusNotification"): {"status": "Uploading"},
    ("1.6", "FirmwareStatusNotification"): {"status": "Downloaded"},
    ("2.0.1", "BootNotification"): {
        "chargingStation": {"vendorName": "V", "model": "M", "modem": {"iccid": "1"}},
        "reason": "PowerUp",
    },
    ("2.0.1", "Heartbeat"): {},
    ("2.0.1", "StatusNotification"): {"timestamp": T0, "connectorStatus": "Available", "evseId": 1, "connectorId": 1},
    ("2.0.1", "Authorize"): {
        "idToken": {"idToken": "T", "type": "ISO14443", "additionalInfo": [{"additionalIdToken": "a", "type": "b"}]}
    },
    ("2.0.1", "TransactionEvent"): {
        "eventType": "Updated",
        "timestamp": T0,
        "triggerReason": "MeterValuePeriodic",
        "seqNo": 3,
        "transactionInfo": {"transactionId": "T1", "chargingState": "Charging"},
        "evse": {"id": 1},
        "meterValue": [
            {"timestamp": T0, "sampledValue": [{"value": 1.5, "unitOfMeasure": {"unit": "kWh", "multiplier": 0}}]}
        ],
    },
    ("2.0.1", "MeterValues"): {"evseId": 1, "meterValue": [{"timestamp": T0, "sampledValue": [{"value": 7}]}]},
    ("2.0.1", "SecurityEventNotification"): {"type": "StartupOfTheDevice", "timestamp": T0},
    ("2.0.1", "FirmwareStatusNotification"): {"status": "Installed", "requestId": 1},
    ("2.0.1", "LogStatusNotification"): {"status": "Uploaded"},
    ("2.0.1", "NotifyEvent"): {
        "generatedAt": T0,
        "seqNo": 0,
        "eventData": [
            {
                "eventId": 1,
                "timestamp": T0,
                "trigger": "Alerting",
                "actualValue": "v",
                "component": {"name": "C"},
                "variable": {"name": "V"},
                "eventNotificationType": "CustomMonitor",
            }
        ],
    },
    ("2.0.1", "NotifyReport"): {
        "requestId": 1,
        "generatedAt": T0,
        "seqNo": 0,
        "reportData": [{"component": {"name": "C"}, "variable": {"name": "V"}, "variableAttribute": [{"value": "1"}]}],
    },
    ("2.0.1", "DataTransfer"): {"vendorId": "v", "data": [1, {"a": None}]},
    ("2.0.1", "NotifyEVChargingNeeds"): {
        "evseId": 1,
        "chargingNeeds": {
            "requestedEnergyTransfer": "DC",
            "dcChargingParameters": {"evMaxCurrent": 1, "evMaxVoltage": 2, "stateOfCharge": 50},
        },
    },
}


def library_errors(version: str, action: str, payload: Any) -> list[Any]:
    return list(get_validator(2, action, version).iter_errors(payload))


def our_outcome(version: str, action: str, payload: Any) -> str | None:
    try:
        codec.validate_request(version, action, json.dumps(payload))
    except errors.OcppCallError as exc:
        return exc.code
    return None


def schema(version: str, action: str) -> dict[str, Any]:
    name = action if version == "1.6" else f"{action}Request"
    folder = "v16" if version == "1.6" else "v201"
    loaded: dict[str, Any] = json.loads((SCHEMAS / folder / "schemas" / f"{name}.json").read_text("utf-8-sig"))
    return loaded


def mutations(version: str, action: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """One-violation variants of the valid sample, derived from the top level of the schema."""
    base = VALID[(version, action)]
    root = schema(version, action)
    for field in root.get("required", []):
        broken = copy.deepcopy(base)
        broken.pop(field, None)
        yield f"without {field}", broken
    if root.get("additionalProperties") is False:
        yield "unknown field", {**base, "notInTheSchema": 1}
    for field, spec in root.get("properties", {}).items():
        spec = root["definitions"][spec["$ref"].rsplit("/", 1)[1]] if "$ref" in spec else spec
        kind = spec.get("type")
        if kind == "string":
            yield f"{field} as number", {**base, field: 12}
            if "enum" in spec:
                yield f"{field} off the enum", {**base, field: "NotAValue"}
            if "maxLength" in spec:
                yield f"{field} too long", {**base, field: "x" * (spec["maxLength"] + 1)}
        elif kind == "integer":
            yield f"{field} as string", {**base, field: "1"}
            yield f"{field} as float", {**base, field: 1.5}
            yield f"{field} as bool", {**base, field: True}
        elif kind == "array":
            yield f"{field} as object", {**base, field: {}}
            if spec.get("minItems"):
                yield f"{field} empty", {**base, field: []}
        elif kind == "object":
            yield f"{field} as string", {**base, field: "x"}


CASES = [
    (version, action, label, payload) for version, action in VALID for label, payload in mutations(version, action)
]


@pytest.mark.parametrize(("version", "action"), list(VALID))
def test_valid_samples_are_accepted_by_both(version: str, action: str) -> None:
    payload = VALID[(version, action)]
    assert library_errors(version, action, payload) == []
    assert our_outcome(version, action, payload) is None


@pytest.mark.parametrize(("version", "action", "label", "payload"), CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_invalid_samples_are_rejected_by_both_with_the_spec_code(
    version: str, action: str, label: str, payload: dict[str, Any]
) -> None:
    found = library_errors(version, action, payload)
    assert len({tuple(e.path) for e in found}) == 1, (label, [e.message for e in found])
    # A number given for an enum field breaks both "type" and "enum"; the type is what is wrong.
    keyword = "type" if any(e.validator == "type" for e in found) else found[0].validator
    assert our_outcome(version, action, payload) == EXPECTED_CODE[keyword]


def test_mutations_cover_every_kind_of_violation() -> None:
    kinds = {library_errors(v, a, p)[0].validator for v, a, _, p in CASES}
    assert {"type", "required", "additionalProperties", "enum", "maxLength", "minItems"} <= kinds
    assert len(CASES) > 150


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def fuzzed(version: str, action: str) -> st.SearchStrategy[dict[str, Any]]:
    base = VALID[(version, action)]
    keys = st.sampled_from([*schema(version, action).get("properties", {}), "extra"])
    return st.dictionaries(keys, json_values, max_size=4).map(lambda changes: {**base, **changes}) | st.just(base)


FUZZ_TARGETS = [
    ("1.6", "StatusNotification"),
    ("1.6", "StopTransaction"),
    ("2.0.1", "TransactionEvent"),
    ("2.0.1", "BootNotification"),
]


@pytest.mark.parametrize(("version", "action"), FUZZ_TARGETS)
def test_random_payloads_get_the_same_verdict(version: str, action: str) -> None:
    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(fuzzed(version, action))
    def check(payload: dict[str, Any]) -> None:
        ours = our_outcome(version, action, payload)
        theirs = library_errors(version, action, payload)
        if theirs:
            assert ours is not None, payload
        elif ours is not None:
            # The deliberate differences: the library checks neither the date-time format nor that an OCPP
            # integer fits the 32 bits chargers store it in; we check both.
            with pytest.raises(msgspec.ValidationError, match=r"RFC3339|<= 2147483647|>= -2147483648"):
                msgspec.json.decode(json.dumps(payload), type=codec.request_type(version, action))

    check()


def test_every_generated_struct_builds_a_decoder() -> None:
    for version in ("1.6", "2.0.1"):
        for table in (codec.REQUESTS[version], codec.RESPONSES[version]):
            for struct_type in table.values():
                codec.decoder_for(struct_type)


def test_date_times_are_checked_and_kept_with_their_offset() -> None:
    payload = {
        "status": "Available",
        "connectorId": 1,
        "errorCode": "NoError",
        "timestamp": "2026-11-27T10:00:00+01:00",
    }
    decoded = codec.validate_request("1.6", "StatusNotification", json.dumps(payload))
    assert decoded.timestamp.utcoffset().total_seconds() == 3600
    payload["timestamp"] = "27/11/2026"
    assert our_outcome("1.6", "StatusNotification", payload) == "TypeConstraintViolation"


@pytest.mark.parametrize(
    ("frame", "kind"),
    [
        ('[2,"a","Heartbeat",{}]', codec.Call),
        ('[3,"a",{"currentTime":"2026-11-27T09:00:00Z"}]', codec.CallResult),
        ('[4,"a","NotSupported","nope",{}]', codec.CallError),
    ],
)
def test_parse_frame_kinds(frame: str, kind: type[Any]) -> None:
    parsed = codec.parse_frame(frame)
    assert isinstance(parsed, kind)
    assert parsed.message_id == "a"


@pytest.mark.parametrize(
    ("frame", "code", "message_id"),
    [
        ("nope", "RpcFrameworkError", "-1"),
        ("[]", "RpcFrameworkError", "-1"),
        ('[2,"' + "x" * 37 + '","Heartbeat",{}]', "RpcFrameworkError", "-1"),
        ('["2","a","Heartbeat",{}]', "RpcFrameworkError", "a"),
        ('[2,"a",7,{}]', "RpcFrameworkError", "a"),
        ('[4,"a","X"]', "RpcFrameworkError", "a"),
        ('[5,"a",{}]', "MessageTypeNotSupported", "a"),
    ],
)
def test_malformed_frames(frame: str, code: str, message_id: str) -> None:
    with pytest.raises(errors.OcppCallError) as failure:
        codec.parse_frame(frame)
    assert failure.value.code == code
    assert failure.value.message_id == message_id


def _data_transfer(data: str) -> str:
    return f'[2,"dt-1","DataTransfer",{{"vendorId":"x","data":{data}}}]'


def _objects(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("1", 0),
        ("[]", 1),
        ('[[{"a":[1,{}]}],[]]', 5),
        ('{"a":"[[[{{{"}', 1),  # brackets in a string are text
        (json.dumps(["back\\", "[[["]), 1),  # a string ending in an escaped backslash ends there
        (json.dumps(['a"[[', {"b": [1]}]), 3),  # an escaped quote does not end the string
        (_data_transfer(_objects(10)), 12),
    ],
)
def test_nesting_depth_counts_arrays_and_objects_outside_strings(text: str, depth: int) -> None:
    assert codec.nesting_depth(text) == depth
    assert codec.nesting_depth(text.encode()) == depth


def test_a_frame_nested_deeper_than_allowed_is_a_format_violation_every_time() -> None:
    """Two levels for the frame and the payload, the rest is the vendor's data: the limit exactly is read, one
    level more is refused with the Call's message id, at depths the decoder could still read (100) or not (5,000)."""
    allowed = _data_transfer(_objects(codec.MAX_NESTING - 2))
    assert codec.nesting_depth(allowed) == codec.MAX_NESTING
    assert isinstance(codec.parse_frame(allowed), codec.Call)
    for depth in (codec.MAX_NESTING - 1, 100, 5_000):
        with pytest.raises(errors.FormatViolation) as failure:
            codec.parse_frame(_data_transfer(_objects(depth)))
        assert failure.value.message_id == "dt-1"
    with pytest.raises(errors.RpcFrameworkError) as framing:
        codec.parse_frame("[" * 100 + "]" * 100)  # no Call to answer: message id "-1"
    assert framing.value.message_id == "-1"


def test_many_brackets_side_by_side_are_not_nesting() -> None:
    samples = [{"value": "1", "measurand": "Energy.Active.Import.Register"}] * 200
    payload = {"connectorId": 1, "meterValue": [{"timestamp": T0, "sampledValue": samples}]}
    frame = json.dumps([2, "mv-1", "MeterValues", payload])
    assert frame.count("{") > codec.MAX_NESTING
    assert isinstance(codec.parse_frame(frame), codec.Call)
    assert isinstance(codec.parse_frame(_data_transfer('"' + "[" * 500 + '"')), codec.Call)


def test_codes_are_spelled_per_version() -> None:
    assert errors.OccurrenceConstraintViolation("x").code_for("1.6") == "OccurenceConstraintViolation"
    assert errors.OccurrenceConstraintViolation("x").code_for("2.0.1") == "OccurrenceConstraintViolation"
    assert errors.FormatViolation("x").code_for("1.6") == "FormationViolation"
    assert errors.SecurityError("x").code_for("1.6") == "GenericError"
    frame = json.loads(codec.error_frame("m1", errors.FormatViolation("bad"), "1.6"))
    assert frame == [4, "m1", "FormationViolation", "bad", {}]


def test_unknown_action_is_not_implemented() -> None:
    with pytest.raises(errors.NotImplementedAction):
        codec.validate_request("1.6", "TransactionEvent", "{}")
