"""The operations console's money page: the reconciliation of a period and the site hosts' statements, filled from
`/v1/admin/reconciliation`, `/v1/admin/revenue-share` and `/v1/admin/host-agreements` by `money.js`."""

from __future__ import annotations

from litestar import Response, get

from api.console.operations import OPERATIONS


@get("/money", sync_to_thread=False)
def money_page() -> Response[str]:
    return OPERATIONS.page("money.html", current="money", title="Money", script="money.js")
