"""Telling people about alerts: the operations webhook (through the delivery outbox) and mail (through the mail
outbox) to the operators whose scope holds the alert's site, and to the admins. Everything is queued in the
caller's transaction, so a notice exists if and only if its cause committed; mails are sent after the commit."""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Final

from sqlalchemy import select
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
PLACES_KEPT: Final = 100_000


class Recipients:
    """Who is told about a site's alerts: the admins, and the operators whose regions or business units hold the
    site (a network-wide alert has no site: the admins only). The people and their scopes are read again at most
    every `seconds`, a site's grouping too; `prefetch` reads the groupings of a batch's sites in one query."""

    def __init__(self, seconds: float = RECIPIENTS_SECONDS) -> None:
        self._seconds = seconds
        self._people_until = 0.0
        self._admins: list[Recipient] = []
        self._operators: list[tuple[Recipient, uuid.UUID | None, uuid.UUID | None]] = []
        self._places: dict[uuid.UUID, tuple[float, uuid.UUID | None, uuid.UUID | None]] = {}

    async def _people(self, session: AsyncSession) -> None:
        now = time.monotonic()
        if now < self._people_until:
            return
        live = User.erased_at.is_(None)
        admins = await session.execute(select(User.id, User.email).where(live, User.role == "admin"))
        self._admins = [(user_id, email) for user_id, email in admins]
        operators = await session.execute(
            select(User.id, User.email, OperatorScope.region_id, OperatorScope.business_unit_id)
            .join(OperatorScope, OperatorScope.user_id == User.id)
            .where(live, User.role == "operator")
        )
        self._operators = [((user_id, email), region, unit) for user_id, email, region, unit in operators]
        self._people_until = now + self._seconds

    async def prefetch(self, session: AsyncSession, location_ids: Iterable[uuid.UUID | None]) -> None:
        now = time.monotonic()
        missing = {
            location_id
            for location_id in location_ids
            if location_id is not None and (location_id not in self._places or self._places[location_id][0] <= now)
        }
        if not missing:
            return
        if len(self._places) >= PLACES_KEPT:
            self._places.clear()
        rows = await session.execute(
            select(Location.id, Location.region_id, Location.business_unit_id).where(Location.id.in_(missing))
        )
        for location_id in missing:
            self._places[location_id] = (now + self._seconds, None, None)  # unless it is there (below)
        for location_id, region_id, unit_id in rows:
            self._places[location_id] = (now + self._seconds, region_id, unit_id)

    async def __call__(self, session: AsyncSession, location_id: uuid.UUID | None) -> list[Recipient]:
        await self._people(session)
        found = {email: (user_id, email) for user_id, email in self._admins}
        if location_id is not None:
            await self.prefetch(session, [location_id])
            _, region_id, unit_id = self._places[location_id]
            for recipient, region, unit in self._operators:
                if (region is not None and region == region_id) or (unit is not None and unit == unit_id):
                    found[recipient[1]] = recipient
        return sorted(found.values(), key=lambda recipient: recipient[1])


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
