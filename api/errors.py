"""The API's error tree and its translation into RFC 9457 problem details.

Every error a client can see leaves the service as `application/problem+json`: domain errors raised by
services, Litestar's own HTTP errors (unknown route, wrong method, bad body) and unexpected failures,
which are logged with the request id and answered without any internal detail.

Validation has one rule everywhere: any invalid or missing value in the query, the path, a header or the body
is a 422 `invalid-input` whose `errors` name each field and its `source` (`query`, `path`, `header` or
`body`) in plain words; only a body that cannot be parsed at all is a 400 `bad-request`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

import asyncpg
import msgspec
from litestar import Request, Response
from litestar._asgi.routing_trie.traversal import traverse_route_map
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.types import ExceptionHandlersMap, HTTPResponseBodyEvent, HTTPResponseStartEvent, Send
from litestar.utils.scope.state import ScopeState
from sqlalchemy import exc as sa_exc

from api.domain.ocpi.envelope import OcpiStatus, envelope_body

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:voltway:problem:"


class FieldError(msgspec.Struct, frozen=True):
    """One invalid input field: where it is and what is wrong with it."""

    field: str
    message: str
    source: str = "body"


class ProblemDetails(msgspec.Struct, frozen=True, omit_defaults=True):
    """RFC 9457 problem details body."""

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = None
    request_id: str | None = msgspec.field(default=None, name="requestId")
    session_id: str | None = msgspec.field(default=None, name="sessionId")


class VoltwayError(Exception):
    """Base of every error the API answers with on purpose."""

    status_code = 500
    slug = "internal-error"
    title = "Internal server error"

    def __init__(self, detail: str | None = None, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.headers = headers or {}


class BadRequest(VoltwayError):
    status_code = 400
    slug = "bad-request"
    title = "Bad request"


class InvalidInput(VoltwayError):
    """Input that decoded but breaks a rule; names each offending field."""

    status_code = 422
    slug = "invalid-input"
    title = "Invalid input"

    def __init__(self, errors: list[FieldError], detail: str | None = None) -> None:
        super().__init__(detail or "; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors


class IdempotencyKeyReused(VoltwayError):
    """An Idempotency-Key sent again with a different request body."""

    status_code = 422
    slug = "idempotency-key-reused"
    title = "Idempotency-Key reused for a different request"


class Unauthorized(VoltwayError):
    status_code = 401
    slug = "unauthorized"
    title = "Authentication required"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="voltway"'})


class InvalidCredentials(Unauthorized):
    slug = "invalid-credentials"
    title = "Invalid credentials"


class Forbidden(VoltwayError):
    status_code = 403
    slug = "forbidden"
    title = "Forbidden"


class NotFound(VoltwayError):
    status_code = 404
    slug = "not-found"
    title = "Not found"


class PaymentRequired(VoltwayError):
    """The payment could not be authorised (a declined card, or no payment method on file)."""

    status_code = 402
    slug = "payment-required"
    title = "Payment required"


class CardDeclined(PaymentRequired):
    slug = "card-declined"
    title = "The card was declined"


class Conflict(VoltwayError):
    status_code = 409
    slug = "conflict"
    title = "Conflict"


class ConnectorBusy(Conflict):
    slug = "connector-busy"
    title = "The connector is in use"


class EvseOutOfOrder(Conflict):
    slug = "evse-out-of-order"
    title = "The EVSE is out of order"


class ChargerOffline(Conflict):
    slug = "charger-offline"
    title = "The charger is offline"


class SessionAlreadyActive(Conflict):
    """The driver already has a session running; the answer names it (`sessionId`)."""

    slug = "session-already-active"
    title = "A charging session is already active"

    def __init__(self, detail: str, session_id: object) -> None:
        super().__init__(detail)
        self.session_id = str(session_id)


class RequestInProgress(Conflict):
    """The first request with this Idempotency-Key has not been answered yet."""

    slug = "request-in-progress"
    title = "A request with this Idempotency-Key is still being processed"


class LimitReached(Conflict):
    """An account holds as many of something (devices, cards, conversations) as it may."""

    slug = "limit-reached"
    title = "Limit reached"


class Gone(VoltwayError):
    status_code = 410
    slug = "gone"
    title = "Gone"


class RateLimited(VoltwayError):
    status_code = 429
    slug = "rate-limited"
    title = "Too many requests"

    def __init__(self, retry_after_seconds: int, detail: str | None = None) -> None:
        super().__init__(
            detail or f"Too many requests; try again in {retry_after_seconds} seconds.",
            headers={"Retry-After": str(retry_after_seconds)},
        )
        self.retry_after_seconds = retry_after_seconds


class BadGateway(VoltwayError):
    """A device we talk to (a charger) answered with an error or with nonsense."""

    status_code = 502
    slug = "charger-error"
    title = "The charger answered with an error"


class GatewayTimeout(VoltwayError):
    status_code = 504
    slug = "charger-timeout"
    title = "The charger did not answer in time"


class ServiceUnavailable(VoltwayError):
    status_code = 503
    slug = "service-unavailable"
    title = "Service unavailable"


_HTTP_SLUGS = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    409: ("conflict", "Conflict"),
    413: ("payload-too-large", "Payload too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    429: ("rate-limited", "Too many requests"),
    500: ("internal-error", "Internal server error"),
    503: ("service-unavailable", "Service unavailable"),
}

_MSGSPEC_PATH = re.compile(r"at `\$(?P<path>[^`]*)`")
_MISSING_PARAMETER = re.compile(r"Missing required (?P<source>\w+) parameter '(?P<name>[^']+)'")
_TYPE_WORDS = {
    "str": "a string",
    "int": "an integer",
    "float": "a number",
    "decimal": "a decimal number",
    "bool": "true or false",
    "object": "a JSON object",
    "array": "a list",
    "null": "null",
    "uuid": "a UUID",
    "datetime": "a date and time",
}
_BOUNDS = {">=": "at least", "<=": "at most", ">": "more than", "<": "less than"}
_SOURCES = {"query": "query", "path": "path", "header": "header", "cookie": "header", "body": "body"}


def _words(types: str) -> str:
    return " or ".join(_TYPE_WORDS.get(part.strip(), part.strip()) for part in types.split("|"))


def plain_message(message: str, description: str | None = None) -> str:
    """A decoder's message in words an app developer can act on: no regular expressions, no type names."""
    if "matching regex" in message:
        return "is not in the expected format" + (f": {description}" if description else "")
    if match := re.fullmatch(r"Expected `([^`]+)` of length (>=|<=|>|<) (\d+)", message):
        unit = ("character" if match[1] == "str" else "item") + ("" if match[3] == "1" else "s")
        return f"must have {_BOUNDS[match[2]]} {match[3]} {unit}"
    if match := re.fullmatch(r"Expected `([^`]+)` (>=|<=|>|<) (\S+)", message):
        return f"must be {_BOUNDS[match[2]]} {match[3]}"
    if match := re.fullmatch(r"Expected `([^`]+)`, got `([^`]+)`", message):
        return f"must be {_words(match[1])}, not {_words(match[2])}"
    return message.replace("`", "")


