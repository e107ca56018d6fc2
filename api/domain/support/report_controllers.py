"""`/v1/support/metrics`: the support desk's measures over a time window, for agents and admins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Final

from litestar import Controller, get
from litestar.params import QueryParameter

from api.db.types import utc_now
from api.deps import DbSession
from api.domain.support.reports import SupportMetrics, support_metrics
from api.errors import FieldError, InvalidInput
from api.security.guards import staff_only

DEFAULT_WINDOW: Final = timedelta(days=30)
LONGEST_WINDOW: Final = timedelta(days=400)


def _utc(moment: datetime) -> datetime:
    """A time without an offset is read as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class SupportMetricsController(Controller):
    path = "/v1/support/metrics"
    tags = ["Support"]
    guards = [staff_only]
    security = [{"BearerToken": []}]

    @get("", summary="Support desk metrics for a time window")
    async def metrics(
        self,
        db_session: DbSession,
        window_from: Annotated[
            datetime | None,
            QueryParameter(name="from", description="Start of the window (ISO 8601; default: 30 days before `to`)"),
        ] = None,
        window_to: Annotated[
            datetime | None, QueryParameter(name="to", description="End of the window, excluded (default: now)")
        ] = None,
    ) -> SupportMetrics:
        """Response and resolution times (median, p90), SLA breaches and ticket counts for tickets opened in the
        window; the backlog now; assistant containment for conversations started in it; satisfaction for ratings
        given in it. Times without an offset are UTC; the window is at most 400 days."""
        now = utc_now()
        end = _utc(window_to) if window_to is not None else now
        start = _utc(window_from) if window_from is not None else end - DEFAULT_WINDOW
        if start >= end:
            raise InvalidInput([FieldError("from", "must be before `to`", source="query")])
        if end - start > LONGEST_WINDOW:
            raise InvalidInput([FieldError("from", "the window is at most 400 days long", source="query")])
        return await support_metrics(db_session, start, end, now)
