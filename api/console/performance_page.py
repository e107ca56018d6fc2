"""The operations console's charger performance page: connectors derating now, a charger's baselines and sessions,
filled from `/v1/admin/derating` and `/v1/admin/chargers/{id}/performance` by `performance.js`."""

from __future__ import annotations

from litestar import Response, get
from litestar.handlers import HTTPRouteHandler

from api.console.shell import ConsoleShell


def performance_page(shell: ConsoleShell) -> HTTPRouteHandler:
    """The page, rendered by the console `shell` that lists it (the operations console)."""

    @get("/performance", sync_to_thread=False)
    def performance() -> Response[str]:
        return shell.page("performance.html", current="performance", title="Performance", script="performance.js")

    return performance