def _description(annotation: Any) -> str | None:
    try:
        info = msgspec.inspect.type_info(annotation)
    except (TypeError, ValueError):  # pragma: no cover - every Struct field type has a type_info
        return None
    if isinstance(info, msgspec.inspect.Metadata) and info.extra_json_schema:
        text = info.extra_json_schema.get("description")
        return str(text) if text else None
    return None


def _field_from_msgspec(message: str, key: str | None) -> tuple[str, str]:
    """Split a msgspec message ("Expected `int`, got `str` - at `$.port`") into field and message."""
    text, _, _ = message.partition(" - at ")
    match = _MSGSPEC_PATH.search(message)
    if match and match.group("path"):
        path = match.group("path").lstrip(".")
        return path, text.strip()
    if key:
        return key, text.strip()
    missing = re.search(r"required field `([^`]+)`", message)
    return (missing.group(1) if missing else "body"), text.strip()


def _body_field_errors(request: Request[Any, Any, Any]) -> list[FieldError]:
    """Check every field of a Struct body separately, so one answer names all bad fields, not just the first."""
    data_field = request.route_handler.parsed_data_field
    target = data_field.annotation if data_field is not None else None
    raw = ScopeState.from_scope(request.scope).json
    if not (isinstance(target, type) and issubclass(target, msgspec.Struct)):
        return []
    if not isinstance(raw, dict):
        return [FieldError("body", "must be a JSON object")]
    errors: list[FieldError] = []
    for info in msgspec.structs.fields(target):
        if info.encode_name not in raw:
            if info.required:
                errors.append(FieldError(info.encode_name, "required field is missing"))
            continue
        try:
            msgspec.convert(raw[info.encode_name], type=info.type, strict=False)
        except msgspec.ValidationError as exc:
            inner, message = _field_from_msgspec(str(exc), None)
            suffix = "" if inner == "body" else ("" if inner.startswith("[") else ".") + inner
            errors.append(FieldError(info.encode_name + suffix, plain_message(message, _description(info.type))))
    return errors


