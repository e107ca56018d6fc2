"""The operations console's alerts page: a shell the browser fills from `/v1/admin/alerts` with the signed-in
operator's or admin's token, live from the alert feed."""

from __future__ import annotations

from litestar import Response, get

from api.console import operations as console


@get("/alerts", sync_to_thread=False)
def alerts_page() -> Response[str]:
    return console.OPERATIONS.page("alerts.html", current="alerts", title="Alerts", script="alerts.js")
