"""The OCPI area: one router under /ocpi with its own guard, and OCPI errors in the envelope.

The router mounts the versions endpoints and every controller of `OCPI_MODULES` under /ocpi/cpo/2.2.1. Errors
under /ocpi are never problem details: `ocpi_exception_handlers` wraps the app's handlers so that anything that
goes wrong there (unknown path, bad parameters, a bad token, a crash) is answered in the envelope: 2001 for
invalid input, 2000 with the HTTP status for other client errors, 3000 without detail for unexpected failures.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from litestar import Request, Response, Router
from litestar.di import Provide
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import ExceptionHandlersMap
from sqlalchemy import exc as sa_exc

from api.domain.ocpi.auth import ocpi_guard, provide_caller
from api.domain.ocpi.envelope import OcpiError, OcpiStatus, ocpi_response
from api.domain.ocpi.headers import OCPI_PREFIX
from api.domain.ocpi.modules import OCPI_MODULES
from api.domain.ocpi.pagination import provide_page
from api.domain.ocpi.versions import MODULES_PATH, VersionsController
from api.errors import InvalidInput, VoltwayError

logger = logging.getLogger(__name__)

# An unreachable database or network: the request itself was fine, so the partner should try again.
_OUTAGES = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError, ConnectionError, TimeoutError)

Handler = Callable[[Request[Any, Any, Any], Any], Response[Any]]


def ocpi_router() -> Router:
    """/ocpi: versions, and the modules' controllers under /ocpi/cpo/2.2.1; left out of the app's OpenAPI."""
    controllers: list[Any] = []
    for module in OCPI_MODULES:
        controllers.extend(c for c in module.controllers if c not in controllers)
    modules = Router(path=MODULES_PATH.removeprefix(OCPI_PREFIX), route_handlers=controllers)
    return Router(
        path=OCPI_PREFIX,
        route_handlers=[VersionsController, modules],
        guards=[ocpi_guard],
        dependencies={
            "caller": Provide(provide_caller, sync_to_thread=False),
            "page": Provide(provide_page, sync_to_thread=False),
        },
        include_in_schema=False,
    )


def is_ocpi_path(path: str) -> bool:
    return path == OCPI_PREFIX or path.startswith(OCPI_PREFIX + "/")


def ocpi_error_response(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    """Any exception raised under /ocpi, as an OCPI envelope."""
    if isinstance(exc, OcpiError):
        return ocpi_response(None, status_code=exc.status_code, status_message=exc.message, http_status=exc.http_status)
    if isinstance(exc, InvalidInput):
        return ocpi_response(None, status_code=OcpiStatus.INVALID_PARAMETERS, status_message=str(exc), http_status=400)
    if isinstance(exc, ValidationException):
        message = str(exc.detail or "Invalid or missing parameters")
        return ocpi_response(None, status_code=OcpiStatus.INVALID_PARAMETERS, status_message=message, http_status=400)
    if isinstance(exc, _OUTAGES):
        logger.warning(
            "database unavailable on OCPI request %s %s: %s", request.method, request.url.path, type(exc).__name__
        )
        return ocpi_response(
            None,
            status_code=OcpiStatus.SERVER_ERROR,
            status_message="Temporarily unavailable; try again in a few seconds.",
            http_status=503,
            headers={"Retry-After": "5"},
        )
    if isinstance(exc, HTTPException | VoltwayError):
        status = exc.status_code
        if status < 500:
            message = str(getattr(exc, "detail", "") or exc) or "Client error"
            headers = {k: v for k, v in (exc.headers or {}).items() if k.lower() != "www-authenticate"}
            return ocpi_response(
                None, status_code=OcpiStatus.CLIENT_ERROR, status_message=message, http_status=status, headers=headers
            )
        logger.error("OCPI request %s %s failed with %s", request.method, request.url.path, status, exc_info=exc)
        return ocpi_response(
            None, status_code=OcpiStatus.SERVER_ERROR, status_message="Server error", http_status=status
        )
    logger.error("unhandled error on OCPI request %s %s", request.method, request.url.path, exc_info=exc)
    return ocpi_response(
        None,
        status_code=OcpiStatus.SERVER_ERROR,
        status_message="Something went wrong on our side; quote the X-Request-ID when you contact us.",
        http_status=500,
    )


def _for_ocpi(fallback: Handler) -> Handler:
    def handle(request: Request[Any, Any, Any], exc: Any) -> Response[Any]:
        if is_ocpi_path(request.url.path):
            return ocpi_error_response(request, exc)
        return fallback(request, exc)

    return handle


def ocpi_exception_handlers(base: ExceptionHandlersMap) -> ExceptionHandlersMap:
    """The app's exception handlers, each answering in the OCPI envelope for paths under /ocpi."""
    handlers: ExceptionHandlersMap = {key: _for_ocpi(handler) for key, handler in base.items()}
    handlers[OcpiError] = ocpi_error_response  # raised only by OCPI code: always the envelope
    return handlers
