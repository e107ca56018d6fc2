"""Remote actions an agent runs on a ticket's charger: the assistant's actions (unlock, stop, soft reset, status)
and, for admins, a hard reset and a change of availability.

They go through the OCPP bridge's command registry like the assistant's (the sender reaches whichever process holds
the charger's socket, over the command relay on PostgreSQL). Every attempt is written where the assistant's are
(`chat_action_audit`, with the agent as the user), to the ticket's audit trail with the agent's name, and to the
ticket's `actions_tried`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Final, Literal

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import ChargingSession, ChargingStation, ChargingTransaction, ChatActionAudit, Evse, SupportTicket
from api.db.types import utc_now
from api.domain.chat.context import CommandSender
from api.domain.support import audit
from api.domain.support.audit import Actor
from api.domain.support.workflow import TicketClosed
from api.errors import (
    BadGateway,
    ChargerOffline,
    Conflict,
    FieldError,
    Forbidden,
    GatewayTimeout,
    InvalidInput,
    ServiceUnavailable,
)
from api.schema import AppStruct
from ocpp_bridge import commands as ocpp_commands
from ocpp_bridge import errors as ocpp_errors

ActionName = Literal[
    "unlock_connector", "stop_session", "soft_reset", "trigger_status", "hard_reset", "change_availability"
]
# the charger did what was asked, or will once it can (a reset or availability change while charging)
SUCCESS: Final = frozenset({"Accepted", "Unlocked", "Scheduled"})


@dataclass(frozen=True, slots=True)
class ActionSpec:
    label: str
    admin_only: bool
    needs_connector: bool


ACTIONS: Final[dict[str, ActionSpec]] = {
    "unlock_connector": ActionSpec("Unlock the connector", admin_only=False, needs_connector=True),
    "stop_session": ActionSpec("Stop the charging session", admin_only=False, needs_connector=False),
    "soft_reset": ActionSpec(
        "Restart the charger once it is idle (soft reset)", admin_only=False, needs_connector=False
    ),
    "trigger_status": ActionSpec("Ask the charger to report its status", admin_only=False, needs_connector=False),
    "hard_reset": ActionSpec("Restart the charger now (hard reset)", admin_only=True, needs_connector=False),
    "change_availability": ActionSpec(
        "Make the charger or a connector operative or inoperative", admin_only=True, needs_connector=False
    ),
}

ConnectorNumber = Annotated[int, msgspec.Meta(ge=0, le=1000)]


class ActionChoice(AppStruct):
    action: str
    label: str
    admin_only: bool
    needs_connector: bool


class ActionRequest(AppStruct):
    """`evseId` (2.0.1 EVSE, 1.6 connector) and `connectorId` default to the ticket's EVSE or session, else 1;
    `operative` is needed for change_availability (without a connector: the whole charger)."""

    action: ActionName
    connector_id: ConnectorNumber | None = None
    evse_id: ConnectorNumber | None = None
    operative: bool | None = None


class ActionOutcome(AppStruct):
    """`status` is the charger's answer (Accepted, Unlocked, Scheduled ...) or why there was none."""

    action: str
    status: str
    detail: str


def choices_for(role: str) -> list[ActionChoice]:
    """The actions this caller may run."""
    return [
        ActionChoice(action=name, label=spec.label, admin_only=spec.admin_only, needs_connector=spec.needs_connector)
        for name, spec in ACTIONS.items()
        if role == "admin" or not spec.admin_only
    ]


async def _default_evse(session: AsyncSession, ticket: SupportTicket) -> int | None:
    """The EVSE the ticket is about: its own, else its session's connector."""
    if ticket.evse_id is not None:
        number: int | None = await session.scalar(select(Evse.ocpp_evse_id).where(Evse.id == ticket.evse_id))
        if number is not None:
            return number
    if ticket.session_id is not None:
        connector: int | None = await session.scalar(
            select(ChargingSession.connector_id).where(ChargingSession.id == ticket.session_id)
        )
        return connector
    return None


async def _running_transaction(
    session: AsyncSession, ticket: SupportTicket, station_id: Any, evse: int | None
) -> str | None:
    """The OCPP id of the transaction to stop: the ticket's session's, else the one running at the EVSE asked for
    (or the only one running at the charger)."""
    if ticket.session_id is not None:
        found: str | None = await session.scalar(
            select(ChargingTransaction.ocpp_transaction_id)
            .join(ChargingSession, ChargingSession.transaction_id == ChargingTransaction.id)
            .where(ChargingSession.id == ticket.session_id, ChargingTransaction.status == "active")
        )
        if found is not None:
            return found
    query = select(ChargingTransaction.ocpp_transaction_id).where(
        ChargingTransaction.charging_station_id == station_id, ChargingTransaction.status == "active"
    )
    if evse is not None:
        query = query.where(ChargingTransaction.connector_id == evse)
    running = list((await session.execute(query.limit(2))).scalars())
    return running[0] if len(running) == 1 else None