def _validation_errors(request: Request[Any, Any, Any], exc: ValidationException) -> list[FieldError]:
    errors: list[FieldError] = []
    extra = exc.extra if isinstance(exc.extra, list) else []
    if any(isinstance(item, dict) and item.get("source") == "body" for item in extra):
        errors = _body_field_errors(request)
        if errors:
            return errors
    for item in extra:
        if not isinstance(item, dict):
            continue
        raw_message = str(item.get("message", "invalid value"))
        key = item.get("key")
        raw_source = item.get("source", "body")
        source = _SOURCES.get(str(getattr(raw_source, "value", raw_source)), "body")
        if key and raw_message == repr(key):  # a KeyError: the value was not sent at all
            field, message = ("body", "a JSON body is required") if source == "body" else (str(key), "is required")
        else:
            field, message = _field_from_msgspec(raw_message, str(key) if key else None)
            message = plain_message(message)
        errors.append(FieldError(field=field, message=message, source=source))
    if not errors:
        detail = str(exc.detail or "")
        if missing := _MISSING_PARAMETER.search(detail):
            source = _SOURCES.get(missing["source"], "body")
            errors.append(FieldError(missing["name"], f"required {source} parameter is missing", source=source))
        else:
            field, message = _field_from_msgspec(detail, None)
            errors.append(FieldError(field=field, message=plain_message(message) or "invalid request body"))
    return errors


def _path_errors(request: Request[Any, Any, Any], exc: HTTPException) -> list[FieldError] | None:
    """A path parameter that is not of its type (`/v1/sessions/abc` for a UUID): Litestar reports it as 404."""
    cause = exc.__cause__
    if not isinstance(exc, NotFoundException) or not isinstance(cause, ValueError) or isinstance(cause, HTTPException):
        return None
    try:
        node, values, _ = traverse_route_map(
            root_node=request.app.asgi_router.root_route_map_node, path=request.url.path
        )
        definitions = node.path_parameters.get(request.method, ())
    except (HTTPException, ValueError, KeyError):  # pragma: no cover - the router found the node a moment ago
        return [FieldError("path", "a part of the path is not a valid value", source="path")]
    for definition, value in zip(definitions, values, strict=False):
        try:
            if definition.parser is not None:
                definition.parser(value)
        except ValueError:
            return [FieldError(definition.name, f"must be {_words(definition.type.__name__.lower())}", source="path")]
    return [FieldError("path", "a part of the path is not a valid value", source="path")]


def _problem_response(
    request: Request[Any, Any, Any], problem: ProblemDetails, headers: dict[str, str]
) -> Response[Any]:
    return Response(
        content=msgspec.json.encode(problem),
        status_code=problem.status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


async def send_problem(send: Send, problem: ProblemDetails, headers: Iterable[tuple[bytes, bytes]] = ()) -> None:
    """Answer with problem details from ASGI middleware, which runs before Litestar's exception handlers; under
    /ocpi (the problem's `instance`) with the OCPI envelope instead, which is what roaming partners read."""
    if problem.instance == "/ocpi" or (problem.instance or "").startswith("/ocpi/"):
        payload = envelope_body(None, OcpiStatus.CLIENT_ERROR, problem.detail)
        media_type = "application/json"
    else:
        payload = msgspec.json.encode(problem)
        media_type = PROBLEM_JSON
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": problem.status,
        "headers": [
            (b"content-type", media_type.encode()),
            (b"content-length", str(len(payload)).encode()),
            *headers,
        ],
    }
    body: HTTPResponseBodyEvent = {"type": "http.response.body", "body": payload, "more_body": False}
    await send(start)
    await send(body)


def _request_id(request: Request[Any, Any, Any]) -> str | None:
    value = request.scope.get("state", {}).get("request_id")
    return str(value) if value else None


