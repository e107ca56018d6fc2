"""Support metrics over a time window: how fast tickets are answered and resolved, SLA breaches, the backlog, what
tickets are about (category, charger model, firmware), how many assistant conversations ended without a person,
and driver satisfaction per agent and category.

Tickets count in the window they were opened in (merged tickets left out: they live on in the ticket they were
merged into); ratings in the window they were given in; conversations in the window they started in. Times are
wall-clock minutes from opening (the SLA's business hours are not applied); percentiles interpolate linearly
between the closest ranks.
"""

from __future__ import annotations

import math
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Annotated

import msgspec
from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import ChargingStation, ChatActionAudit, ChatConversation, ChatMessage, Evse, SupportTicket, User
from api.domain.support.workflow import ACTIVE_STATUSES
from api.schema import AppStruct

# What a connector reports once it works again (OCPP 1.6/2.0.1 statuses and OCPI's, availability "Operative").
WORKING_OCPP_STATUSES = ("Available", "Charging", "Operative")
WORKING_STATUSES = ("AVAILABLE", "CHARGING")


def _doc(text: str) -> msgspec.Meta:
    return msgspec.Meta(description=text)


Minutes = Annotated[float | None, _doc("Minutes, to one decimal; null when no ticket reached the event")]
Share = Annotated[float | None, _doc("A share between 0 and 1 (four decimals); null when its base is empty")]


class Durations(AppStruct):
    """Minutes from opening to an event (wall clock), over the window's tickets that reached it."""

    tickets: Annotated[int, _doc("How many of the window's tickets reached the event")]
    median_minutes: Minutes
    p90_minutes: Annotated[Minutes, _doc("90th percentile, interpolated between the closest ranks")]


class SlaBreaches(AppStruct):
    """The window's tickets whose clock ran out."""

    first_response: Annotated[
        int, _doc("Answered (or solved/closed unanswered) after the first-response due time, or unanswered past it")
    ]
    resolution: Annotated[int, _doc("Solved or closed after the resolution due time, or still open past it")]


class Backlog(AppStruct):
    """Active tickets (new, open, pending, on hold) now, whenever they were opened."""

    total: int
    by_status: Annotated[dict[str, int], _doc("Active tickets per status")]
    by_priority: Annotated[dict[str, int], _doc("Active tickets per priority")]


class TicketCount(AppStruct):
    """Tickets opened in the window for one category or charger model, most first."""

    key: Annotated[str, _doc("The category, or the charger model (`unknown` when the charger never reported one)")]
    tickets: int


class FirmwareCount(AppStruct):
    """Tickets opened in the window about chargers of one model running one firmware version."""

    model: str
    firmware_version: str
    tickets: int


class Containment(AppStruct):
    """Assistant conversations started in the window in which the driver wrote at least once."""

    conversations: Annotated[int, _doc("Conversations in which the driver wrote at least once")]
    contained: Annotated[int, _doc("Of those, the ones that ended without a ticket")]
    contained_share: Share
    with_charger: Annotated[int, _doc("Contained conversations with a charger in context")]
    confirmed_fixed: Annotated[
        int,
        _doc(
            "Of those, the ones whose charger (the connector in context, when there was one) reported Available, "
            "Charging or Operative after the conversation's last message"
        ),
    ]
    confirmed_fixed_share: Annotated[Share, _doc("confirmedFixed / withCharger")]
    with_actions: Annotated[
        int, _doc("Contained conversations in which the assistant ran a remote action the charger accepted")
    ]


class Satisfaction(AppStruct):
    """Drivers' 1-5 ratings given in the window."""

    ratings: Annotated[int, _doc("How many ratings")]
    satisfied_share: Annotated[Share, _doc("The share of ratings of 4 or 5")]
    mean: Annotated[float | None, _doc("The mean rating, to two decimals")]


class AgentSatisfaction(Satisfaction, kw_only=True):
    """Ratings of the tickets one agent was assigned."""

    agent_id: Annotated[uuid.UUID | None, _doc("The assignee; null for tickets nobody was assigned")]
    name: str


class CategorySatisfaction(Satisfaction, kw_only=True):
    """Ratings of the tickets of one category."""

    category: str


