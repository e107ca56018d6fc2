"""What the alert detector tests share: a sink that records what it is told, a clock the test moves, rule books."""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec

from api.db.types import utc_now
from api.domain.operations.conditions import DEFAULT_RULES, ConditionReport, StaticRuleBook


class RecordingSink:
    """Our own `ConditionSink` port, keeping every report in order."""

    def __init__(self) -> None:
        self.reports: list[ConditionReport] = []

    async def report(self, condition: ConditionReport) -> None:
        self.reports.append(condition)

    def of(self, rule: str) -> list[tuple[str | None, int | None, bool]]:
        """(charger, connector, active) of each report of `rule`, in the order they came."""
        return [(r.charger_id, r.connector_id, r.active) for r in self.reports if r.rule == rule]

    def last(self, rule: str) -> ConditionReport:
        return [r for r in self.reports if r.rule == rule][-1]


class MovingClock:
    """Now, plus however far the test has moved it."""

    def __init__(self) -> None:
        self.shift = timedelta()

    def __call__(self) -> datetime:
        return utc_now() + self.shift

    def advance(self, **delta: float) -> None:
        self.shift += timedelta(**delta)


def rules_with(name: str, **params: float) -> StaticRuleBook:
    """The default rules with `name`'s params changed."""
    rule = DEFAULT_RULES[name]
    changed = msgspec.structs.replace(rule, params={**rule.params, **params})
    return StaticRuleBook({**DEFAULT_RULES, name: changed})
