"""Alerts that stop drivers charging open or update a support ticket through the desk's path for network-opened
tickets: one ticket per charger problem, grouped under the same dedupe key the OCPP fault/offline path uses
(`network:<charger>:<fault|offline>`), so a fault seen by both lands on one ticket."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import SupportTicket
from api.db.models.operation_alerts import OperationAlert
from api.domain.operations.conditions import AlertRule
from api.domain.support.audit import NETWORK
from api.domain.support.grouping import active_ticket, claim, raise_priority, record_grouped
from api.domain.support.sla import SlaPolicy
from api.domain.support.workflow import ACTIVE_STATUSES, add_message, open_ticket

PRIORITY: Final = "high"
# The rules whose problems the OCPP path also opens tickets for, under its kinds.
NETWORK_KINDS: Final = {"connector_faulted": "fault", "charger_offline": "offline"}
CATEGORIES: Final = {"fault": "charger_fault", "offline": "charger_offline"}


def dedupe_key(alert: OperationAlert) -> str:
    kind = NETWORK_KINDS.get(alert.rule, alert.rule)
    return f"network:{alert.charger_id or 'network'}:{kind}"


def _text(alert: OperationAlert, rule: AlertRule, opening: str) -> str:
    lines = [f"{opening} {rule.title} ({alert.rule}, {alert.severity})."]
    if alert.charger_id:
        lines.append(
            f"Charger: {alert.charger_id}" + (f", connector {alert.connector_id}." if alert.connector_id else ".")
        )
    lines.extend(f"{key}: {value}." for key, value in (alert.detail or {}).items())
    lines.append(f"Operations alert {alert.id}.")
    return "\n".join(lines)


class AlertTickets:
    def __init__(self, policy: SlaPolicy) -> None:
        self.policy = policy

    async def open_or_update(self, session: AsyncSession, alert: OperationAlert, rule: AlertRule, now: datetime) -> int:
        """The active ticket of the alert's charger problem, opened when there is none; its id (flushed)."""
        key = dedupe_key(alert)
        await claim(session, key)
        ticket = await active_ticket(session, key)
        if ticket is None:
            kind = NETWORK_KINDS.get(alert.rule)
            where = alert.charger_id or "the network"
            on = f" connector {alert.connector_id}" if alert.connector_id else ""
            code = (alert.detail or {}).get("errorCode")
            on += f" ({code})" if code else ""
            ticket = await open_ticket(
                session,
                policy=self.policy,
                actor=NETWORK,
                source="network",
                priority=PRIORITY,
                category=CATEGORIES[kind] if kind else f"operations:{alert.rule}"[:40],
                summary=f"{rule.title}: {where}{on} (drivers cannot charge)"[:300],
                now=now,
                charger_id=alert.charger_id,
                location_id=alert.location_id,
                dedupe_key=key,
                tags=["network", "alert", alert.rule],
                diagnostics={"alert": {"id": str(alert.id), "rule": alert.rule, "detail": dict(alert.detail or {})}},
            )
            add_message(session, ticket, visibility="system", actor=NETWORK, text=_text(alert, rule, "Alert:"), now=now)
        else:
            raise_priority(session, ticket, PRIORITY, NETWORK, policy=self.policy, now=now)
            record_grouped(session, ticket, NETWORK, {"alertId": str(alert.id), "rule": alert.rule}, now=now)
            add_message(
                session, ticket, visibility="system", actor=NETWORK, text=_text(alert, rule, "Alert again:"), now=now
            )
        return ticket.id

    async def recovered(self, session: AsyncSession, alert: OperationAlert, now: datetime) -> int | None:
        """A system line on the linked ticket when its alert resolved; the ticket id, if it is still active."""
        if alert.ticket_id is None:
            return None
        ticket = await session.get(SupportTicket, alert.ticket_id)
        if ticket is None or ticket.status not in ACTIVE_STATUSES:
            return None
        how = "The condition cleared." if alert.auto_resolved else "Resolved by hand."
        add_message(
            session, ticket, visibility="system", actor=NETWORK, text=f"Alert {alert.id} resolved. {how}", now=now
        )
        return ticket.id
