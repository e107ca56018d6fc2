"""Receiving OCPI objects leniently: what real partners send is repaired where it can be, and each repair logged.

Trailing and leading spaces are trimmed, numbers and booleans sent as strings are converted, fields we do not know
are dropped; what cannot be repaired (a missing required field, a value of the wrong kind) is an
`InvalidOcpiObject` that the handler answers with status 2001.
"""

from __future__ import annotations

import logging
from typing import Any, TypeVar

import msgspec

logger = logging.getLogger(__name__)

T = TypeVar("T", bound=msgspec.Struct)


class InvalidOcpiObject(ValueError):
    """The object cannot be read even leniently; the message names the field."""


def _trimmed(value: Any, path: str, repairs: list[str]) -> Any:
    if isinstance(value, str):
        stripped = value.strip()
        if stripped != value:
            repairs.append(f"trimmed spaces around {path or 'the value'}")
        return stripped
    if isinstance(value, dict):
        return {key: _trimmed(item, f"{path}.{key}" if path else str(key), repairs) for key, item in value.items()}
    if isinstance(value, list):
        return [_trimmed(item, f"{path}[{n}]", repairs) for n, item in enumerate(value)]
    return value


def _known(value: dict[str, Any], kind: type[msgspec.Struct], repairs: list[str]) -> dict[str, Any]:
    fields = set(kind.__struct_fields__)
    extra = sorted(key for key in value if key not in fields)
    if extra:
        repairs.append(f"ignored unknown fields {', '.join(extra)}")
    return {key: item for key, item in value.items() if key in fields}


def repaired(raw: bytes | Any, kind: type[T], *, what: str, partial: bool = False) -> T:
    """`raw` (JSON bytes or decoded JSON) as `kind`, repaired; `partial` reads a PATCH (present fields only)."""
    if isinstance(raw, bytes | bytearray):
        try:
            raw = msgspec.json.decode(raw)
        except msgspec.DecodeError as exc:
            raise InvalidOcpiObject(f"The body is not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise InvalidOcpiObject(f"The {what} must be a JSON object.")
    repairs: list[str] = []
    value = _known(_trimmed(raw, "", repairs), kind, repairs)
    try:
        result = msgspec.convert(value, kind)
    except msgspec.ValidationError:
        try:
            result = msgspec.convert(value, kind, strict=False)
        except msgspec.ValidationError as exc:
            raise InvalidOcpiObject(f"Invalid {what}: {exc}") from None
        repairs.append("converted values sent as strings (numbers, booleans)")
    if repairs:
        logger.info("repaired a received %s%s: %s", what, " (partial)" if partial else "", "; ".join(repairs))
    return result
