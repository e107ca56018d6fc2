"""OCPP-J framing: parsing frames, validating payloads against the generated Structs, encoding replies.

A payload is decoded straight from the frame's bytes into its Struct, which validates it; a validation
failure is translated into the CallError code the OCPP specification prescribes for it.
"""

from __future__ import annotations

import re
import uuid
from typing import Any, Final

import msgspec

from ocpp_bridge import errors
from ocpp_bridge.errors import V16, V201
from ocpp_bridge.v16 import messages as v16_messages
from ocpp_bridge.v201 import messages as v201_messages

CALL: Final = 2
CALL_RESULT: Final = 3
CALL_ERROR: Final = 4
MAX_MESSAGE_ID_LENGTH: Final = 36
# OCPP's own messages nest about a dozen levels (a sales tariff inside a charging profile); a DataTransfer's data is
# the vendor's own, and 64 levels leave it ample room. A fixed limit answers a deeper frame the same way every time,
# where the decoder's and the journal's own limits depend on how deep the interpreter's stack happens to be.
MAX_NESTING: Final = 64

REQUESTS: Final[dict[str, dict[str, type[msgspec.Struct]]]] = {
    V16: v16_messages.REQUESTS,
    V201: v201_messages.REQUESTS,
}
RESPONSES: Final[dict[str, dict[str, type[msgspec.Struct]]]] = {
    V16: v16_messages.RESPONSES,
    V201: v201_messages.RESPONSES,
}


class Call(msgspec.Struct, frozen=True):
    message_id: str
    action: str
    payload: msgspec.Raw


class CallResult(msgspec.Struct, frozen=True):
    message_id: str
    payload: msgspec.Raw


class CallError(msgspec.Struct, frozen=True):
    message_id: str
    code: str
    description: str
    details: Any


Frame = Call | CallResult | CallError

_frame_decoder = msgspec.json.Decoder(list[msgspec.Raw])
_int_decoder = msgspec.json.Decoder(int)
_str_decoder = msgspec.json.Decoder(str)
_any_decoder = msgspec.json.Decoder()
_encoder = msgspec.json.Encoder()
_decoders: dict[type[msgspec.Struct], msgspec.json.Decoder[Any]] = {}


def _framing_error(cls: type[errors.OcppCallError], text: str, message_id: str = "-1") -> errors.OcppCallError:
    return cls(text, message_id=message_id)


# The opening of a Call, read without a JSON parser, to answer with its message id when the frame cannot be parsed.
_CALL_OPENING = re.compile(rb'\A\s*\[\s*2\s*,\s*"([^"\\]{1,36})"\s*,')


def _too_deep(data: str | bytes) -> errors.OcppCallError:
    """A frame nested deeper than the decoder goes: a FormatViolation for a Call whose message id is readable,
    else an RpcFrameworkError answered to message id "-1" (both FormationViolation in 1.6)."""
    opening = _CALL_OPENING.match(data.encode() if isinstance(data, str) else data)
    if opening is None:
        return _framing_error(errors.RpcFrameworkError, "Frame is nested too deeply to read its MessageId")
    return _framing_error(errors.FormatViolation, "Payload is nested too deeply", opening.group(1).decode())


_BRACKETS_AND_QUOTES = bytes.maketrans(b"{}", b"[]")  # objects and arrays nest alike
_OTHER_BYTES = bytes(b for b in range(256) if b not in b'[]{}"')
_QUOTED = re.compile(rb'"[^"]*"')


def _brackets_outside_strings(raw: bytes) -> bytes:
    """The frame's structure as '[' and ']' alone, by byte operations that run at C speed.

    With the escaped backslashes and then the escaped quotes gone, every quote opens or closes a string; two quotes
    side by side enclose nothing or separate two strings, so they go too. What is left quoted is a string holding a
    bracket, rare in OCPP."""
    if b"\\" in raw:
        raw = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    reduced = raw.translate(_BRACKETS_AND_QUOTES, _OTHER_BYTES).replace(b'""', b"")
    return _QUOTED.sub(b"", reduced) if b'"' in reduced else reduced


