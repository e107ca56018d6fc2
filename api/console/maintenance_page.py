"""The operations console's maintenance page: work orders, one work order's checklist and closing, and the
preventive schedules per site. A shell the browser fills from /v1/admin/work-orders and
/v1/admin/maintenance/schedules with the signed-in operator's or admin's token."""

from __future__ import annotations

from litestar import Response, get


@get("/maintenance", sync_to_thread=False)
def maintenance_page() -> Response[str]:
    from api.console.operations import OPERATIONS  # the console module lists this page: imported on use, not above

    return OPERATIONS.page("maintenance.html", current="maintenance", title="Maintenance", script="maintenance.js")