async def _command(
    session: AsyncSession, ticket: SupportTicket, station: ChargingStation, request: ActionRequest
) -> ocpp_commands.CommandRequest:
    chosen = request.evse_id if request.evse_id is not None else request.connector_id
    evse = chosen if chosen is not None else await _default_evse(session, ticket)
    if request.action == "unlock_connector":
        inner = request.connector_id if request.evse_id is not None and request.connector_id is not None else 1
        return ocpp_commands.Unlock(connector_id=evse or 1, evse_connector_id=inner)
    if request.action == "stop_session":
        transaction = await _running_transaction(session, ticket, station.id, chosen)
        if transaction is None:
            raise Conflict(f"No charging session of this ticket is running at charger {station.ocpp_id!r}.")
        return ocpp_commands.RemoteStop(transaction_id=transaction)
    if request.action == "soft_reset":
        return ocpp_commands.Reset(kind="Soft")
    if request.action == "hard_reset":
        return ocpp_commands.Reset(kind="Hard")
    if request.action == "trigger_status":
        return ocpp_commands.TriggerMessage(message="StatusNotification", connector_id=chosen)
    if request.operative is None:
        raise InvalidInput([FieldError("operative", "say whether the charger should be operative (true or false)")])
    return ocpp_commands.ChangeAvailability(operational=request.operative, connector_id=chosen or 0)


async def _send(
    send: CommandSender, charger_id: str, command: ocpp_commands.CommandRequest
) -> tuple[str, str, Exception | None]:
    """(status, detail, the problem to answer with) of sending `command`."""
    try:
        result = await send(charger_id, command)
    except (ocpp_errors.ChargerNotConnected, ocpp_errors.ChargerDisconnected) as exc:
        return "not-connected", str(exc), ChargerOffline(f"Charger {charger_id!r} is not connected: {exc}")
    except ocpp_errors.CommandTimeout as exc:
        return "timeout", str(exc), GatewayTimeout(f"Charger {charger_id!r} did not answer in time: {exc}")
    except ocpp_errors.CommandError as exc:  # refused as a CallError, nonsense, or the relay could not carry it
        return "error", str(exc), BadGateway(f"Charger {charger_id!r} could not do it: {exc}")
    status = str(getattr(result, "status", None) or "Accepted")
    reason = getattr(result, "reason", None)
    detail = str(reason) if reason else ""
    if status not in SUCCESS:
        problem = BadGateway(f"Charger {charger_id!r} answered {status}" + (f" ({detail})." if detail else "."))
        return status, detail, problem
    return status, detail, None


async def run_action(
    session: AsyncSession,
    ticket: SupportTicket,
    actor: Actor,
    request: ActionRequest,
    send: CommandSender | None,
) -> ActionOutcome:
    """Send the action to the ticket's charger and record it (committed) whatever the answer; a charger that is
    not connected is a 409, a refusal a 502 with its status, no answer a 504."""
    spec = ACTIONS[request.action]
    if spec.admin_only and actor.role != "admin":
        raise Forbidden(f"Only an admin may run {request.action}.")
    if ticket.status == "closed":
        raise TicketClosed(f"Ticket {ticket.id} is closed; open a new one instead.")
    if ticket.charger_id is None:
        raise Conflict(f"Ticket {ticket.id} names no charger.")
    station = (
        await session.execute(select(ChargingStation).where(ChargingStation.ocpp_id == ticket.charger_id))
    ).scalar_one_or_none()
    if station is None:
        raise Conflict(f"The ticket's charger {ticket.charger_id!r} is not one of ours.")
    if send is None:
        raise ServiceUnavailable("This process cannot reach chargers (VOLTWAY_OCPP_ENABLED=false).")
    command = await _command(session, ticket, station, request)
    await session.commit()  # no transaction stays open while the charger answers
    status, detail, problem = await _send(send, station.ocpp_id, command)
    connector = getattr(command, "connector_id", None)
    now = utc_now()
    session.add(
        ChatActionAudit(
            conversation_id=ticket.conversation_id,
            user_id=actor.id,
            charger_id=station.ocpp_id,
            connector_id=connector,
            action=request.action,
            arguments=msgspec.to_builtins(command),
            sent=True,
            ok=problem is None,
            status=status[:40],
            detail=detail[:500],
            at=now,
        )
    )
    tried = {
        "kind": request.action,
        "charger_id": station.ocpp_id,
        "connector_id": connector,
        "ok": problem is None,
        "status": status,
        "detail": detail,
        "by": actor.name,
        "at": now.isoformat(),
    }
    ticket.actions_tried = [*ticket.actions_tried, tried]
    ticket.updated_at = now
    audit.record(
        session,
        ticket.id,
        actor,
        "remote_action",
        {"action": request.action, "chargerId": station.ocpp_id, "connectorId": connector, "status": status},
        at=now,
    )
    await session.commit()
    if problem is not None:
        raise problem
    return ActionOutcome(action=request.action, status=status, detail=detail)
