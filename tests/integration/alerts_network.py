"""A small network for the alert tests: two regions with one charger each, an admin, an operator per region, and the
alert engine built on the test database with a clock the test moves by hand."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import Location, MailMessage, OutboundDelivery, User
from api.db.models.operation_alerts import OperationAlert
from api.db.models.organisation import OperatorScope, Region
from api.deliveries.targets import OPERATIONS_WEBHOOK, Target, Targets
from api.deliveries.worker import DeliveryWorker
from api.domain.chargers.provisioning import add_charger
from api.domain.operations.alerts.engine import AlertEngine
from api.domain.operations.alerts.notices import Notices
from api.domain.operations.alerts.rulebook import LiveRuleBook
from api.domain.operations.alerts.scan import AlertScan
from api.domain.operations.alerts.tickets import AlertTickets
from api.domain.operations.alerts.timing import AlertTiming, parse_timing
from api.domain.operations.conditions import ConditionReport
from api.domain.support.sla import build_policy
from api.mail.outbox import MailOutbox

# A Friday, 10:00 UTC: the tests move their own clock from here (nothing is compared with the real now).
FRIDAY = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
ESCALATION_EMAIL = "duty-manager@example.com"


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def at(self, moment: datetime) -> datetime:
        self.now = moment
        return moment


@dataclass
class Network:
    sessions: async_sessionmaker[AsyncSession]
    engine: AlertEngine
    scan: AlertScan
    clock: Clock
    users: dict[str, uuid.UUID] = field(default_factory=dict)
    regions: dict[str, uuid.UUID] = field(default_factory=dict)
    locations: dict[str, uuid.UUID] = field(default_factory=dict)

    async def report(
        self,
        rule: str,
        charger: str | None,
        *,
        active: bool = True,
        at: datetime,
        connector: int | None = None,
        subject: str | None = None,
        **detail: str,
    ) -> None:
        self.clock.at(at)
        await self.engine.report(ConditionReport(rule, charger, connector, active, at, dict(detail), subject))
        await self.engine.settle()  # the support ticket, opened after the alert committed

    async def alerts(self, *where: Any) -> list[OperationAlert]:
        async with self.sessions() as session:
            rows = await session.execute(
                select(OperationAlert)
                .where(OperationAlert.state != "pending", *where)
                .order_by(OperationAlert.opened_at)
            )
            return list(rows.scalars())

    async def deliveries(self, kind: str | None = None) -> list[OutboundDelivery]:
        async with self.sessions() as session:
            query = select(OutboundDelivery).order_by(OutboundDelivery.created_at)
            if kind is not None:
                query = query.where(OutboundDelivery.kind == kind)
            return list((await session.execute(query)).scalars())

    async def mails(self, kind: str) -> list[MailMessage]:
        async with self.sessions() as session:
            query = select(MailMessage).where(MailMessage.kind == kind).order_by(MailMessage.to_address)
            return list((await session.execute(query)).scalars())

    async def count(self, model: Any, *where: Any) -> int:
        async with self.sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def build_engine(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, timing: AlertTiming | None = None
) -> tuple[AlertEngine, AlertScan]:
    targets = Targets()
    targets.register(Target(OPERATIONS_WEBHOOK, "https://ops.example.com/hook", "an operations secret 123"))
    deliveries = DeliveryWorker(
        sessions, targets, max_attempts=3, backoff_seconds=1, backoff_cap_seconds=10, clock=clock
    )
    engine = AlertEngine(
        sessions,
        rules=LiveRuleBook(sessions),
        notices=Notices(
            deliveries,
            MailOutbox("", "alerts@voltway.example"),
            base_url="https://ops.example.com",
            escalation_emails=[ESCALATION_EMAIL],
        ),
        tickets=AlertTickets(build_policy("", "", "UTC")),
        feed=None,
        timing=timing or parse_timing("", "08:00", "UTC"),
        clock=clock,
    )
    return engine, AlertScan(engine)


async def add_account(session: AsyncSession, email: str, role: str) -> uuid.UUID:
    user = User(
        id=uuid.uuid4(),
        email=email,
        password_hash="not used",
        name=email.partition("@")[0].title(),
        role=role,
    )
    session.add(user)
    await session.flush()
    return user.id


async def build_network(
    sessions: async_sessionmaker[AsyncSession], timing: AlertTiming | None = None, start: datetime = FRIDAY
) -> Network:
    """Region North holds charger N-1 (operator Olga), region South holds S-1 (operator Sam); Ada is admin."""
    clock = Clock(start)
    engine, scan = build_engine(sessions, clock, timing)
    network = Network(sessions, engine, scan, clock)
    async with sessions() as session:
        network.users["ada"] = await add_account(session, "ada@example.com", "admin")
        for region, charger, operator in (("North", "N-1", "olga"), ("South", "S-1", "sam")):
            region_row = Region(id=uuid.uuid4(), name=region)
            session.add(region_row)
            station, _ = await add_charger(
                session,
                ocpp_id=charger,
                password="a charger secret 123",
                country_code="NL",
                party_id="VWY",
                evses=2,
                max_power_kw=Decimal(50),
                standard="IEC_62196_T2_COMBO",
                name=f"{region} site",
            )
            await session.flush()
            await session.execute(
                update(Location).where(Location.id == station.location_id).values(region_id=region_row.id)
            )
            user_id = await add_account(session, f"{operator}@example.com", "operator")
            session.add(OperatorScope(user_id=user_id, region_id=region_row.id, business_unit_id=None))
            network.users[operator] = user_id
            network.regions[region] = region_row.id
            network.locations[charger] = station.location_id
        await session.commit()
    await engine.rules.refresh()
    return network


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)
