"""Exception tree of the pricing package: every failure the engine reports derives from `PricingError`."""

from __future__ import annotations

import re

import msgspec

__all__ = [
    "NoPriceAvailableError",
    "PricingError",
    "PricingInputError",
    "input_error_from_msgspec",
]


class PricingError(Exception):
    """Base class of every error raised by the pricing package."""


class PricingInputError(PricingError, ValueError):
    """Input (tariff, session, samples, arguments) that cannot be priced; `str()` names the offending field."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}" if field else problem)


class NoPriceAvailableError(PricingError):
    """A dynamic price was asked for an instant that its schedule or price series does not cover."""


_AT_PATH = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_EXPECTED = re.compile(
    r"^Expected `(?P<expected>[^`]+)`(?: matching regex '(?P<regex>[^']*)')?"
    r"(?: of length (?P<length>[<>]=? ?\d+))?(?:, got `(?P<got>[^`]+)`)?"
)
_MISSING = re.compile(r"^Object missing required field `(?P<name>[^`]+)`")
_OWN = re.compile(r"^(?P<name>[a-z_][a-z0-9_]*): (?P<problem>.+)$", re.DOTALL)

_EXPECTED_WORDS = {
    "decimal": "expected a number",
    "int": "expected an integer",
    "float": "expected a number",
    "str": "expected a string",
    "bool": "expected true or false",
    "array": "expected a list",
    "object": "expected an object",
    "datetime": "expected an RFC 3339 date-time",
    "null": "expected null",
}


def _join(path: str, name: str) -> str:
    if not name:
        return path
    return f"{path}.{name}" if path else name


def input_error_from_msgspec(exc: msgspec.MsgspecError, *, document: str = "") -> PricingInputError:
    """Turn a msgspec decode/validation error into a `PricingInputError` whose text names the field."""
    text = str(exc)
    if isinstance(exc, msgspec.DecodeError) and not isinstance(exc, msgspec.ValidationError):
        return PricingInputError(document, f"not valid JSON ({text})")
    match = _AT_PATH.match(text)
    message = match.group("message") if match else text
    path = (match.group("path") or "") if match else ""
    path = path.removeprefix(".")
    if document:
        path = f"{document}.{path}" if path else document
    if missing := _MISSING.match(message):
        return PricingInputError(_join(path, missing.group("name")), "required field is missing")
    if expected := _EXPECTED.match(message):
        if expected.group("regex") is not None:
            return PricingInputError(path, f"does not match the expected format {expected.group('regex')!r}")
        if expected.group("length") is not None:
            length = expected.group("length")
            return PricingInputError(path, "must not be empty" if length == ">= 1" else f"expected length {length}")
        kind = expected.group("expected")
        return PricingInputError(path, _EXPECTED_WORDS.get(kind, f"expected {kind}"))
    if own := _OWN.match(message):
        return PricingInputError(_join(path, own.group("name")), own.group("problem"))
    if message.startswith("Invalid enum value"):
        return PricingInputError(path, "unknown value " + message.removeprefix("Invalid enum value ").strip())
    if message.startswith("Invalid decimal string"):
        return PricingInputError(path, "expected a number")
    if message.startswith("Invalid RFC3339"):
        return PricingInputError(path, "expected an RFC 3339 date-time")
    return PricingInputError(path, message[:1].lower() + message[1:])