def nesting_depth(data: str | bytes, *, beyond: int | None = None) -> int:
    """How deep the arrays and objects of a JSON text nest (brackets inside strings do not count); counting stops
    at `beyond` + 1 when given. Each pass takes away the innermost pairs, one level."""
    brackets = _brackets_outside_strings(data.encode() if isinstance(data, str) else data)
    depth = 0
    while brackets and (beyond is None or depth <= beyond):
        inner_removed = brackets.replace(b"[]", b"")
        if inner_removed == brackets:
            break  # unbalanced: not JSON, which the decoder has already refused
        brackets, depth = inner_removed, depth + 1
    return depth


def _deeper_than_allowed(data: str | bytes) -> bool:
    """Only a frame with more opening brackets than the limit can nest beyond it: counted first, most frames are
    done there."""
    opened = data.count("[") + data.count("{") if isinstance(data, str) else data.count(b"[") + data.count(b"{")
    return opened > MAX_NESTING and nesting_depth(data, beyond=MAX_NESTING) > MAX_NESTING


def parse_frame(data: str | bytes) -> Frame:
    """Split a websocket text frame into a Call, CallResult or CallError without decoding the payload.

    Raises an ``OcppCallError`` carrying the frame's message id (or "-1") when the frame is malformed.
    """
    try:
        parts = _frame_decoder.decode(data)
    except RecursionError:
        raise _too_deep(data) from None
    except msgspec.ValidationError:
        raise _framing_error(errors.RpcFrameworkError, "Frame is not a JSON array") from None
    except msgspec.DecodeError:
        raise _framing_error(errors.RpcFrameworkError, "Frame is not valid JSON") from None
    if _deeper_than_allowed(data):
        raise _too_deep(data)
    if len(parts) < 3:
        raise _framing_error(errors.RpcFrameworkError, "Frame has fewer than three elements")
    try:
        message_id = _str_decoder.decode(parts[1])
    except msgspec.DecodeError:
        raise _framing_error(errors.RpcFrameworkError, "MessageId is not a string") from None
    if not message_id or len(message_id) > MAX_MESSAGE_ID_LENGTH:
        raise _framing_error(errors.RpcFrameworkError, "MessageId must have 1 to 36 characters")
    try:
        message_type = _int_decoder.decode(parts[0])
    except msgspec.DecodeError:
        raise _framing_error(errors.RpcFrameworkError, "MessageTypeId is not an integer", message_id) from None
    if message_type == CALL:
        if len(parts) != 4:
            raise _framing_error(errors.RpcFrameworkError, "A Call has four elements", message_id)
        try:
            action = _str_decoder.decode(parts[2])
        except msgspec.DecodeError:
            raise _framing_error(errors.RpcFrameworkError, "Action is not a string", message_id) from None
        return Call(message_id, action, parts[3])
    if message_type == CALL_RESULT:
        if len(parts) != 3:
            raise _framing_error(errors.RpcFrameworkError, "A CallResult has three elements", message_id)
        return CallResult(message_id, parts[2])
    if message_type == CALL_ERROR:
        if len(parts) != 5:
            raise _framing_error(errors.RpcFrameworkError, "A CallError has five elements", message_id)
        try:
            code = _str_decoder.decode(parts[2])
            description = _str_decoder.decode(parts[3])
            details = _any_decoder.decode(parts[4])
        except (msgspec.DecodeError, RecursionError):
            raise _framing_error(errors.RpcFrameworkError, "Malformed CallError", message_id) from None
        return CallError(message_id, code, description, details)
    raise _framing_error(errors.MessageTypeNotSupported, f"MessageTypeId {message_type} is not supported", message_id)


_LOCATION = re.compile(r" - at `([^`]*)`$")
_OUTSIDE_INT32 = re.compile(r"Expected `int` (>= -2147483648|<= 2147483647) - at ")


