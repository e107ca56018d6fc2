"""The operations console's network page: a shell that network.js fills from /v1/admin/network and its live feed."""

from __future__ import annotations

from litestar import Response, get


@get("/network", sync_to_thread=False)
def network_page() -> Response[str]:
    """Chargers and EVSEs of the operator's sites, grouped, filtered and live."""
    # imported here: the operations console registers this page, so it cannot be imported before the console is
    from api.console.operations import OPERATIONS

    return OPERATIONS.page("network.html", current="network", title="Network", script="network.js")
