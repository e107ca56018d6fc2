"""Alert conditions found outside the alert engine, and the rules catalogue they are graded by."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Literal, Protocol

import msgspec

Severity = Literal["critical", "major", "minor", "info"]


class ConditionReport(msgspec.Struct, frozen=True):
    rule: str
    charger_id: str | None
    connector_id: int | None
    active: bool
    at: datetime
    detail: dict[str, str]


class ConditionSink(Protocol):
    async def report(self, condition: ConditionReport) -> None: ...


class AlertRule(msgspec.Struct, frozen=True):
    name: str
    title: str
    severity: Severity
    enabled: bool = True
    raise_after_seconds: int = 0
    clear_after_seconds: int = 300
    affects_drivers: bool = False
    params: dict[str, float] = {}


DEFAULT_RULES: Mapping[str, AlertRule] = {
    "derating": AlertRule(
        "derating", "Charger derating", "minor", params={"ratio": 0.6, "soc_below": 60, "min_sessions": 3}
    ),
    "energy_anomaly": AlertRule("energy_anomaly", "Energy anomaly", "minor"),
    "fleet_fault_pattern": AlertRule("fleet_fault_pattern", "Fleet fault pattern", "major", params={"min_chargers": 3}),
}


class RuleBook(Protocol):
    def rule(self, name: str) -> AlertRule: ...


class StaticRuleBook:
    def __init__(self, rules: Mapping[str, AlertRule]) -> None:
        self._rules = rules

    def rule(self, name: str) -> AlertRule:
        return self._rules[name]