def classify(error: msgspec.ValidationError) -> errors.OcppCallError:
    """Translate a msgspec validation failure into the CallError the OCPP specification prescribes."""
    text = str(error)
    match = _LOCATION.search(text)
    location = match.group(1) if match else "$"
    if text.startswith("Object missing required field"):
        return errors.OccurrenceConstraintViolation(text)
    if text.startswith("Object contains unknown field"):
        return errors.FormatViolation(text)
    if text.startswith("Expected `") and ", got `" in text:
        if location == "$":
            return errors.FormatViolation("Payload must be a JSON object")
        return errors.TypeConstraintViolation(text)
    if text.startswith(
        ("Invalid RFC3339", "Integer value out of range", "Number out of range")
    ) or _OUTSIDE_INT32.match(text):
        return errors.TypeConstraintViolation(text)
    if text.startswith(("Invalid enum value", "Expected `")):
        return errors.PropertyConstraintViolation(text)
    return errors.FormatViolation(text)


def decoder_for(struct_type: type[msgspec.Struct]) -> msgspec.json.Decoder[Any]:
    decoder = _decoders.get(struct_type)
    if decoder is None:
        decoder = _decoders[struct_type] = msgspec.json.Decoder(struct_type)
    return decoder


def decode_payload(payload: bytes | msgspec.Raw | str, struct_type: type[msgspec.Struct]) -> Any:
    """Decode and validate a payload, raising the matching ``OcppCallError`` when it is invalid."""
    try:
        return decoder_for(struct_type).decode(payload)
    except msgspec.ValidationError as exc:
        raise classify(exc) from None
    except msgspec.DecodeError as exc:
        raise errors.FormatViolation(str(exc)) from None
    except RecursionError:
        raise errors.FormatViolation("Payload is nested too deeply") from None


def request_type(ocpp_version: str, action: str) -> type[msgspec.Struct]:
    """Struct for a Call's payload; NotImplemented for an action the version does not define."""
    struct_type = REQUESTS[ocpp_version].get(action)
    if struct_type is None:
        msg = f"Action {action!r} is not defined in OCPP {ocpp_version}"
        raise errors.NotImplementedAction(msg)
    return struct_type


def validate_request(ocpp_version: str, action: str, payload: bytes | msgspec.Raw | str) -> Any:
    """Decode a Call payload of ``action`` for ``ocpp_version``; the single validation entry point."""
    return decode_payload(payload, request_type(ocpp_version, action))


def encode_call(message_id: str, action: str, payload: msgspec.Struct) -> bytes:
    return _encoder.encode((CALL, message_id, action, payload))


def encode_call_result(message_id: str, payload: msgspec.Struct) -> bytes:
    return _encoder.encode((CALL_RESULT, message_id, payload))


def encode_checked_call_result(message_id: str, payload: msgspec.Struct) -> bytes:
    """A CallResult whose payload is first checked against its schema, so a backend reply that the charger
    would reject (say, an over-long parent id) becomes an InternalError instead."""
    body = _encoder.encode(payload)
    try:
        decoder_for(type(payload)).decode(body)
    except msgspec.ValidationError as exc:
        msg = f"reply does not match the {type(payload).__name__} schema: {exc}"
        raise errors.InternalError(msg) from None
    return b"[3," + _encoder.encode(message_id) + b"," + body + b"]"


def encode_call_error(message_id: str, code: str, description: str, details: dict[str, object] | None = None) -> bytes:
    return _encoder.encode((CALL_ERROR, message_id, code, description[:255], details or {}))


def error_frame(message_id: str, error: errors.OcppCallError, ocpp_version: str) -> bytes:
    return encode_call_error(message_id, error.code_for(ocpp_version), error.description, error.details)


def new_message_id() -> str:
    return str(uuid.uuid4())


def encode(value: object) -> bytes:
    return _encoder.encode(value)


__all__ = [
    "CALL",
    "CALL_ERROR",
    "CALL_RESULT",
    "REQUESTS",
    "RESPONSES",
    "V16",
    "V201",
    "Call",
    "CallError",
    "CallResult",
    "Frame",
    "classify",
    "decode_payload",
    "encode_call",
    "encode_call_error",
    "encode_call_result",
    "encode_checked_call_result",
    "error_frame",
    "new_message_id",
    "parse_frame",
    "request_type",
    "validate_request",
]
