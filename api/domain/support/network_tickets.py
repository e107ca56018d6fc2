"""Tickets the network opens itself: a charger that faults or drops its connection while a driver's session runs on
it opens one high-priority ticket per charger problem, linked to the driver and the session, so an agent can reach
out before the driver asks. A repeat of the problem while that ticket is active adds a system line to it.

The OCPP message loop only hands the problem over (`charger_problem` returns at once); the work runs as a task:
one indexed query for a running session on the charger's EVSEs, and only when there is one, the ticket, grouped
under `network:<charger>:<fault|offline>` in one transaction (see grouping.py).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Final

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import ChargingSession, Location, User
from api.db.models.sessions import OPEN_STATUSES
from api.db.types import utc_now
from api.domain.chargers.problems import ChargerProblem
from api.domain.support.audit import NETWORK
from api.domain.support.grouping import active_ticket, claim, raise_priority, record_grouped
from api.domain.support.sla import SlaPolicy
from api.domain.support.workflow import add_message, open_ticket

logger = logging.getLogger(__name__)

PRIORITY: Final = "high"
CATEGORIES: Final = {"fault": "charger_fault", "offline": "charger_offline"}


class _Running(msgspec.Struct, frozen=True):
    id: uuid.UUID
    user_id: uuid.UUID | None
    evse_id: uuid.UUID
    connector_id: int
    status: str


def dedupe_key(problem: ChargerProblem) -> str:
    return f"network:{problem.charger_id}:{problem.kind}"


def _summary(problem: ChargerProblem, place: str, connector: int | None) -> str:
    where = f"{problem.charger_id}{f' ({place})' if place else ''}"
    on = f" connector {connector}" if connector else ""
    if problem.kind == "offline":
        return f"Charger {where} went offline during a driver's session on{on or ' it'}"
    code = problem.error_code or "Faulted"
    return f"Charger {where}{on} reported a fault ({code}) during a driver's session"


def _details(problem: ChargerProblem, sessions: list[_Running]) -> str:
    lines = [
        f"{'Fault' if problem.kind == 'fault' else 'Connection lost'} reported by charger {problem.charger_id}"
        f" at {problem.at.isoformat(timespec='seconds')}.",
    ]
    if problem.connector_id:
        lines.append(f"Connector: {problem.connector_id}.")
    if problem.error_code:
        lines.append(f"OCPP error code: {problem.error_code}.")
    lines.extend(f"{name}: {value}." for name, value in problem.detail.items() if value not in (None, ""))
    lines.append(
        "Running sessions: " + ", ".join(f"{s.id} (connector {s.connector_id}, {s.status})" for s in sessions) + "."
    )
    return "\n".join(lines)


class NetworkTickets:
    """Implements the chargers' `ProblemObserver`. `on_ticket_changed` is told the id of every ticket this opened or
    updated, after the commit (the live queue feed connects to it)."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], policy: SlaPolicy) -> None:
        self._session_factory = session_factory
        self.policy = policy
        self.on_ticket_changed: Callable[[int], Awaitable[None]] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopped = False

    def charger_problem(self, problem: ChargerProblem) -> None:
        """Schedule the ticket work; never raises into the OCPP handler. Nothing once stopping (the process's own
        shutdown closes every connection)."""
        if self._stopped or not problem.evse_ids:
            return
        try:
            task = asyncio.create_task(self._run(problem), name=f"network ticket {problem.charger_id}")
        except RuntimeError:  # no running loop
            logger.exception("cannot schedule the ticket of a charger problem")
            return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for the ticket work scheduled so far."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def stop(self) -> None:
        """Take no more problems (call before the bridge closes its connections) and finish the scheduled ones."""
        self._stopped = True
        await self.drain()

    async def _run(self, problem: ChargerProblem) -> None:
        try:
            ticket_id = await self.handle(problem)
        except Exception:
            logger.exception("ticket of a charger problem failed", extra={"charger_id": problem.charger_id})
            return
        if ticket_id is not None and self.on_ticket_changed is not None:
            try:
                await self.on_ticket_changed(ticket_id)
            except Exception:
                logger.exception("announcing ticket %s failed", ticket_id)

    async def handle(self, problem: ChargerProblem) -> int | None:
        """Open or update the ticket of the problem (committed); its id, or None when no session was running."""
        async with self._session_factory() as session:
            sessions = await _running_sessions(session, problem)
            if not sessions:
                return None
            now = utc_now()
            key = dedupe_key(problem)
            await claim(session, key)
            ticket = await active_ticket(session, key)
            details = _details(problem, sessions)
            if ticket is None:
                first = sessions[0]
                connector = problem.connector_id or (first.connector_id if problem.kind == "fault" else None)
                place = (
                    await session.execute(select(Location.name).where(Location.id == problem.location_id))
                ).scalar_one_or_none()
                language = "en"
                if first.user_id is not None:
                    language = (
                        await session.execute(select(User.locale).where(User.id == first.user_id))
                    ).scalar_one_or_none() or "en"
                ticket = await open_ticket(
                    session,
                    policy=self.policy,
                    actor=NETWORK,
                    source="network",
                    priority=PRIORITY,
                    category=CATEGORIES[problem.kind],
                    summary=_summary(problem, place or "", connector),
                    now=now,
                    language=language[:8],
                    user_id=first.user_id,
                    charger_id=problem.charger_id,
                    session_id=first.id,
                    location_id=problem.location_id,
                    evse_id=first.evse_id,
                    dedupe_key=key,
                    tags=["network", problem.kind],
                    diagnostics={"problem": msgspec.to_builtins(problem)},
                )
            else:
                if ticket.user_id is None and ticket.session_id is None:
                    # opened by an operations alert before a driver was affected: now it is this driver's too
                    first = sessions[0]
                    ticket.user_id, ticket.session_id, ticket.evse_id = first.user_id, first.id, first.evse_id
                raise_priority(session, ticket, PRIORITY, NETWORK, policy=self.policy, now=now)
                detail: dict[str, object] = {"kind": problem.kind, "errorCode": problem.error_code}
                if problem.connector_id:
                    detail["connectorId"] = problem.connector_id
                record_grouped(session, ticket, NETWORK, detail, now=now)
            add_message(session, ticket, visibility="system", actor=NETWORK, text=details, now=now)
            ticket_id = ticket.id
            await session.commit()
            return ticket_id


async def _running_sessions(session: AsyncSession, problem: ChargerProblem) -> list[_Running]:
    """Sessions running on the problem's EVSEs, oldest first (the partial index on open sessions per EVSE)."""
    rows = await session.execute(
        select(
            ChargingSession.id,
            ChargingSession.user_id,
            ChargingSession.evse_id,
            ChargingSession.connector_id,
            ChargingSession.status,
        )
        .where(ChargingSession.evse_id.in_(problem.evse_ids), ChargingSession.status.in_(OPEN_STATUSES))
        .order_by(ChargingSession.created_at)
    )
    return [_Running(*row) for row in rows]
