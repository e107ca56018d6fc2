"""The operations console's uptime page: a shell the browser fills from `/v1/admin/uptime...` and
`/v1/admin/outages...` with an operator's or an admin's token."""

from __future__ import annotations

from litestar import Response, get

# the module, not its names: operations.py lists this page, so it is still loading when this module is
import api.console.operations as console


@get("/uptime", sync_to_thread=False)
def uptime_page() -> Response[str]:
    return console.OPERATIONS.page("uptime.html", current="uptime", title="Uptime", script="uptime.js")
