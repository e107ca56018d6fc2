"""OCPI headers on every answer under /ocpi, errors and unknown paths included.

`X-Correlation-ID` is echoed (one is made when the request has none); `X-Request-ID` is echoed by
`api.request_context`. The routing headers answer with ours and theirs swapped: we are `OCPI-from-*`, and the
caller's `OCPI-from-*` become `OCPI-to-*`.
"""

from __future__ import annotations

import re
import uuid

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

OCPI_PREFIX = "/ocpi"
_SANE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_PARTY = re.compile(r"^[A-Za-z0-9]{1,3}$")


class OcpiHeadersMiddleware:
    """Adds the correlation and routing headers to answers of the OCPI area."""

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

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
