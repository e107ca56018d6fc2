"""Alert fatigue: how noisy each rule was over a period, so thresholds can be tuned. Per rule and overall: alerts per
alerted charger per week, the median and 90th percentile time to acknowledge, the share of alerts that resolved
themselves within 5 minutes (flapping or a threshold too tight) and the count per severity."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Final, NamedTuple

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models.operation_alerts import OperationAlert
from api.domain.operations.alerts.schemas import FatigueReport, FatigueRow
from api.domain.operations.scope import SiteScope

QUICK: Final = timedelta(minutes=5)
SEVERITIES: Final = ("critical", "major", "minor", "info")


class _Alert(NamedTuple):
    rule: str
    severity: str
    charger_id: str | None
    opened_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    auto_resolved: bool


def percentile(values: Sequence[float], share: float) -> float | None:
    """Linear interpolation between closest ranks (the median of [1, 2, 3, 4] is 2.5)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * share
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _row(rule: str, alerts: Sequence[_Alert], weeks: float) -> FatigueRow:
    chargers = {a.charger_id or "*" for a in alerts}
    waits = [(a.acknowledged_at - a.opened_at).total_seconds() / 60 for a in alerts if a.acknowledged_at]
    quick = sum(
        1 for a in alerts if a.auto_resolved and a.resolved_at is not None and a.resolved_at - a.opened_at <= QUICK
    )
    by_severity = dict.fromkeys(SEVERITIES, 0)
    for alert in alerts:
        by_severity[alert.severity] = by_severity.get(alert.severity, 0) + 1
    median, p90 = percentile(waits, 0.5), percentile(waits, 0.9)
    return FatigueRow(
        rule=rule,
        alerts=len(alerts),
        chargers=len(chargers) if alerts else 0,
        alerts_per_charger_per_week=round(len(alerts) / len(chargers) / weeks, 3) if alerts else 0.0,
        acknowledged=len(waits),
        median_minutes_to_acknowledge=round(median, 2) if median is not None else None,
        p90_minutes_to_acknowledge=round(p90, 2) if p90 is not None else None,
        auto_resolved_within_5_minutes=round(quick / len(alerts), 4) if alerts else 0.0,
        by_severity=by_severity,
    )


async def fatigue(session: AsyncSession, scope: SiteScope, start: datetime, end: datetime) -> FatigueReport:
    """Over the alerts opened in [start, end) in the reader's sites; every rule of the catalogue that fired."""
    rows = await session.execute(
        select(
            OperationAlert.rule,
            OperationAlert.severity,
            OperationAlert.charger_id,
            OperationAlert.opened_at,
            OperationAlert.acknowledged_at,
            OperationAlert.resolved_at,
            OperationAlert.auto_resolved,
        ).where(
            OperationAlert.opened_at >= start,
            OperationAlert.opened_at < end,
            OperationAlert.state != "pending",
            scope.where(OperationAlert.location_id),
        )
    )
    alerts = [
        _Alert(rule, severity, charger, opened, acknowledged, resolved, auto)
        for rule, severity, charger, opened, acknowledged, resolved, auto in rows
        if opened is not None
    ]
    weeks = max((end - start).total_seconds() / (7 * 86400), 1 / 7 / 24)
    per_rule: dict[str, list[_Alert]] = defaultdict(list)
    for alert in alerts:
        per_rule[alert.rule].append(alert)
    ranked = sorted(per_rule.items(), key=lambda item: (-len(item[1]), item[0]))
    return FatigueReport(
        period_from=start,
        period_to=end,
        weeks=round(weeks, 4),
        rules=[_row(rule, items, weeks) for rule, items in ranked],
        overall=_row("*", alerts, weeks),
    )
