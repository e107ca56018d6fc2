"""The operations console's maintenance page: work orders, one work order's checklist and closing, and the
preventive schedules per site. A shell that `maintenance.js` fills from /v1/admin/work-orders and
/v1/admin/maintenance/schedules with the signed-in operator's or admin's token."""

from __future__ import annotations

from litestar import Response, get
from litestar.handlers import HTTPRouteHandler

from api.console.shell import ConsoleShell


def maintenance_page(shell: ConsoleShell) -> HTTPRouteHandler:
    """The page, rendered by the console `shell` that lists it (the operations console)."""

    @get("/maintenance", sync_to_thread=False)
    def maintenance() -> Response[str]:
        return shell.page("maintenance.html", current="maintenance", title="Maintenance", script="maintenance.js")

    return maintenance
