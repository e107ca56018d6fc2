"""The OCPI response envelope and status codes (status_codes.asciidoc), and the error that produces one.

Every answer under /ocpi, successes and failures alike, is `{data, status_code, status_message, timestamp}`;
`OcpiError` raised anywhere in an OCPI handler becomes such an answer (see `api.domain.ocpi.router`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import IntEnum
from typing import Any

import msgspec
from litestar import Response

from api.domain.ocpi.schemas import format_datetime


class OcpiStatus(IntEnum):
    """OCPI status codes. The hub codes are the spec's 4000-4003; UNKNOWN_RECEIVER, TIMEOUT and CONNECTION_PROBLEM
    are the same values under shorter names."""

    SUCCESS = 1000
    CLIENT_ERROR = 2000
    INVALID_PARAMETERS = 2001
    NOT_ENOUGH_INFORMATION = 2002
    UNKNOWN_LOCATION = 2003
    UNKNOWN_TOKEN = 2004
    SERVER_ERROR = 3000
    UNABLE_TO_USE_CLIENT_API = 3001
    UNSUPPORTED_VERSION = 3002
    NO_MATCHING_ENDPOINTS = 3003
    HUB_ERROR = 4000
    HUB_UNKNOWN_RECEIVER = 4001
    HUB_TIMEOUT = 4002
    HUB_CONNECTION_PROBLEM = 4003
    UNKNOWN_RECEIVER = 4001
    TIMEOUT = 4002
    CONNECTION_PROBLEM = 4003


# OCPI numbers are JSON numbers, Decimal included (the app API sends money as strings; OCPI does not).
_ENCODER = msgspec.json.Encoder(decimal_format="number")


def encode(value: object) -> bytes:
    """JSON for OCPI: Decimals as numbers."""
    return _ENCODER.encode(value)


def envelope_body(data: object, status_code: int, status_message: str | None) -> bytes:
    body: dict[str, Any] = {}
    if data is not None:
        body["data"] = data
    body["status_code"] = int(status_code)
    if status_message is not None:
        body["status_message"] = status_message
    body["timestamp"] = format_datetime(datetime.now(UTC))
    return encode(body)


def ocpi_response(
    data: object,
    *,
    status_code: int = OcpiStatus.SUCCESS,
    status_message: str | None = None,
    http_status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response[bytes]:
    """The envelope around `data` (left out when None), stamped with the current UTC time."""
    return Response(
        content=envelope_body(data, status_code, status_message),
        status_code=http_status,
        media_type="application/json",
        headers=headers,
    )


def default_http_status(status_code: int) -> int:
    """HTTP status for an OCPI error raised without one: 500 for a generic server error, else 400."""
    return 500 if status_code == OcpiStatus.SERVER_ERROR else 400


class OcpiError(Exception):
    """An OCPI failure answered in the envelope: `status_code` (2xxx/3xxx), `message`, and the HTTP status."""

    def __init__(self, status_code: int, message: str, *, http_status: int | None = None) -> None:
        super().__init__(message)
        self.status_code = int(status_code)
        self.message = message
        self.http_status = http_status if http_status is not None else default_http_status(status_code)


def unauthorized(message: str) -> OcpiError:
    """401 in the envelope (a 2000-range status) for a missing or unknown credentials token."""
    return OcpiError(OcpiStatus.CLIENT_ERROR, message, http_status=401)
