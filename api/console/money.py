"""The operations console's money page: the reconciliation of a period and the site hosts' statements, filled from
`/v1/admin/reconciliation`, `/v1/admin/revenue-share` and `/v1/admin/host-agreements` by `money.js`."""

from __future__ import annotations

from litestar import Response, get
from litestar.handlers import HTTPRouteHandler

from api.console.shell import ConsoleShell


def money_page(shell: ConsoleShell) -> HTTPRouteHandler:
    """The page, rendered by the console `shell` that lists it (the operations console)."""

    @get("/money", sync_to_thread=False)
    def money() -> Response[str]:
        return shell.page("money.html", current="money", title="Money", script="money.js")

    return money