class SupportMetrics(AppStruct):
    """The desk's measures: tickets opened, ratings given and conversations started in [from, to).

    `firstResponse`: opening to an agent's first public reply; `resolution`: opening to solved.
    """

    window_from: Annotated[datetime, _doc("Start of the window (included)")] = msgspec.field(name="from")
    window_to: Annotated[datetime, _doc("End of the window (excluded)")] = msgspec.field(name="to")
    generated_at: datetime
    tickets: Annotated[int, _doc("Tickets opened in the window (merged tickets left out)")]
    first_response: Durations  # opening to the first public reply of an agent
    resolution: Durations  # opening to solved
    sla_breaches: SlaBreaches
    backlog: Backlog
    by_category: list[TicketCount]
    by_charger_model: Annotated[list[TicketCount], _doc("Tickets about a charger, per its model")]
    by_firmware: Annotated[list[FirmwareCount], _doc("Tickets about a charger, per its model and firmware version")]
    assistant: Containment
    satisfaction: Satisfaction
    satisfaction_by_agent: list[AgentSatisfaction]
    satisfaction_by_category: list[CategorySatisfaction]


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-quantile (0-1) of `values`, interpolated between closest ranks; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def durations(minutes: Sequence[float]) -> Durations:
    """Median and p90 of minutes from opening to an event (one decimal)."""

    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 1)

    return Durations(
        tickets=len(minutes),
        median_minutes=rounded(percentile(minutes, 0.5)),
        p90_minutes=rounded(percentile(minutes, 0.9)),
    )


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _breached(due: datetime | None, done: datetime | None, now: datetime) -> bool:
    if due is None:
        return False
    return (done or now) > due


def rating_figures(scores: Iterable[int]) -> tuple[int, float | None, float | None]:
    """How many 1-5 ratings, the share of 4 and 5, and the mean."""
    values = list(scores)
    if not values:
        return 0, None, None
    return len(values), _share(sum(1 for v in values if v >= 4), len(values)), round(sum(values) / len(values), 2)


def _counts(counter: Counter[str]) -> list[TicketCount]:
    return [TicketCount(key=key, tickets=n) for key, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))]


async def support_metrics(session: AsyncSession, start: datetime, end: datetime, now: datetime) -> SupportMetrics:
    """Every measure for tickets opened, ratings given and conversations started in [start, end)."""
    tickets = (
        await session.execute(
            select(
                SupportTicket.category,
                SupportTicket.created_at,
                SupportTicket.first_response_due_at,
                SupportTicket.first_responded_at,
                SupportTicket.resolution_due_at,
                SupportTicket.solved_at,
                SupportTicket.closed_at,
            ).where(
                SupportTicket.created_at >= start,
                SupportTicket.created_at < end,
                SupportTicket.merged_into_id.is_(None),
            )
        )
    ).all()
    first_response: list[float] = []
    resolution: list[float] = []
    first_breaches = resolution_breaches = 0
    categories: Counter[str] = Counter()
    for row in tickets:
        categories[row.category] += 1
        if row.first_responded_at is not None:
            first_response.append((row.first_responded_at - row.created_at).total_seconds() / 60)
        if row.solved_at is not None:
            resolution.append((row.solved_at - row.created_at).total_seconds() / 60)
        stopped = row.solved_at or row.closed_at
        first_breaches += _breached(row.first_response_due_at, row.first_responded_at or stopped, now)
        resolution_breaches += _breached(row.resolution_due_at, stopped, now)

    overall, by_agent, by_category = await _satisfaction_parts(session, start, end)
    by_model, by_firmware = await _chargers(session, start, end)
    return SupportMetrics(
        window_from=start,
        window_to=end,
        generated_at=now,
        tickets=len(tickets),
        first_response=durations(first_response),
        resolution=durations(resolution),
        sla_breaches=SlaBreaches(first_response=first_breaches, resolution=resolution_breaches),
        backlog=await _backlog(session),
        by_category=_counts(categories),
        by_charger_model=by_model,
        by_firmware=by_firmware,
        assistant=await _containment(session, start, end),
        satisfaction=overall,
        satisfaction_by_agent=by_agent,
        satisfaction_by_category=by_category,
    )


async def _backlog(session: AsyncSession) -> Backlog:
    rows = (
        await session.execute(
            select(SupportTicket.status, SupportTicket.priority, func.count())
            .where(SupportTicket.status.in_(ACTIVE_STATUSES))
            .group_by(SupportTicket.status, SupportTicket.priority)
        )
    ).all()
    by_status: Counter[str] = Counter()
    by_priority: Counter[str] = Counter()
    for status, priority, n in rows:
        by_status[status] += n
        by_priority[priority] += n
    return Backlog(total=sum(by_status.values()), by_status=dict(by_status), by_priority=dict(by_priority))


async def _chargers(
    session: AsyncSession, start: datetime, end: datetime
) -> tuple[list[TicketCount], list[FirmwareCount]]:
    rows = (
        await session.execute(
            select(ChargingStation.model, ChargingStation.firmware_version, func.count())
            .select_from(SupportTicket)
            .outerjoin(ChargingStation, ChargingStation.ocpp_id == SupportTicket.charger_id)
            .where(
                SupportTicket.created_at >= start,
                SupportTicket.created_at < end,
                SupportTicket.merged_into_id.is_(None),
                SupportTicket.charger_id.is_not(None),
            )
            .group_by(ChargingStation.model, ChargingStation.firmware_version)
        )
    ).all()
    models: Counter[str] = Counter()
    firmware: Counter[tuple[str, str]] = Counter()
    for model, version, n in rows:
        models[model or "unknown"] += n
        firmware[(model or "unknown", version or "unknown")] += n
    ordered = sorted(firmware.items(), key=lambda kv: (-kv[1], kv[0]))
    return _counts(models), [FirmwareCount(model=m, firmware_version=v, tickets=n) for (m, v), n in ordered]


