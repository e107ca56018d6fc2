"""The version information endpoints (version_information_endpoint.asciidoc): /ocpi/versions and /ocpi/2.2.1.

Only 2.2.1 is offered. The details list every module of `OCPI_MODULES` with its role and full URL; URLs start
with VOLTWAY_OCPI_BASE_URL when set, else with the address the request came to.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get

from api.domain.ocpi.auth import TOKEN_A_ALLOWED
from api.domain.ocpi.envelope import ocpi_response
from api.domain.ocpi.modules import OCPI_MODULES
from api.domain.ocpi.pagination import public_url
from api.domain.ocpi.schemas import OCPI_VERSION, Endpoint, Version, VersionDetails

MODULES_PATH = "/ocpi/cpo/" + OCPI_VERSION


def version_details(request: Request[Any, Any, Any]) -> VersionDetails:
    endpoints = [
        Endpoint(identifier=module.identifier, role=module.role, url=public_url(request, MODULES_PATH + module.path))
        for module in OCPI_MODULES
    ]
    return VersionDetails(version=OCPI_VERSION, endpoints=endpoints)


class VersionsController(Controller):
    """Which OCPI versions we speak and where each module of 2.2.1 lives."""

    opt = TOKEN_A_ALLOWED

    @get("/versions")
    async def versions(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        """The versions we support: 2.2.1."""
        return ocpi_response([Version(version=OCPI_VERSION, url=public_url(request, "/ocpi/" + OCPI_VERSION))])

    @get("/" + OCPI_VERSION)
    async def details(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        """The 2.2.1 endpoints: credentials and every module we implement, with role and URL."""
        return ocpi_response(version_details(request))
