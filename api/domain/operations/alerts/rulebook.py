"""The rules as configured now: the catalogue's defaults with the operators' overrides from the database, kept in
memory (read on every condition report) and read again when an admin changes a rule, or by the periodic scan so
that every process follows a change made in another."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Final

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models.operation_alerts import AlertRuleOverride
from api.domain.operations.conditions import DEFAULT_RULES, AlertRule

logger = logging.getLogger(__name__)

ESCALATE_PARAM: Final = "escalate_after_minutes"
# A critical or major alert nobody acknowledged in this many minutes escalates (a rule's param overrides it).
ESCALATE_DEFAULT_MINUTES: Final = {"critical": 15.0, "major": 60.0}
SEVERITIES: Final = ("critical", "major", "minor", "info")


class RuleChange(msgspec.Struct, frozen=True, kw_only=True):
    """What an admin sets on a rule; None leaves the current value, `params` merge over the defaults."""

    severity: str | None = None
    enabled: bool | None = None
    raise_after_seconds: int | None = None
    clear_after_seconds: int | None = None
    params: dict[str, float] | None = None


class RuleChangeError(ValueError):
    """A change that would leave the rule unusable (unknown param, negative time, unknown severity); `field` names
    the offending field of the request (camelCase)."""

    def __init__(self, message: str, field: str = "params") -> None:
        super().__init__(message)
        self.field = field


def escalation_minutes(rule: AlertRule) -> float | None:
    """Minutes an unacknowledged alert of this rule waits before escalating; None: it never escalates."""
    if ESCALATE_PARAM in rule.params:
        return float(rule.params[ESCALATE_PARAM])
    return ESCALATE_DEFAULT_MINUTES.get(rule.severity)


def check_change(name: str, change: RuleChange) -> None:
    default = DEFAULT_RULES[name]
    if change.severity is not None and change.severity not in SEVERITIES:
        raise RuleChangeError(f"severity must be one of {', '.join(SEVERITIES)}", "severity")
    for field in ("raise_after_seconds", "clear_after_seconds"):
        value = getattr(change, field)
        if value is not None and not 0 <= value <= 7 * 86400:
            name = "raiseAfterSeconds" if field.startswith("raise") else "clearAfterSeconds"
            raise RuleChangeError(f"{field} must be between 0 and 604800 seconds", name)
    for key, value in (change.params or {}).items():
        if key not in default.params and key != ESCALATE_PARAM:
            known = ", ".join([*sorted(default.params), ESCALATE_PARAM])
            raise RuleChangeError(f"the rule {name} has no parameter {key!r} (it has: {known})")
        if not value >= 0:
            raise RuleChangeError(f"the parameter {key} must be a number of 0 or more")


def apply(default: AlertRule, row: AlertRuleOverride | None) -> AlertRule:
    if row is None:
        return default
    severity = row.severity if row.severity in SEVERITIES else default.severity
    return msgspec.structs.replace(
        default,
        severity=severity,  # checked against SEVERITIES just above
        enabled=default.enabled if row.enabled is None else row.enabled,
        raise_after_seconds=(
            default.raise_after_seconds if row.raise_after_seconds is None else row.raise_after_seconds
        ),
        clear_after_seconds=(
            default.clear_after_seconds if row.clear_after_seconds is None else row.clear_after_seconds
        ),
        params={**default.params, **(row.params or {})},
    )


class LiveRuleBook:
    """Implements the catalogue's `RuleBook` from `DEFAULT_RULES` and the `alert_rule_overrides` table."""

    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession], defaults: Mapping[str, AlertRule] = DEFAULT_RULES
    ) -> None:
        self._session_factory = session_factory
        self._defaults = defaults
        self._rules: dict[str, AlertRule] = dict(defaults)

    def rule(self, name: str) -> AlertRule:
        """The rule as configured now (KeyError for a name the catalogue does not have)."""
        return self._rules[name]

    def knows(self, name: str) -> bool:
        return name in self._rules

    def all(self) -> list[AlertRule]:
        return [self._rules[name] for name in self._defaults]

    async def refresh(self) -> None:
        """Read the overrides again (after a change, and on every scan)."""
        async with self._session_factory() as session:
            rows = {row.name: row for row in (await session.execute(select(AlertRuleOverride))).scalars()}
        self._rules = {name: apply(default, rows.get(name)) for name, default in self._defaults.items()}

    async def change(
        self, session: AsyncSession, name: str, change: RuleChange, *, by: uuid.UUID | None, now: datetime
    ) -> AlertRule:
        """Store an admin's change (the caller's transaction; commit, then `refresh`). KeyError: no such rule."""
        default = self._defaults[name]
        check_change(name, change)
        row = await session.get(AlertRuleOverride, name)
        if row is None:
            row = AlertRuleOverride(name=name, params={})
            session.add(row)
        if change.severity is not None:
            row.severity = change.severity
        if change.enabled is not None:
            row.enabled = change.enabled
        if change.raise_after_seconds is not None:
            row.raise_after_seconds = change.raise_after_seconds
        if change.clear_after_seconds is not None:
            row.clear_after_seconds = change.clear_after_seconds
        if change.params is not None:
            row.params = {**(row.params or {}), **change.params}
        row.updated_at = now
        row.updated_by = by
        return apply(default, row)
