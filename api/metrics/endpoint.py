"""`GET /metrics`: Litestar's Prometheus endpoint, behind the scrape token when one is configured."""

from __future__ import annotations

import hmac
from typing import Any

from litestar import Response, get
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.plugins.prometheus import PrometheusController

from api.errors import Unauthorized
from api.settings import Settings

METRICS_SECURITY = "MetricsToken"


def require_metrics_token(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """With VOLTWAY_METRICS_TOKEN set, only a scraper sending `Authorization: Bearer <token>` reads the metrics."""
    settings: Settings = connection.app.state.settings
    if not settings.metrics_token:
        return
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), settings.metrics_token.encode()):
        raise Unauthorized("Send the metrics token as 'Authorization: Bearer <VOLTWAY_METRICS_TOKEN>'.")


class MetricsController(PrometheusController):
    """The metrics in Prometheus' text format."""

    guards = [require_metrics_token]
    security = [{METRICS_SECURITY: []}]
    tags = ["System"]

    @get(media_type="text/plain", summary="Prometheus metrics (with the metrics token when one is configured)")
    async def get(self) -> Response[bytes]:
        response: Response[bytes] = await PrometheusController.get.fn(self)
        return response
