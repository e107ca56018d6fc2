"""The operations console's network page: a shell that `network.js` fills from `/v1/admin/network` and keeps live
from `/v1/admin/network/events`."""

from __future__ import annotations

from litestar import Response, get
from litestar.handlers import HTTPRouteHandler

from api.console.shell import ConsoleShell


def network_page(shell: ConsoleShell) -> HTTPRouteHandler:
    """The page, rendered by the console `shell` that lists it (the operations console)."""

    @get("/network", sync_to_thread=False)
    def network() -> Response[str]:
        return shell.page("network.html", current="network", title="Network", script="network.js")

    return network
