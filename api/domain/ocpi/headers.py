"""OCPI headers on every answer under /ocpi, errors and unknown paths included, and no problem details there.

`X-Correlation-ID` is echoed (one is made when the request has none); `X-Request-ID` is echoed by
`api.request_context`. The routing headers answer with ours and theirs swapped: we are `OCPI-from-*`, and the
caller's `OCPI-from-*` become `OCPI-to-*`. An answer that middleware outside the OCPI router wrote as problem
details (the rate limit's 429, say) is rewritten into the OCPI envelope.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import msgspec
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from api.domain.ocpi.envelope import OcpiStatus, envelope_body

OCPI_PREFIX = "/ocpi"
_SANE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_PARTY = re.compile(r"^[A-Za-z0-9]{1,3}$")
_PROBLEM = b"application/problem+json"


def problem_as_envelope(body: bytes, http_status: int) -> bytes:
    """A problem details body as the OCPI envelope: 2001 for invalid input, 2000 other client errors, 3000 ours."""
    try:
        problem: Any = msgspec.json.decode(body)
    except msgspec.DecodeError:
        problem = {}
    message = ""
    if isinstance(problem, dict):
        message = str(problem.get("detail") or problem.get("title") or "")
    if http_status >= 500:
        code = OcpiStatus.SERVER_ERROR
    elif http_status in (400, 422):
        code = OcpiStatus.INVALID_PARAMETERS
    else:
        code = OcpiStatus.CLIENT_ERROR
    return envelope_body(None, code, message or None)


class OcpiHeadersMiddleware:
    """Adds the correlation and routing headers to answers of the OCPI area, and keeps problem details out of it."""

    def __init__(self, app: ASGIApp, country_code: str, party_id: str) -> None:
        self.app = app
        self.country_code = country_code
        self.party_id = party_id

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == ScopeType.HTTP else ""
        if not (path == OCPI_PREFIX or path.startswith(OCPI_PREFIX + "/")):
            await self.app(scope, receive, send)
            return
        incoming = {name.decode("latin-1"): value.decode("latin-1").strip() for name, value in scope["headers"]}
        correlation = incoming.get("x-correlation-id", "")
        extra = [
            (b"x-correlation-id", (correlation if _SANE.match(correlation) else uuid.uuid4().hex).encode()),
            (b"ocpi-from-country-code", self.country_code.encode()),
            (b"ocpi-from-party-id", self.party_id.encode()),
        ]
        their_country = incoming.get("ocpi-from-country-code", "")
        their_party = incoming.get("ocpi-from-party-id", "")
        if _PARTY.match(their_country) and _PARTY.match(their_party):
            extra.append((b"ocpi-to-country-code", their_country.upper().encode()))
            extra.append((b"ocpi-to-party-id", their_party.upper().encode()))
        held: dict[str, Any] = {}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), *extra]
                if any(k.lower() == b"content-type" and v.startswith(_PROBLEM) for k, v in headers):
                    held["start"], held["body"] = {**message, "headers": headers}, b""
                    return
                message["headers"] = headers
            elif message["type"] == "http.response.body" and "start" in held:
                held["body"] += message.get("body", b"")
                if message.get("more_body"):
                    return
                start = held.pop("start")
                body = problem_as_envelope(held["body"], start["status"])
                kept = [(k, v) for k, v in start["headers"] if k.lower() not in (b"content-type", b"content-length")]
                start["headers"] = [
                    *kept,
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ]
                await send(start)
                await send({"type": "http.response.body", "body": body, "more_body": False})
                return
            await send(message)

        await self.app(scope, receive, send_with_headers)
