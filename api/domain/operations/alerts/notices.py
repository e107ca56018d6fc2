"""Telling people about alerts: the operations webhook (through the delivery outbox) and mail (through the mail
outbox) to the operators whose scope holds the alert's site, and to the admins. Everything is queued in the
caller's transaction, so a notice exists if and only if its cause committed; mails are sent after the commit."""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import Location, MailMessage, User
from api.db.models.operation_alerts import OperationAlert
from api.db.models.organisation import OperatorScope
from api.deliveries.targets import OPERATIONS_WEBHOOK
from api.deliveries.worker import DeliveryWorker
from api.domain.operations.alerts import history
from api.mail.outbox import MailOutbox

OPENED: Final = "operations.alert_opened"
RESOLVED: Final = "operations.alert_resolved"
ESCALATED: Final = "operations.alert_escalated"
DIGEST: Final = "operations.alert_digest"

Recipient = tuple[uuid.UUID | None, str]
RECIPIENTS_SECONDS: Final = 30.0  # a change of an operator's scope reaches their mail within this


async def find_recipients(session: AsyncSession, location_id: uuid.UUID | None) -> list[Recipient]:
    """The admins, and the operators whose regions or business units hold the location (none for a network-wide
    alert, which has no site)."""
    live = (User.erased_at.is_(None),)
    found: dict[str, Recipient] = {}
    admins = await session.execute(select(User.id, User.email).where(*live, User.role == "admin"))
    for user_id, email in admins:
        found[email] = (user_id, email)
    if location_id is not None:
        place = (
            await session.execute(
                select(Location.region_id, Location.business_unit_id).where(Location.id == location_id)
            )
        ).one_or_none()
        if place is not None:
            region_id, unit_id = place
            matches = []
            if region_id is not None:
                matches.append(OperatorScope.region_id == region_id)
            if unit_id is not None:
                matches.append(OperatorScope.business_unit_id == unit_id)
            if matches:
                operators = await session.execute(
                    select(User.id, User.email)
                    .join(OperatorScope, OperatorScope.user_id == User.id)
                    .where(*live, User.role == "operator", or_(*matches))
                    .distinct()
                )
                for user_id, email in operators:
                    found[email] = (user_id, email)
    return sorted(found.values(), key=lambda recipient: recipient[1])


class Recipients:
    """`find_recipients`, remembered per site for a few seconds (a burst of alerts mails the same people)."""

    def __init__(self, seconds: float = RECIPIENTS_SECONDS) -> None:
        self._seconds = seconds
        self._known: dict[uuid.UUID | None, tuple[float, list[Recipient]]] = {}

    async def __call__(self, session: AsyncSession, location_id: uuid.UUID | None) -> list[Recipient]:
        now = time.monotonic()
        known = self._known.get(location_id)
        if known is not None and known[0] > now:
            return known[1]
        found = await find_recipients(session, location_id)
        if len(self._known) >= 10_000:
            self._known.clear()
        self._known[location_id] = (now + self._seconds, found)
        return found


def _where(alert: OperationAlert) -> str:
    if alert.charger_id is None:
        return "the whole network"
    return f"charger {alert.charger_id}" + (f" connector {alert.connector_id}" if alert.connector_id else "")