async def _containment(session: AsyncSession, start: datetime, end: datetime) -> Containment:
    driver_wrote = exists().where(ChatMessage.conversation_id == ChatConversation.id, ChatMessage.role == "driver")
    escalated = exists().where(SupportTicket.conversation_id == ChatConversation.id)
    acted = exists().where(ChatActionAudit.conversation_id == ChatConversation.id, ChatActionAudit.ok.is_(True))
    rows = (
        await session.execute(
            select(
                ChatConversation.id,
                escalated.label("escalated"),
                acted.label("acted"),
                ChatConversation.state["charger_id"].as_string().label("charger_id"),
                ChatConversation.state["connector_id"].as_integer().label("connector_id"),
                ChatConversation.updated_at,
            ).where(ChatConversation.created_at >= start, ChatConversation.created_at < end, driver_wrote)
        )
    ).all()
    contained = [row for row in rows if not row.escalated]
    with_charger = [row for row in contained if row.charger_id]
    fixed = 0
    if with_charger:
        evses = (
            await session.execute(
                select(
                    ChargingStation.ocpp_id,
                    Evse.ocpp_evse_id,
                    Evse.status,
                    Evse.ocpp_status,
                    Evse.status_updated_at,
                )
                .join(Evse, Evse.charging_station_id == ChargingStation.id)
                .where(
                    ChargingStation.ocpp_id.in_({row.charger_id for row in with_charger}),
                    Evse.status_source == "live",
                )
            )
        ).all()
        by_charger: dict[str, list[tuple[int | None, bool, datetime]]] = defaultdict(list)
        for ocpp_id, evse_number, status, ocpp_status, at in evses:
            working = status in WORKING_STATUSES or ocpp_status in WORKING_OCPP_STATUSES
            by_charger[ocpp_id].append((evse_number, working, at))
        for row in with_charger:
            reports = by_charger.get(row.charger_id, [])
            if row.connector_id is not None and any(number == row.connector_id for number, _, _ in reports):
                reports = [report for report in reports if report[0] == row.connector_id]
            if any(working and at > row.updated_at for _, working, at in reports):
                fixed += 1
    return Containment(
        conversations=len(rows),
        contained=len(contained),
        contained_share=_share(len(contained), len(rows)),
        with_charger=len(with_charger),
        confirmed_fixed=fixed,
        confirmed_fixed_share=_share(fixed, len(with_charger)),
        with_actions=sum(1 for row in contained if row.acted),
    )


async def _satisfaction_parts(
    session: AsyncSession, start: datetime, end: datetime
) -> tuple[Satisfaction, list[AgentSatisfaction], list[CategorySatisfaction]]:
    rows = (
        await session.execute(
            select(SupportTicket.rating, SupportTicket.category, SupportTicket.assignee_id, User.name, User.email)
            .outerjoin(User, User.id == SupportTicket.assignee_id)
            .where(
                SupportTicket.rating.is_not(None),
                SupportTicket.rated_at >= start,
                SupportTicket.rated_at < end,
            )
        )
    ).all()
    per_agent: dict[uuid.UUID | None, list[int]] = defaultdict(list)
    names: dict[uuid.UUID | None, str] = {None: ""}
    per_category: dict[str, list[int]] = defaultdict(list)
    for rating, category, assignee_id, name, email in rows:
        if rating is None:
            continue
        per_agent[assignee_id].append(rating)
        per_category[category].append(rating)
        if assignee_id is not None:
            names[assignee_id] = (name or "").strip() or (email or "").partition("@")[0]
    ratings, share, mean = rating_figures(row.rating for row in rows if row.rating is not None)
    agents = []
    for agent_id, scores in per_agent.items():
        n, s, m = rating_figures(scores)
        agents.append(AgentSatisfaction(agent_id=agent_id, name=names[agent_id], ratings=n, satisfied_share=s, mean=m))
    categories = []
    for category, scores in per_category.items():
        n, s, m = rating_figures(scores)
        categories.append(CategorySatisfaction(category=category, ratings=n, satisfied_share=s, mean=m))
    agents.sort(key=lambda a: (-a.ratings, a.name))
    categories.sort(key=lambda c: (-c.ratings, c.category))
    return Satisfaction(ratings=ratings, satisfied_share=share, mean=mean), agents, categories
