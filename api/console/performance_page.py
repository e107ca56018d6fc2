"""The operations console's charger performance page: connectors derating now, a charger's baselines and sessions.

A shell like every console page: its script reads `/v1/admin/derating` and `/v1/admin/chargers/{id}/performance`
with the operator's or admin's token.
"""

from __future__ import annotations

from litestar import Response, get

from api.console import operations


@get("/performance", sync_to_thread=False)
def performance_page() -> Response[str]:
    return operations.OPERATIONS.page(
        "performance.html", current="performance", title="Performance", script="performance.js"
    )
