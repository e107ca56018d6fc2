"""The operations console's metrics page: filters, key figures, the heatmap and charts, the charger table and the
CSV tables, all filled by `metrics.js` from `/v1/admin/metrics` with the signed-in operator's token."""

from __future__ import annotations

from litestar import Response, get
from litestar.handlers import HTTPRouteHandler

from api.console.shell import ConsoleShell


def metrics_page(shell: ConsoleShell) -> HTTPRouteHandler:
    """The page, rendered by the console `shell` that lists it (the operations console)."""

    @get("/metrics", sync_to_thread=False)
    def metrics() -> Response[str]:
        return shell.page("metrics.html", current="metrics", title="Metrics", script="metrics.js")

    return metrics
