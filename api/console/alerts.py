"""The operations console's alerts page: a shell that `alerts.js` fills from `/v1/admin/alerts` with the signed-in
operator's or admin's token and keeps live from `/v1/admin/alerts/events`."""

from __future__ import annotations

from litestar import Response, get
from litestar.handlers import HTTPRouteHandler

from api.console.shell import ConsoleShell


def alerts_page(shell: ConsoleShell) -> HTTPRouteHandler:
    """The page, rendered by the console `shell` that lists it (the operations console)."""

    @get("/alerts", sync_to_thread=False)
    def alerts() -> Response[str]:
        return shell.page("alerts.html", current="alerts", title="Alerts", script="alerts.js")

    return alerts
