"""The operations console's uptime page: a shell the browser fills from `/v1/admin/uptime...` and
`/v1/admin/outages...` (`uptime.js`) with an operator's or an admin's token."""

from __future__ import annotations

from litestar import Response, get
from litestar.handlers import HTTPRouteHandler

from api.console.shell import ConsoleShell


def uptime_page(shell: ConsoleShell) -> HTTPRouteHandler:
    """The page, rendered by the console `shell` that lists it (the operations console)."""

    @get("/uptime", sync_to_thread=False)
    def uptime() -> Response[str]:
        return shell.page("uptime.html", current="uptime", title="Uptime", script="uptime.js")

    return uptime
