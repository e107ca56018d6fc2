"""How the API document states the contract: the problem answers of each operation, derived from how the route is
built, and the inputs a handler checks itself.

Every error leaves the service as `application/problem+json` (api.errors), so every operation documents its
error statuses with the shared `ProblemDetails` schema. Most of them follow from the route itself and are added
here, so a new route is documented without anyone remembering to: a role guard answers 401 (and 403 when it
admits only some roles) and puts the bearer token into the operation's security; a path parameter answers 404
(no such resource for this caller) and 422 (not of its type); any input answers 422; a body answers 400 when it
cannot be parsed and 413 when it is too large; every route but the probes is rate-limited (429). What only the
handler knows (402, 409, 502 ...) is declared next to it with `responses=problems(...)`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cache
from typing import Any

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import OpenAPIConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPI, Operation, Parameter
from litestar.params import BodyKwarg, ParameterKwarg

from api.errors import PROBLEM_JSON, ProblemDetails
from api.schema import SPACE
from api.security.guards import RoleGuard
from api.security.rate_limit import RateLimitMiddleware
from api.security.tokens import ROLES

BEARER_SECURITY = "BearerToken"

PROBLEM_DESCRIPTIONS = {
    400: "The body could not be parsed (not JSON, or nested too deeply)",
    401: "No valid credentials: a missing, expired or revoked token, or one whose account was erased",
    402: "The payment could not be authorised",
    403: "The token's role may not do this",
    404: "No such resource, or not one of the caller's",
    409: "The request conflicts with the current state",
    410: "No longer available",
    413: "The request is larger than allowed",
    422: "Invalid input; `errors` names each field, with its `source` (query, path, header or body)",
    429: "Too many requests; `Retry-After` says when to try again",
    502: "The charger answered with an error",
    503: "A service the request needs is unavailable",
    504: "The charger did not answer in time",
}
_RESERVED_NAMES = frozenset({"state", "request", "socket", "headers", "cookies", "query", "scope", "body"})


def problems(*statuses: int, **descriptions: str) -> dict[int, ResponseSpec]:
    """Problem answers only the handler knows about, for its decorator's `responses=`; `descriptions` may word
    a status for this operation (`s409="The connector is in use"`)."""
    return {
        status: problem_response(status, descriptions.get(f"s{status}", PROBLEM_DESCRIPTIONS.get(status, "Error")))
        for status in statuses
    }


def problem_response(status: int, description: str | None = None) -> ResponseSpec:
    return ResponseSpec(
        data_container=ProblemDetails,
        media_type=PROBLEM_JSON,
        description=description or PROBLEM_DESCRIPTIONS.get(status, "Error"),
        generate_examples=False,
    )


def role_guards(handler: HTTPRouteHandler) -> list[Any]:
    """The guards of `handler` and of every layer above it, as declared (Litestar wraps its resolved copies)."""
    return [guard for layer in handler.ownership_layers for guard in (layer.guards or [])]


def admitted_roles(handler: HTTPRouteHandler) -> frozenset[str] | None:
    """The roles a route admits by its role guards; None when it has none."""
    guards = [guard for guard in role_guards(handler) if isinstance(guard, RoleGuard)]
    if not guards:
        return None
    roles = frozenset[str](ROLES)
    for guard in guards:
        roles &= guard.roles
    return roles


def derived_statuses(handler: HTTPRouteHandler, route_path: str) -> set[int]:
    """The problem statuses that follow from the route's guards, parameters, body and rate limit."""
    statuses: set[int] = set()
    if role_guards(handler):  # every guard turns away a caller without valid credentials
        statuses.add(401)
    roles = admitted_roles(handler)
    if roles is not None and roles != frozenset(ROLES):
        statuses.add(403)
    dependencies = set(handler.resolve_dependencies())
    path_names = {name for path in handler.paths for name in _path_parameter_names(path)}
    for name, field in handler.parsed_fn_signature.parameters.items():
        if name in _RESERVED_NAMES or name in dependencies:
            continue
        kwarg = field.kwarg_definition
        if name == "data" or isinstance(kwarg, BodyKwarg):
            statuses |= {400, 413, 422}
        elif name in path_names:
            statuses |= {404, 422}
        elif not (isinstance(kwarg, ParameterKwarg) and not kwarg.include_in_schema):
            statuses.add(422)
    if not route_path.startswith(RateLimitMiddleware.EXEMPT_PREFIXES):
        statuses.add(429)
    return statuses


def _path_parameter_names(path: str) -> list[str]:
    return [part[1:-1].split(":")[0] for part in path.split("/") if part.startswith("{") and part.endswith("}")]


def document_problems(app: Litestar) -> None:
    """Add the derived problem answers and the bearer security to every documented HTTP operation of `app`.

    Runs before the API document is first built (Litestar builds it on first use)."""
    seen: set[int] = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            if (
                not isinstance(handler, HTTPRouteHandler)
                or id(handler) in seen
                or not handler.resolve_include_in_schema()
            ):
                continue
            seen.add(id(handler))
            explicit = dict(handler.responses or {})
            for status in sorted(derived_statuses(handler, route.path)):
                explicit.setdefault(status, problem_response(status))
            handler.responses = dict(sorted(explicit.items()))
            if admitted_roles(handler) is not None and not any(layer.security for layer in handler.ownership_layers):
                handler.security = [{BEARER_SECURITY: []}]
            handler.operation_class = _without_default_errors(handler.operation_class)  # type: ignore[arg-type]