class Notices:
    """Queues the notices; `sent(mails)` after the commit hands the mails to the mail outbox's sender."""

    def __init__(
        self,
        deliveries: DeliveryWorker,
        mail: MailOutbox,
        *,
        base_url: str,
        escalation_emails: Sequence[str] = (),
        recipients_seconds: float = RECIPIENTS_SECONDS,
    ) -> None:
        self._deliveries = deliveries
        self._mail = mail
        self._base_url = base_url.rstrip("/")
        self._escalation_emails = tuple(escalation_emails)
        self.recipients = Recipients(recipients_seconds)

    def link(self, alert: OperationAlert) -> str:
        return f"{self._base_url}/console/alerts?alert={alert.id}"

    def payload(self, alert: OperationAlert, kind: str) -> dict[str, Any]:
        """The webhook body (camelCase JSON)."""
        return {
            "event": kind,
            "alertId": str(alert.id),
            "rule": alert.rule,
            "title": alert.title,
            "severity": alert.severity,
            "state": alert.state,
            "chargerId": alert.charger_id,
            "connectorId": alert.connector_id,
            "locationId": str(alert.location_id) if alert.location_id else None,
            "detail": dict(alert.detail or {}),
            "occurrences": alert.occurrences,
            "openedAt": alert.opened_at.isoformat() if alert.opened_at else None,
            "resolvedAt": alert.resolved_at.isoformat() if alert.resolved_at else None,
            "autoResolved": alert.auto_resolved,
            "ticketId": alert.ticket_id,
            "link": self.link(alert),
        }

    def _webhook(self, session: AsyncSession, kind: str, payload: dict[str, Any]) -> bool:
        if self._deliveries.targets.get(OPERATIONS_WEBHOOK) is None:
            return False
        self._deliveries.enqueue(session, kind, OPERATIONS_WEBHOOK, None, payload)
        return True

    def _queue(
        self, session: AsyncSession, to: Sequence[Recipient], kind: str, subject: str, body: str
    ) -> list[MailMessage]:
        mail_kind = kind.replace(".", "_")[:32]
        return [
            self._mail.queue(session, to=email, subject=subject[:300], body=body, user_id=user_id, kind=mail_kind)
            for user_id, email in to
        ]

    def _body(self, alert: OperationAlert, opening: str) -> str:
        details = "".join(f"{key}: {value}\n" for key, value in (alert.detail or {}).items())
        return (
            f"{opening}\n\n{alert.title} [{alert.severity}] on {_where(alert)}\n"
            f"Rule: {alert.rule}\nOpened: {alert.opened_at:%Y-%m-%d %H:%M} UTC\n{details}\n{self.link(alert)}\n"
        )

    async def opened(self, session: AsyncSession, alert: OperationAlert, now: datetime) -> list[MailMessage]:
        webhook = self._webhook(session, OPENED, self.payload(alert, OPENED))
        to = await self.recipients(session, alert.location_id)
        subject = f"[{alert.severity}] {alert.title}: {_where(alert)}"
        mails = self._queue(session, to, OPENED, subject, self._body(alert, "An alert opened."))
        history.record(session, alert, "notified", now, {"kind": OPENED, "webhook": webhook, "mailed": len(mails)})
        return mails

    async def resolved(self, session: AsyncSession, alert: OperationAlert, now: datetime) -> list[MailMessage]:
        webhook = self._webhook(session, RESOLVED, self.payload(alert, RESOLVED))
        to = await self.recipients(session, alert.location_id)
        how = "by itself (the condition cleared)" if alert.auto_resolved else "by hand"
        subject = f"Resolved: {alert.title}: {_where(alert)}"
        mails = self._queue(session, to, RESOLVED, subject, self._body(alert, f"An alert was resolved {how}."))
        history.record(session, alert, "notified", now, {"kind": RESOLVED, "webhook": webhook, "mailed": len(mails)})
        return mails

    async def escalated(self, session: AsyncSession, alert: OperationAlert, now: datetime) -> list[MailMessage]:
        """To the configured escalation addresses and the admins."""
        webhook = self._webhook(session, ESCALATED, self.payload(alert, ESCALATED))
        admins = await session.execute(
            select(User.id, User.email).where(User.erased_at.is_(None), User.role == "admin")
        )
        found: dict[str, Recipient] = {email: (None, email) for email in self._escalation_emails}
        for user_id, email in admins:
            found[email] = (user_id, email)
        minutes = int((now - (alert.opened_at or now)).total_seconds() // 60)
        subject = f"Escalated [{alert.severity}] {alert.title}: {_where(alert)}"
        body = self._body(alert, f"Nobody acknowledged this alert in {minutes} minutes.")
        mails = self._queue(session, sorted(found.values(), key=lambda r: r[1]), ESCALATED, subject, body)
        history.record(session, alert, "notified", now, {"kind": ESCALATED, "webhook": webhook, "mailed": len(mails)})
        return mails

    async def digest(self, session: AsyncSession, alerts: Sequence[OperationAlert], now: datetime) -> list[MailMessage]:
        """One mail per recipient listing every minor alert of their sites, and one webhook with them all."""
        if not alerts:
            return []
        self._webhook(
            session,
            DIGEST,
            {"event": DIGEST, "sentAt": now.isoformat(), "alerts": [self.payload(a, DIGEST) for a in alerts]},
        )
        per_recipient: dict[Recipient, list[OperationAlert]] = defaultdict(list)
        by_location: dict[uuid.UUID | None, list[Recipient]] = {}
        for alert in alerts:
            if alert.location_id not in by_location:
                by_location[alert.location_id] = await self.recipients(session, alert.location_id)
            for recipient in by_location[alert.location_id]:
                per_recipient[recipient].append(alert)
        mails: list[MailMessage] = []
        for recipient, theirs in sorted(per_recipient.items(), key=lambda item: item[0][1]):
            lines = "".join(
                f"- {a.title} on {_where(a)}, opened {a.opened_at:%a %Y-%m-%d %H:%M} UTC"
                f"{' (resolved)' if a.state == 'resolved' else ''}\n  {self.link(a)}\n"
                for a in theirs
            )
            subject = f"Minor alerts digest: {len(theirs)} alert{'s' if len(theirs) != 1 else ''}"
            body = f"Minor alerts opened since the last digest:\n\n{lines}"
            mails.extend(self._queue(session, [recipient], DIGEST, subject, body))
        for alert in alerts:
            history.record(session, alert, "notified", now, {"kind": DIGEST})
        return mails

    def sent(self, session_factory: async_sessionmaker[Any], mails: Sequence[MailMessage]) -> None:
        """Hand the committed mails to the sender."""
        for mail in mails:
            self._mail.deliver_later(session_factory, mail.id)