def problem_from_voltway_error(request: Request[Any, Any, Any], exc: VoltwayError) -> Response[Any]:
    """Answer a deliberate domain error."""
    problem = ProblemDetails(
        type=PROBLEM_TYPE_PREFIX + exc.slug,
        title=exc.title,
        status=exc.status_code,
        detail=exc.detail,
        instance=request.url.path,
        errors=exc.errors if isinstance(exc, InvalidInput) else None,
        request_id=_request_id(request),
        session_id=exc.session_id if isinstance(exc, SessionAlreadyActive) else None,
    )
    return _problem_response(request, problem, exc.headers)


def problem_from_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """Answer Litestar's own errors (routing, body decoding, size limits) as problem details."""
    status = exc.status_code
    slug, title = _HTTP_SLUGS.get(status, ("http-error", "HTTP error"))
    detail: str | None = exc.detail if exc.detail and exc.detail != title else None
    errors = _validation_errors(request, exc) if isinstance(exc, ValidationException) else _path_errors(request, exc)
    if errors:
        status, slug, title = InvalidInput.status_code, InvalidInput.slug, InvalidInput.title
        detail = "; ".join(f"{e.field}: {e.message}" for e in errors)
    if status >= 500:
        detail = None
    problem = ProblemDetails(
        type=PROBLEM_TYPE_PREFIX + slug,
        title=title,
        status=status,
        detail=detail,
        instance=request.url.path,
        errors=errors,
        request_id=_request_id(request),
    )
    headers = dict(exc.headers or {})
    return _problem_response(request, problem, headers)


def problem_from_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Log an unexpected failure and answer without revealing anything about it."""
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    problem = ProblemDetails(
        type=PROBLEM_TYPE_PREFIX + "internal-error",
        title="Internal server error",
        status=500,
        detail="Something went wrong on our side. Quote the request id when you contact support.",
        instance=request.url.path,
        request_id=_request_id(request),
    )
    return _problem_response(request, problem, {})


DATABASE_RETRY_AFTER_SECONDS = 5


def problem_from_database_outage(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """The database (or the network to it) failed, not the request: 503 with Retry-After, so clients try again.

    Errors about the request itself (a constraint, bad SQL) stay 500s.
    """
    outage = isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError)
    if isinstance(exc, sa_exc.DBAPIError) and not outage and not exc.connection_invalidated:
        return problem_from_unexpected(request, exc)
    # Only the error's kind: its text can quote the statement's parameters (addresses, hashes).
    cause = getattr(exc, "orig", None) or exc
    logger.warning("database unavailable on %s %s: %s", request.method, request.url.path, type(cause).__name__)
    problem = ProblemDetails(
        type=PROBLEM_TYPE_PREFIX + ServiceUnavailable.slug,
        title=ServiceUnavailable.title,
        status=ServiceUnavailable.status_code,
        detail="The service cannot reach its database right now; try again in a few seconds.",
        instance=request.url.path,
        request_id=_request_id(request),
    )
    return _problem_response(request, problem, {"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)})


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    VoltwayError: problem_from_voltway_error,
    HTTPException: problem_from_http_exception,
    # An unreachable or failing database: refused or dropped connections, pool timeouts, server shutting down.
    sa_exc.DBAPIError: problem_from_database_outage,
    sa_exc.TimeoutError: problem_from_database_outage,
    asyncpg.PostgresConnectionError: problem_from_database_outage,
    asyncpg.CannotConnectNowError: problem_from_database_outage,
    asyncpg.InterfaceError: problem_from_database_outage,
    ConnectionError: problem_from_database_outage,
    TimeoutError: problem_from_database_outage,
    Exception: problem_from_unexpected,
}

__all__ = [
    "EXCEPTION_HANDLERS",
    "PROBLEM_JSON",
    "BadGateway",
    "BadRequest",
    "CardDeclined",
    "ChargerOffline",
    "Conflict",
    "ConnectorBusy",
    "EvseOutOfOrder",
    "FieldError",
    "Forbidden",
    "GatewayTimeout",
    "Gone",
    "IdempotencyKeyReused",
    "InvalidCredentials",
    "InvalidInput",
    "LimitReached",
    "NotFound",
    "ProblemDetails",
    "RateLimited",
    "RequestInProgress",
    "ServiceUnavailable",
    "SessionAlreadyActive",
    "Unauthorized",
    "VoltwayError",
    "send_problem",
]
