"""The operations console's metrics page: filters, key figures, the heatmap and charts, the charger table and the
CSV tables, all filled by `metrics.js` from `/v1/admin/metrics` with the signed-in operator's token."""

from __future__ import annotations

from litestar import Response, get


@get("/metrics", sync_to_thread=False)
def metrics_page() -> Response[str]:
    # late: the operations console imports this module to list the page
    from api.console.operations import OPERATIONS

    return OPERATIONS.page("metrics.html", current="metrics", title="Metrics", script="metrics.js")
