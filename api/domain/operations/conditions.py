"""What the alert engine is told, and the rules it grades it by.

Detectors (a charger offline, a connector faulted, a charger derating, ...) report the raw truth as it changes: a
`ConditionReport` that holds (`active`) or has cleared. The engine behind the `ConditionSink` de-duplicates,
applies each rule's hysteresis and severity, and notifies; detectors keep no alert state of their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Literal, Protocol

import msgspec

Severity = Literal["critical", "major", "minor", "info"]
SEVERITIES: tuple[Severity, ...] = ("critical", "major", "minor", "info")


class ConditionReport(msgspec.Struct, frozen=True):
    """One detector's finding about a charger (or the whole network when `charger_id` is None)."""

    rule: str
    charger_id: str | None  # OCPP identity
    connector_id: int | None  # None: the whole charger
    active: bool  # True: the condition holds now; False: it has cleared
    at: datetime  # UTC
    detail: dict[str, str] = {}  # what the operator reads: measured vs expected, error code, firmware ...
    # what a network-wide condition (no charger) is about, so two of one rule are two problems: a fleet fault
    # pattern names its model, firmware and error code
    subject: str | None = None


class ConditionSink(Protocol):
    """Where detectors report; the alert engine implements it."""

    async def report(self, condition: ConditionReport) -> None: ...


class AlertRule(msgspec.Struct, frozen=True):
    """A rule as configured: its severity, its hysteresis and its thresholds."""

    name: str
    title: str
    severity: Severity
    enabled: bool = True
    raise_after_seconds: int = 0  # the condition must hold this long before an alert opens
    clear_after_seconds: int = 300  # ... and be clear this long before the alert resolves itself
    affects_drivers: bool = False  # stops drivers charging: opens or updates a support ticket
    params: dict[str, float] = {}


class RuleBook(Protocol):
    """The rules as configured now (defaults overridden by operators)."""

    def rule(self, name: str) -> AlertRule: ...


DEFAULT_RULES: Mapping[str, AlertRule] = MappingProxyType(
    {
        rule.name: rule
        for rule in (
            AlertRule("charger_offline", "Charger offline", "major", affects_drivers=True, params={"minutes": 10}),
            AlertRule("connector_faulted", "Connector faulted", "major", affects_drivers=True),
            AlertRule(
                "derating",
                "Charger delivers well below its rating",
                "minor",
                params={"ratio": 0.6, "soc_below": 60, "min_sessions": 3},
            ),
            AlertRule("energy_anomaly", "Energy readings do not add up", "minor"),
            AlertRule(
                "fleet_fault_pattern", "Same fault on one model after one firmware", "major", params={"min_chargers": 3}
            ),
            AlertRule(
                "failed_starts",
                "Repeated failed starts",
                "major",
                affects_drivers=True,
                params={"in_a_row": 3, "rate_factor": 2.0, "window_hours": 24, "min_attempts": 5},
            ),
            AlertRule(
                "session_stuck_stopping",
                "Session stuck stopping",
                "major",
                affects_drivers=True,
                params={"minutes": 10},
            ),
            AlertRule("firmware_failure", "Firmware update failed", "minor"),
            AlertRule("diagnostics_failure", "Diagnostics upload failed", "info"),
            AlertRule("security_event", "Security event", "critical"),
            AlertRule(
                "payment_failures",
                "Payment failure rate high",
                "critical",
                params={"rate": 0.2, "window_minutes": 60, "min_attempts": 10},
            ),
        )
    }
)


class StaticRuleBook:
    """Answers from fixed rules (the defaults unless given others)."""

    def __init__(self, rules: Mapping[str, AlertRule] = DEFAULT_RULES) -> None:
        self._rules = rules

    def rule(self, name: str) -> AlertRule:
        return self._rules[name]