@cache
def _without_default_errors(base: type[Operation]) -> type[Operation]:
    """`base` without the `application/json` 400 Litestar adds to any operation with inputs: this API answers
    invalid input with a 422 problem, and only an unparseable body with a 400 (documented above when possible)."""
    parent = getattr(base, "__post_init__", None)

    def post_init(self: Operation) -> None:
        if parent is not None:
            parent(self)
        responses = self.responses or {}
        for status in [s for s, r in responses.items() if s >= "400" and _is_plain_json(r)]:
            del responses[status]

    documented = type(f"Documented{base.__name__}", (base,), {"__post_init__": post_init})
    return dataclass(documented)


def _is_plain_json(response: Any) -> bool:
    content = getattr(response, "content", None) or {}
    return "application/json" in content and PROBLEM_JSON not in content


def operation_requiring_headers(*names: str, base: type[Operation] = Operation) -> type[Operation]:
    """An operation class (a decorator's `operation_class=`) documenting `names` as required headers: for headers a
    handler checks itself, so a missing one gets the handler's own 422 problem in its words."""
    wanted = {name.lower() for name in names}
    parent = getattr(base, "__post_init__", None)

    def post_init(self: Operation) -> None:
        if parent is not None:
            parent(self)
        for parameter in self.parameters or []:
            if isinstance(parameter, Parameter) and parameter.param_in == "header" and parameter.name.lower() in wanted:
                parameter.required = True

    return dataclass(type(f"Requiring{base.__name__}", (base,), {"__post_init__": post_init}))


# Every string a client sends is refused with a control character in it (api.request_decoding): the document says
# so on each string input that does not state its characters with a pattern of its own.
NO_CONTROLS = r"^[^\x00-\x1f\x7f]*$"
HEADER_NO_CONTROLS = r"^[^\x00-\x08\x0a-\x1f\x7f]*$"  # a header value may hold a tab (RFC 9110 field-content)
_BLANK = rf"^[{SPACE}]*$"
_NOT_BLANK = rf"[^{SPACE}]"
# Bodies that take exactly one of two fields, which no field's own schema can say: component -> (the first, which
# counts only when not blank, the second).
ONE_OF_FIELDS: dict[str, tuple[str, str]] = {"PostMessage": ("text", "confirmActionId")}
ANY_VALUE = "IgnoredValue"
_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


class ContractDocument(OpenAPI):
    """The API document, with the rules every input follows written into its schemas as it is rendered."""

    def to_schema(self) -> dict[str, Any]:
        return state_input_rules(super().to_schema())


@dataclass
class ContractOpenAPIConfig(OpenAPIConfig):
    """OpenAPIConfig whose document states the input rules (see `state_input_rules`)."""

    def to_openapi_schema(self) -> OpenAPI:
        base = super().to_openapi_schema()
        return ContractDocument(**{field.name: getattr(base, field.name) for field in fields(base)})


def state_input_rules(document: dict[str, Any]) -> dict[str, Any]:
    """`document` (a rendered OpenAPI document) with the characters of every string input and the one-of-two
    bodies stated."""
    components: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    components[ANY_VALUE] = {
        "description": "Any JSON value without control characters in its strings (a field the server ignores)",
        "anyOf": [
            {"type": ["null", "boolean", "number"]},
            {"type": "string", "pattern": NO_CONTROLS},
            {"type": "array", "items": {"$ref": f"#/components/schemas/{ANY_VALUE}"}},
            {
                "type": "object",
                "propertyNames": {"pattern": NO_CONTROLS},
                "additionalProperties": {"$ref": f"#/components/schemas/{ANY_VALUE}"},
            },
        ],
    }
    seen: set[str] = {ANY_VALUE}
    for path_item in document.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in _METHODS:
                continue
            for parameter in operation.get("parameters", []):
                pattern = HEADER_NO_CONTROLS if parameter.get("in") == "header" else NO_CONTROLS
                _restrict(parameter.get("schema"), pattern, components, seen)
            for content in operation.get("requestBody", {}).get("content", {}).values():
                _restrict(content.get("schema"), NO_CONTROLS, components, seen)
    for name, (first, second) in ONE_OF_FIELDS.items():
        if name in components:
            components[name]["oneOf"] = [
                {
                    "required": [first],
                    "properties": {first: {"type": "string", "pattern": _NOT_BLANK}, second: {"type": "null"}},
                },
                {
                    "required": [second],
                    "properties": {
                        second: {"type": "string"},
                        first: {"oneOf": [{"type": "null"}, {"type": "string", "pattern": _BLANK}]},
                    },
                },
            ]
    return document


def _restrict(schema: Any, pattern: str, components: dict[str, Any], seen: set[str]) -> None:
    if isinstance(schema, list):
        for item in schema:
            _restrict(item, pattern, components, seen)
        return
    if not isinstance(schema, dict):
        return
    reference = schema.get("$ref")
    if isinstance(reference, str) and reference.startswith("#/components/schemas/"):
        name = reference.rsplit("/", 1)[1]
        if name not in seen and name in components:
            seen.add(name)
            _restrict(components[name], pattern, components, seen)
        return
    types = schema.get("type")
    is_string = types == "string" or (isinstance(types, list) and "string" in types)
    if is_string and not any(key in schema for key in ("pattern", "format", "enum", "const")):
        schema["pattern"] = pattern
    if (types == "object" or "properties" in schema) and "propertyNames" not in schema:
        schema["propertyNames"] = {"pattern": NO_CONTROLS}  # keys are strings from the client too
        schema.setdefault("additionalProperties", {"$ref": f"#/components/schemas/{ANY_VALUE}"})
    for key in ("properties", "patternProperties", "$defs"):
        for value in (schema.get(key) or {}).values():
            _restrict(value, pattern, components, seen)
    for key in ("items", "additionalProperties", "not", "oneOf", "anyOf", "allOf", "prefixItems"):
        _restrict(schema.get(key), pattern, components, seen)
