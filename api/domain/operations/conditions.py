"""Alert conditions and the rules that grade them: what detectors report and the catalogue of rule defaults.

Detectors report the raw truth as it changes (`ConditionReport`); the alert engine (a `ConditionSink`) de-duplicates,
applies each rule's hysteresis and severity, and delivers. Rules are read through a `RuleBook`, so operators'
overrides take effect without detectors knowing where they are stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Literal, Protocol

import msgspec

Severity = Literal["critical", "major", "minor", "info"]


class ConditionReport(msgspec.Struct, frozen=True):
    rule: str  # e.g. "derating", "energy_anomaly", "fleet_fault_pattern"
    charger_id: str | None  # OCPP identity; None: network-wide (the payment failure rate)
    connector_id: int | None  # None: the whole charger
    active: bool  # True: the condition holds now; False: it has cleared
    at: datetime  # UTC
    detail: dict[str, str]  # what the operator reads: measured vs expected, SoC, firmware ...


class ConditionSink(Protocol):
    async def report(self, condition: ConditionReport) -> None: ...


class AlertRule(msgspec.Struct, frozen=True):
    name: str  # the rule's key, used in ConditionReport.rule
    title: str  # what an operator reads
    severity: Severity
    enabled: bool = True
    raise_after_seconds: int = 0  # hysteresis: the condition must hold this long before an alert opens
    clear_after_seconds: int = 300  # ... and be clear this long before the alert resolves itself
    affects_drivers: bool = False  # an alert that stops drivers charging opens/updates a support ticket
    params: dict[str, float] = {}  # the rule's thresholds (minutes, counts, ratios)


def _rules(*rules: AlertRule) -> Mapping[str, AlertRule]:
    return MappingProxyType({rule.name: rule for rule in rules})


DEFAULT_RULES: Mapping[str, AlertRule] = _rules(
    AlertRule("charger_offline", "Charger offline", "major", affects_drivers=True, params={"minutes": 10}),
    AlertRule("connector_faulted", "Connector faulted", "major", affects_drivers=True),
    AlertRule("derating", "Charger derating", "minor", params={"ratio": 0.6, "soc_below": 60, "min_sessions": 3}),
    AlertRule("energy_anomaly", "Energy anomaly", "minor"),
    AlertRule("fleet_fault_pattern", "Same fault across the fleet", "major", params={"min_chargers": 3}),
    AlertRule(
        "failed_starts",
        "Repeated failed starts",
        "major",
        affects_drivers=True,
        params={"in_a_row": 3, "rate_factor": 2.0, "window_hours": 24, "min_attempts": 5},
    ),
    AlertRule(
        "session_stuck_stopping", "Session stuck stopping", "major", affects_drivers=True, params={"minutes": 10}
    ),
    AlertRule("firmware_failure", "Firmware update failed", "minor"),
    AlertRule("diagnostics_failure", "Diagnostics upload failed", "info"),
    AlertRule("security_event", "Security event", "critical"),
    AlertRule(
        "payment_failures",
        "Payment failure rate",
        "critical",
        params={"rate": 0.2, "window_minutes": 60, "min_attempts": 10},
    ),
)


class RuleBook(Protocol):
    def rule(self, name: str) -> AlertRule:
        """The rule as configured now (defaults overridden by operators)."""
        ...


class StaticRuleBook:
    """Answers from fixed rules (the defaults, or a test's own)."""

    def __init__(self, rules: Mapping[str, AlertRule]) -> None:
        self._rules = rules

    def rule(self, name: str) -> AlertRule:
        return self._rules[name]
