"""Reading what partners send, leniently: repair what can be repaired and log each repair.

Real platforms send trailing spaces, numbers as strings, lower-case enum values and fields the spec does not
have. `decode_lenient` trims strings, upper-cases enum values that only differ in case, drops unknown fields and
lets numbers come as text, noting each repair; what still does not fit is an OCPI 2001 naming the field.
"""

from __future__ import annotations

import logging
from typing import Any, TypeVar

import msgspec

from api.domain.ocpi.envelope import OcpiError, OcpiStatus

logger = logging.getLogger(__name__)

T = TypeVar("T")
_NUMBERS = (msgspec.inspect.IntType, msgspec.inspect.FloatType, msgspec.inspect.DecimalType)


class Repairs:
    """The repairs made to one incoming object, logged together."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.notes: list[str] = []

    def note(self, path: str, text: str) -> None:
        self.notes.append(f"{path or '(root)'}: {text}")

    def log(self, **context: object) -> None:
        """One warning listing every repair (nothing when there was none)."""
        if self.notes:
            where = " ".join(f"{key}={value}" for key, value in context.items())
            logger.warning("repaired %s from a partner (%s): %s", self.what, where, "; ".join(self.notes))


def decode_lenient(body: bytes | object, target: type[T], repairs: Repairs) -> T:
    """`body` (JSON bytes, or already decoded) as `target`, repaired; OCPI 2001 when it cannot be made to fit."""
    if isinstance(body, bytes | bytearray):
        if not body.strip():
            raise OcpiError(OcpiStatus.INVALID_PARAMETERS, f"a JSON {repairs.what} object is required")
        try:
            raw: Any = msgspec.json.decode(body)
        except msgspec.DecodeError:
            raise OcpiError(OcpiStatus.INVALID_PARAMETERS, "the body is not valid JSON") from None
    else:
        raw = body
    cleaned = _clean(raw, msgspec.inspect.type_info(target), "", repairs)
    try:
        return msgspec.convert(cleaned, target, strict=False)
    except msgspec.ValidationError as exc:
        raise OcpiError(OcpiStatus.INVALID_PARAMETERS, f"invalid {repairs.what}: {exc}") from None


def _unwrap(info: msgspec.inspect.Type) -> msgspec.inspect.Type:
    while isinstance(info, msgspec.inspect.Metadata):
        info = info.type
    return info


def _clean(value: Any, info: msgspec.inspect.Type, path: str, repairs: Repairs) -> Any:
    info = _unwrap(info)
    if isinstance(info, msgspec.inspect.UnionType):
        return _clean_union(value, info, path, repairs)
    if isinstance(value, str):
        return _clean_text(value, info, path, repairs)
    if isinstance(info, msgspec.inspect.StructType) and isinstance(value, dict):
        fields = {field.encode_name: field for field in info.fields}
        cleaned: dict[str, Any] = {}
        for key, item in value.items():
            name = key.strip() if isinstance(key, str) else key
            if name != key:
                repairs.note(f"{path}.{name}", "spaces around the field name removed")
            field = fields.get(name)
            if field is None:
                repairs.note(f"{path}.{name}", "unknown field ignored")
                continue
            if item is None and not field.required:
                continue  # null for an optional field: as if it were missing
            cleaned[name] = _clean(item, field.type, f"{path}.{name}", repairs)
        return cleaned
    if isinstance(info, msgspec.inspect.ListType | msgspec.inspect.SetType) and isinstance(value, list):
        return [_clean(item, info.item_type, f"{path}[{index}]", repairs) for index, item in enumerate(value)]
    if isinstance(info, msgspec.inspect.DictType) and isinstance(value, dict):
        return {key: _clean(item, info.value_type, f"{path}.{key}", repairs) for key, item in value.items()}
    return value


def _clean_union(value: Any, info: msgspec.inspect.UnionType, path: str, repairs: Repairs) -> Any:
    kinds = [_unwrap(member) for member in info.types]
    for member in kinds:
        if isinstance(value, dict) and isinstance(member, msgspec.inspect.StructType | msgspec.inspect.DictType):
            return _clean(value, member, path, repairs)
        if isinstance(value, list) and isinstance(member, msgspec.inspect.ListType | msgspec.inspect.SetType):
            return _clean(value, member, path, repairs)
    if isinstance(value, str):
        for member in kinds:
            if not isinstance(member, msgspec.inspect.NoneType):
                return _clean_text(value, member, path, repairs)
    return value


def _clean_text(value: str, info: msgspec.inspect.Type, path: str, repairs: Repairs) -> Any:
    text = value.strip()
    if text != value:
        repairs.note(path, "spaces around the value removed")
    if isinstance(info, msgspec.inspect.LiteralType) and text not in info.values and text.upper() in info.values:
        repairs.note(path, f"{text!r} read as {text.upper()!r}")
        return text.upper()
    if isinstance(info, msgspec.inspect.EnumType):
        values = {member.value for member in info.cls}
        if text not in values and text.upper() in values:
            repairs.note(path, f"{text!r} read as {text.upper()!r}")
            return text.upper()
    if isinstance(info, _NUMBERS):
        repairs.note(path, "number sent as text")
    return text
