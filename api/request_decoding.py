"""What every request must satisfy before a handler sees it: a JSON body that can be decoded, and no control
characters in any string that came from the client.

Runs as the application's `before_request` hook, after routing and before Litestar converts the parameters,
so it covers every current and future endpoint: header values, query parameters, path parameters and every
string of a JSON body (keys included). NUL can never be stored (PostgreSQL refuses it in text and JSON), and
the other C0 controls and DEL have no business in names, ids or tokens either. Body fields typed `FreeText`
(see `api.schema`) may keep tab, line feed and carriage return; nothing else may.

A layer that sets its own `before_request` replaces this one for its routes: chain to `check_request` there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import msgspec
from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.params import BodyKwarg
from litestar.utils.scope.state import ScopeState

from api.errors import BadRequest, FieldError, InvalidInput

CONTROL_MESSAGE = "must not contain control characters"
FREE_TEXT_MESSAGE = "must not contain control characters other than tab and line breaks"

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Header values may hold a tab (RFC 9110 field-content), never any other control.
_HEADER_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
# A control in a query string is percent-encoded (or raw, which some clients send anyway).
_QUERY_CONTROL = re.compile(rb"%(?:[01][0-9a-fA-F]|7[fF])|[\x00-\x1f\x7f]")
# Inside a JSON string a control can only appear escaped; without such an escape no string needs a look.
_JSON_CONTROL_ESCAPE = re.compile(rb"\\(?:[bfnrt]|u00[01][0-9a-fA-F]|u007[fF])")


async def check_request(request: Request[Any, Any, Any]) -> None:
    """Refuse control characters anywhere in the request (422) and a body too deeply nested to decode (400)."""
    errors = [*_header_errors(request), *_query_errors(request), *_path_errors(request)]
    if errors:
        raise InvalidInput(errors)
    target = _json_body_type(request)
    if target is None:
        return
    body = await request.body()
    if not body:
        return
    try:
        value = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return  # Litestar answers it with its own 400, as before
    except RecursionError:
        raise BadRequest("The JSON body is nested too deeply to be read.") from None
    ScopeState.from_scope(request.scope).json = value  # decoded once: the handler's parameters reuse it
    if _JSON_CONTROL_ESCAPE.search(body) is None:
        return
    info = msgspec.inspect.type_info(target)
    try:
        errors = [
            FieldError(path or "body", FREE_TEXT_MESSAGE if free_text else CONTROL_MESSAGE, source="body")
            for path, free_text in _bad_strings(value, info, "", free_text=False)
        ]
    except RecursionError:
        raise BadRequest("The JSON body is nested too deeply to be read.") from None
    if errors:
        raise InvalidInput(errors)


def _header_name(raw: bytes) -> str:
    return "-".join(part.capitalize() for part in raw.decode("latin-1").split("-"))


def _header_errors(request: Request[Any, Any, Any]) -> list[FieldError]:
    return [
        FieldError(_header_name(name), CONTROL_MESSAGE, source="header")
        for name, value in request.scope["headers"]
        if _HEADER_CONTROL.search(value) or _HEADER_CONTROL.search(name)
    ]


def _query_errors(request: Request[Any, Any, Any]) -> list[FieldError]:
    if _QUERY_CONTROL.search(request.scope.get("query_string", b"")) is None:
        return []
    names: dict[str, None] = {}
    for name, value in request.query_params.multi_items():
        if _CONTROL.search(name) or _CONTROL.search(value):
            names[_CONTROL.sub("?", name) or "query"] = None
    return [FieldError(name, CONTROL_MESSAGE, source="query") for name in names]


def _path_errors(request: Request[Any, Any, Any]) -> list[FieldError]:
    return [
        FieldError(name, CONTROL_MESSAGE, source="path")
        for name, value in request.path_params.items()
        if isinstance(value, str) and _CONTROL.search(value)
    ]


def _json_body_type(request: Request[Any, Any, Any]) -> Any | None:
    """The type of the handler's JSON body, or None when it takes none (or reads raw bytes or a form)."""
    field = request.route_handler.parsed_data_field
    if field is None:
        return None
    kwarg = field.kwarg_definition
    if isinstance(kwarg, BodyKwarg) and kwarg.media_type not in (RequestEncodingType.JSON, "application/json"):
        return None
    return field.annotation


def _is_free_text(info: msgspec.inspect.Type) -> bool:
    return isinstance(info, msgspec.inspect.Metadata) and bool((info.extra or {}).get("free_text"))


def _unwrap(info: msgspec.inspect.Type | None, value: object) -> tuple[msgspec.inspect.Type | None, bool]:
    """The type that describes `value` (the matching member of a union), and whether it is free text."""
    free_text = False
    while True:
        if isinstance(info, msgspec.inspect.Metadata):
            free_text = free_text or _is_free_text(info)
            info = info.type
        elif isinstance(info, msgspec.inspect.UnionType):
            members = [_unwrap(member, value) for member in info.types]
            matching = [m for m in members if _describes(m[0], value)]
            chosen = matching[0] if matching else (None, False)
            return chosen[0], free_text or any(m[1] for m in matching)
        else:
            return info, free_text


def _describes(info: msgspec.inspect.Type | None, value: object) -> bool:
    if isinstance(value, str):
        return isinstance(info, msgspec.inspect.StrType)
    if isinstance(value, dict):
        return isinstance(info, (msgspec.inspect.StructType, msgspec.inspect.DictType, msgspec.inspect.TypedDictType))
    if isinstance(value, list):
        return isinstance(
            info,
            (
                msgspec.inspect.ListType,
                msgspec.inspect.SetType,
                msgspec.inspect.FrozenSetType,
                msgspec.inspect.VarTupleType,
                msgspec.inspect.TupleType,
            ),
        )
    return False


def _child(info: msgspec.inspect.Type | None, key: object) -> msgspec.inspect.Type | None:
    """The declared type of `key` (a field name or a list index) inside a value of type `info`."""
    if isinstance(info, (msgspec.inspect.StructType, msgspec.inspect.TypedDictType)):
        for field in info.fields:
            if field.encode_name == key:
                return field.type
        return None
    if isinstance(info, msgspec.inspect.DictType):
        return info.value_type
    if isinstance(
        info,
        (
            msgspec.inspect.ListType,
            msgspec.inspect.SetType,
            msgspec.inspect.FrozenSetType,
            msgspec.inspect.VarTupleType,
        ),
    ):
        return info.item_type
    if isinstance(info, msgspec.inspect.TupleType) and isinstance(key, int) and key < len(info.item_types):
        return info.item_types[key]
    return None


def _bad_strings(
    value: object, declared: msgspec.inspect.Type | None, path: str, *, free_text: bool
) -> Iterator[tuple[str, bool]]:
    """(path, free text?) of every string in `value` holding a control character its field does not allow."""
    info, own_free_text = _unwrap(declared, value)
    free_text = free_text or own_free_text
    if isinstance(value, str):
        if (_CONTROL_BUT_LINES if free_text else _CONTROL).search(value):
            yield path, free_text
    elif isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            if _CONTROL.search(key):
                yield _CONTROL.sub("?", child), False
                continue
            yield from _bad_strings(item, _child(info, key), child, free_text=False)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _bad_strings(item, _child(info, index), f"{path}[{index}]", free_text=free_text)
