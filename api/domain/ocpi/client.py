"""Every request we make to a partner's OCPI API: Token auth (Base64), request/correlation ids, routing headers.

Answers are read leniently: a status code sent as a string is taken, a body that is not an envelope is still
returned (status_code None) so callers can say what went wrong.
"""

from __future__ import annotations

import base64
import logging
import uuid
from types import TracebackType
from typing import Any

import httpx
import msgspec

from api.domain.ocpi.envelope import encode
from api.settings import Settings

logger = logging.getLogger(__name__)


class OcpiReply(msgspec.Struct, frozen=True):
    """A partner's answer: HTTP status, the envelope's status code and message (None when absent), its data."""

    http_status: int
    status_code: int | None
    status_message: str | None
    data: Any
    headers: dict[str, str]

    @property
    def ok(self) -> bool:
        """2xx with an OCPI success code (1xxx)."""
        return 200 <= self.http_status < 300 and self.status_code is not None and 1000 <= self.status_code < 2000

    def describe(self) -> str:
        """One line for logs and error messages."""
        parts = [f"HTTP {self.http_status}"]
        if self.status_code is not None:
            parts.append(f"OCPI {self.status_code}")
        if self.status_message:
            parts.append(self.status_message)
        return ", ".join(parts)


class OcpiUnreachable(Exception):
    """The partner could not be reached (connection refused, timeout, TLS failure)."""


def authorization_header(token: str) -> str:
    """`Token <Base64 of the token>`, as OCPI 2.2.1 requires."""
    return "Token " + base64.b64encode(token.encode()).decode()


class OcpiClient:
    """An httpx client for OCPI calls; use `async with OcpiClient(settings) as client`."""

    def __init__(self, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self._http = httpx.AsyncClient(timeout=settings.ocpi_timeout_seconds, transport=transport)

    async def __aenter__(self) -> OcpiClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def request(
        self,
        method: str,
        url: str,
        *,
        token: str,
        json: object | None = None,
        params: dict[str, str] | None = None,
        to_country_code: str | None = None,
        to_party_id: str | None = None,
        correlation_id: str | None = None,
    ) -> OcpiReply:
        """Send one OCPI request and read its envelope. Raises OcpiUnreachable when no answer came."""
        headers = {
            "Authorization": authorization_header(token),
            "X-Request-ID": str(uuid.uuid4()),
            "X-Correlation-ID": correlation_id or str(uuid.uuid4()),
            "OCPI-from-country-code": self.settings.ocpi_country_code,
            "OCPI-from-party-id": self.settings.ocpi_party_id,
            "Accept": "application/json",
        }
        if to_country_code and to_party_id:
            headers["OCPI-to-country-code"] = to_country_code
            headers["OCPI-to-party-id"] = to_party_id
        content = None
        if json is not None:
            content = encode(json)
            headers["Content-Type"] = "application/json"
        try:
            answer = await self._http.request(method, url, headers=headers, content=content, params=params)
        except httpx.HTTPError as exc:
            raise OcpiUnreachable(f"{method} {url}: {type(exc).__name__}: {exc}") from None
        return read_reply(answer)


def read_reply(answer: httpx.Response) -> OcpiReply:
    """The envelope of an answer, leniently: status_code as a number or a numeric string; anything else None."""
    try:
        body = msgspec.json.decode(answer.content) if answer.content else None
    except msgspec.DecodeError:
        body = None
    status_code: int | None = None
    status_message: str | None = None
    data: Any = None
    if isinstance(body, dict):
        raw_code = body.get("status_code")
        try:
            status_code = int(str(raw_code).strip()) if raw_code is not None else None
        except ValueError:
            status_code = None
        message = body.get("status_message")
        status_message = str(message) if message is not None else None
        data = body.get("data")
    return OcpiReply(
        http_status=answer.status_code,
        status_code=status_code,
        status_message=status_message,
        data=data,
        headers=dict(answer.headers.items()),
    )
