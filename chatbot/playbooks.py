"""Playbooks: what the assistant checks and offers for each intent, step by step, reading live state.

The words come from the knowledge base; this module decides which of them apply to the driver's charger and
session right now. Each playbook advances one step per "still not working"; when it has nothing left it
hands over to a person with a ticket.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from chatbot.conversation import ProposedAction, Turn
from chatbot.ports import (
    NEEDS_A_PERSON,
    NEEDS_SERVER,
    ActionRequest,
    ActionResult,
    ChargerStatus,
    Priority,
    SessionInfo,
    TicketDraft,
)

RECENT_SESSION = timedelta(hours=2)
CHARGING_STATUSES = frozenset({"Charging", "SuspendedEV", "SuspendedEVSE", "Occupied"})
TAPER_SOC = 80.0
URGENT_INTENTS = frozenset({"safety_hazard"})
HIGH_INTENTS = frozenset({"cable_stuck", "session_wont_start", "charger_offline", "charging_stopped"})
ACTION_NAMES = {
    "remote-stop": "name_remote_stop",
    "unlock": "name_unlock",
    "reset": "name_reset",
    "trigger-status": "name_trigger_status",
}

Playbook = Callable[[Turn], Awaitable[None]]


# ----- shared steps -----------------------------------------------------------------------------------------


async def _session(turn: Turn) -> SessionInfo | None:
    """The driver's session, which also fills the charger slot when the driver has not named one."""
    session = await turn.context.current_session()
    state = turn.state
    if session is None:
        return None
    recent = session.active or (session.ended_at is not None and datetime.now(UTC) - session.ended_at <= RECENT_SESSION)
    if recent and state.charger_id in (None, session.charger_id):
        state.charger_id, state.connector_id, state.session_id = (
            session.charger_id,
            session.connector_id,
            session.session_id,
        )
    return session


async def _charger(turn: Turn) -> ChargerStatus | None:
    """The charger in question, or None after asking the driver which one it is."""
    state = turn.state
    if state.charger_id is None:
        await _session(turn)
    if state.charger_id is None:
        state.awaiting = "charger"
        turn.say("ask_charger")
        return None
    status = await turn.context.charger_status(state.charger_id, state.connector_id)
    if status is None:
        state.charger_id = None
        state.awaiting = "charger"
        turn.say("ask_charger")
    return status


def _ask_followup(turn: Turn) -> None:
    turn.state.awaiting = "followup"
    turn.say("ask_worked")
    turn.offer("qr_worked", "qr_still", "qr_human")


def _error_text(turn: Turn, status: ChargerStatus) -> str | None:
    entry = turn.knowledge.error_code(status.error_code)
    if entry is None or entry.code == "NoError":
        return None
    return entry.text[turn.language]


def _since(turn: Turn, moment: datetime | None) -> str:
    if moment is None:
        return turn.knowledge.text("never", turn.language)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def where(turn: Turn, charger: ChargerStatus | SessionInfo | None) -> str:
    """The charger as the driver sees it on site: the station's name and the EVSE id printed on it, never our
    internal id ("Marktplein, DE*VWY*E0001*1"); "the charger" when we know neither."""
    parts = [part for part in (charger.station_name, charger.evse_id) if part] if charger is not None else []
    return ", ".join(parts) if parts else turn.knowledge.text("this_charger", turn.language)


def connector_words(connector_id: int, kind: str | None) -> str:
    """The connector's number with its type when known: "1, CCS"."""
    return f"{connector_id}, {kind}" if kind else str(connector_id)


# "fast" in the driver's words: a DC fast charger, 50 kW or more
FAST_CHARGER_KW = 50.0
_FAST_WORDS = re.compile(r"\b(fast|rapid|quick|dc|hpc|schnell\w*|snel\w*|rapide\w*|r[aá]pid[oa]s?)\b", re.IGNORECASE)
_POWER = re.compile(r"(\d{2,3})\s*kw\b", re.IGNORECASE)


def wanted_power_kw(text: str) -> float | None:
    """The least power the driver asks for: "150 kW" gives 150, "fast" gives 50, anything else None."""
    if (power := _POWER.search(text)) is not None:
        return float(power.group(1))
    return FAST_CHARGER_KW if _FAST_WORDS.search(text) else None


async def _alternative(turn: Turn, min_power_kw: float | None = None) -> None:
    found = await turn.context.nearest_alternative(turn.state.charger_id, min_power_kw)
    if found is None:
        turn.say("no_alternative")
        return
    distance = f"{found.distance_m / 1000:.1f} km" if found.distance_m >= 1000 else f"{found.distance_m:.0f} m"
    turn.say("alternative", name=found.name, address=found.address, distance=distance, available=found.available_evses)
    if found.max_power_kw is not None:
        turn.say("alternative_power", power=f"{found.max_power_kw:g}")


def _own_active_session(turn: Turn, session: SessionInfo | None) -> SessionInfo | None:
    if session is not None and session.active and session.charger_id == turn.state.charger_id:
        return session
    return None


# ----- playbooks --------------------------------------------------------------------------------------------


async def cable_stuck(turn: Turn) -> None:
    """Stop the session if one runs, then UnlockConnector; then the car-side release; then a person."""
    state = turn.state
    if state.step >= 2:
        turn.say("exhausted")
        await escalate(turn, reason="exhausted")
        return
    session = await _session(turn)
    status = await _charger(turn)
    if status is None:
        return
    if state.step == 1:
        turn.say("cable_offline" if not status.connected else "exhausted", charger=where(turn, status))
        turn.parts.append(turn.knowledge.vendor_tip(status.vendor, status.model, "cable_stuck", turn.language))
        turn.parts.append(turn.knowledge.vendor_tip("*", "*", "cable_stuck", turn.language))
        _ask_followup(turn)
        return
    if not status.connected:
        turn.say("cable_offline", charger=where(turn, status))
        turn.parts.append(turn.knowledge.vendor_tip("*", "*", "cable_stuck", turn.language))
        _ask_followup(turn)
        state.step = 1
        return
    connector = state.connector_id or status.connector_id or 1
    unlock = ActionRequest(kind="unlock", charger_id=status.charger_id, connector_id=connector)
    running = _own_active_session(turn, session)
    if running is not None:
        turn.say("cable_session_running", charger=where(turn, status))
        stop = ActionRequest(
            kind="remote-stop", charger_id=status.charger_id, connector_id=connector, session_id=running.session_id
        )
        turn.propose(
            "stop-and-unlock",
            "action_stop_and_unlock",
            (stop, unlock),
            where=where(turn, status),
            connector=connector_words(connector, status.connector_type),
        )
    else:
        turn.propose(
            "unlock",
            "action_unlock",
            (unlock,),
            where=where(turn, status),
            connector=connector_words(connector, status.connector_type),
        )


async def session_wont_start(turn: Turn) -> None:
    """Connector status (Available / Preparing / Faulted), authorisation and payment, re-plug, TriggerMessage."""
    state = turn.state
    if state.step >= 2:
        turn.say("exhausted")
        await escalate(turn, reason="exhausted")
        return
    status = await _charger(turn)
    if status is None:
        return
    if state.step == 1:
        turn.say("start_retry")
        if not any(a.kind == "trigger-status" for a in state.actions):
            trigger = ActionRequest(
                kind="trigger-status", charger_id=status.charger_id, connector_id=state.connector_id or 1
            )
            turn.propose("trigger-status", "action_trigger", (trigger,), where=where(turn, status))
        else:
            _ask_followup(turn)
        return
    if not status.connected:
        turn.say("charger_is_offline", charger=where(turn, status), since=_since(turn, status.last_seen))
        await _alternative(turn)
        _ask_followup(turn)
        return
    error = _error_text(turn, status)
    if status.status == "Faulted" or error:
        turn.say("charger_fault", charger=where(turn, status), error=error or status.status or "?")
        await _alternative(turn)
        _ask_followup(turn)
        return
    if status.status in CHARGING_STATUSES:
        turn.say("start_charging", charger=where(turn, status))
        _ask_followup(turn)
        return
    if status.status == "Preparing":
        turn.say("start_preparing", payment=await turn.context.payment_state())
        trigger = ActionRequest(kind="trigger-status", charger_id=status.charger_id, connector_id=state.connector_id)
        turn.propose("trigger-status", "action_trigger", (trigger,), where=where(turn, status))
        return
    if status.status == "Available":
        turn.say("start_available")
    else:
        turn.say("session_status", charger=where(turn, status), status=status.status or "?")
        turn.say("start_retry")
    _ask_followup(turn)


async def _ran_out(turn: Turn) -> bool:
    """A playbook asked again after its advice did not help: hand over to a person."""
    if turn.state.step < 1:
        return False
    turn.say("exhausted")
    await escalate(turn, reason="exhausted")
    return True


async def charging_slow(turn: Turn) -> None:
    """Delivered power against the connector's maximum, taper above 80 %, HighTemperature, AC and car limits."""
    if await _ran_out(turn):
        return
    session = await _session(turn)
    running = session if session is not None and session.active else None
    status = (
        await turn.context.charger_status(running.charger_id, running.connector_id) if running is not None else None
    )
    if running is None:
        turn.say("no_session")
    else:
        if running.power_kw is not None and status is not None and status.max_power_kw:
            turn.say("slow_power", power=f"{running.power_kw:.1f}", maximum=f"{status.max_power_kw:.0f}")
        if running.soc_percent is not None and running.soc_percent >= TAPER_SOC:
            turn.say("slow_taper", soc=f"{running.soc_percent:.0f}")
        if status is not None and status.error_code == "HighTemperature":
            turn.say("slow_hot")
        if status is not None and status.power_type == "AC":
            turn.say("slow_ac")
    turn.say("slow_car")
    _ask_followup(turn)


async def charging_stopped(turn: Turn) -> None:
    """Why the last session ended (stop reason, car full, charger fault) and how to go on."""
    if await _ran_out(turn):
        return
    session = await _session(turn)
    if session is None:
        turn.say("no_session")
        _ask_followup(turn)
        return
    if session.active and session.charging_state in ("SuspendedEV", "EVConnected"):
        turn.say("stopped_car")
    elif not session.active:
        reasons = turn.knowledge.stop_reasons
        reason = reasons.get(session.stop_reason or "Other", reasons["Other"])[turn.language]
        turn.say("stopped_reason", charger=where(turn, session), reason=reason)
    status = await turn.context.charger_status(session.charger_id, session.connector_id)
    if status is not None:
        error = _error_text(turn, status)
        if error:
            turn.say("charger_fault", charger=where(turn, status), error=error)
    turn.say("stopped_restart")
    _ask_followup(turn)


async def charger_offline(turn: Turn) -> None:
    """Connectivity and faults; a soft Reset only when no other driver charges there; the nearest alternative."""
    if await _ran_out(turn):
        return
    status = await _charger(turn)
    if status is None:
        return
    if not status.connected:
        turn.say("charger_is_offline", charger=where(turn, status), since=_since(turn, status.last_seen))
        turn.parts.append(turn.knowledge.vendor_tip(status.vendor, status.model, "offline", turn.language))
        await _alternative(turn)
        _ask_followup(turn)
        return
    error = _error_text(turn, status)
    entry = turn.knowledge.error_code(status.error_code)
    if status.status in ("Faulted", "Unavailable") or error:
        turn.say("charger_fault", charger=where(turn, status), error=error or status.status or "?")
        await _alternative(turn)
        resettable = entry is None or entry.remote_fix == "reset"
        if status.others_charging == 0 and resettable:
            turn.say("offline_reset_possible")
            reset = ActionRequest(kind="reset", charger_id=status.charger_id)
            turn.propose("reset", "action_reset", (reset,), where=where(turn, status))
            return
        if status.others_charging:
            turn.say("offline_others_charging")
        _ask_followup(turn)
        return
    turn.say("charger_is_online", charger=where(turn, status), status=status.status or "?")
    turn.say("start_retry")
    _ask_followup(turn)


async def safety_hazard(turn: Turn) -> None:
    """Step away, emergency services, an urgent ticket at once; the only action offered is stopping the session."""
    turn.say("safety_now")
    session = await _session(turn)
    await escalate(turn, reason="safety")
    running = _own_active_session(turn, session) if session is not None else None
    if running is not None:
        turn.say("safety_stop")
        stop = ActionRequest(
            kind="remote-stop",
            charger_id=running.charger_id,
            connector_id=running.connector_id,
            session_id=running.session_id,
        )
        turn.propose("remote-stop", "action_stop", (stop,), where=where(turn, running))


async def payment_failed(turn: Turn) -> None:
    if turn.state.step >= 1:
        turn.say("exhausted")
        await escalate(turn, reason="exhausted")
        return
    turn.say("payment_state", state=await turn.context.payment_state())
    turn.say("payment_advice")
    _ask_followup(turn)


async def billing_dispute(turn: Turn) -> None:
    """Holds are explained; a wrong or double charge goes to the billing team at once."""
    turn.say("billing_explain")
    await escalate(turn, reason="billing")


async def pricing_info(turn: Turn) -> None:
    session = await _session(turn)
    price = await turn.context.price_text(turn.state.charger_id, turn.language)
    if price:
        turn.say("price_here", charger=await _where_id(turn), price=price)
    else:
        turn.say("price_general")
    if session is not None and session.active:
        turn.say("session_so_far", energy=f"{session.energy_kwh:.2f}")
    turn.state.topic = None


async def idle_fee(turn: Turn) -> None:
    await _session(turn)
    turn.say("idle_explain")
    price = await turn.context.price_text(turn.state.charger_id, turn.language)
    if price:
        turn.say("price_here", charger=await _where_id(turn), price=price)
    turn.state.topic = None


async def _where_id(turn: Turn) -> str:
    charger_id = turn.state.charger_id
    status = await turn.context.charger_status(charger_id, turn.state.connector_id) if charger_id else None
    return where(turn, status)


async def ways_to_pay(turn: Turn) -> None:
    """No charge card with them: the app, paying by bank card at the charger's QR code page, and the card later."""
    turn.intent = "rfid_card"
    turn.say("ways_to_pay")
    _ask_followup(turn)


async def find_charger(turn: Turn) -> None:
    await _session(turn)
    asked = next((line.text for line in reversed(turn.state.transcript) if line.role == "driver"), "")
    await _alternative(turn, wanted_power_kw(asked))
    turn.state.topic = None


def _information(key: str) -> Playbook:
    async def answer(turn: Turn) -> None:
        if turn.state.step >= 1:
            turn.say("exhausted")
            await escalate(turn, reason="exhausted")
            return
        turn.say(key)
        _ask_followup(turn)

    return answer


PLAYBOOKS: dict[str, Playbook] = {
    "cable_stuck": cable_stuck,
    "session_wont_start": session_wont_start,
    "charging_slow": charging_slow,
    "charging_stopped": charging_stopped,
    "charger_offline": charger_offline,
    "safety_hazard": safety_hazard,
    "payment_failed": payment_failed,
    "billing_dispute": billing_dispute,
    "pricing_info": pricing_info,
    "idle_fee": idle_fee,
    "find_charger": find_charger,
    "receipt": _information("receipt_info"),
    "rfid_card": _information("rfid_info"),
    "account_access": _information("account_info"),
    "reservation": _information("reservation_info"),
}
PLAYBOOK_INTENTS = frozenset(PLAYBOOKS)


async def run(turn: Turn) -> None:
    """The current step of the playbook of the conversation's topic."""
    topic = turn.state.topic
    if topic is None or topic not in PLAYBOOKS:
        turn.say("out_of_scope")
        return
    turn.intent = topic
    await PLAYBOOKS[topic](turn)


# ----- remote actions ---------------------------------------------------------------------------------------


async def perform(turn: Turn, proposal: ProposedAction) -> None:
    """Run a confirmed proposal step by step, show each result, stop at the first failure."""
    state = turn.state
    results: list[ActionResult] = []
    for step in proposal.steps:
        result = await turn.context.run_action(step)
        results.append(result)
        state.actions.append(result)
        turn.performed.append(result)
        name = turn.knowledge.text(ACTION_NAMES[result.kind], turn.language)
        place = proposal.where or turn.knowledge.text("this_charger", turn.language)
        if result.status == "rate-limited":
            turn.say("rate_limited")
        elif result.status == NEEDS_A_PERSON:
            turn.say("action_needs_person", action=name, charger=place)
        elif result.status == NEEDS_SERVER:
            turn.say("action_unavailable")
        else:
            turn.say(
                "action_done" if result.ok else "action_failed",
                action=name,
                charger=place,
                status=result.status,
            )
        if not result.ok:
            break
    if results and all(r.ok for r in results):
        if proposal.kind in ("unlock", "stop-and-unlock"):
            turn.say("cable_unlocked")
            status = await turn.context.charger_status(proposal.charger_id, proposal.connector_id)
            if status is not None and status.status:
                turn.say("cable_status_now", status=status.status)
        if proposal.kind == "remote-stop" and state.topic == "safety_hazard":
            return
        _ask_followup(turn)
        return
    if results[-1].status == NEEDS_A_PERSON:
        await escalate(turn, reason="not-the-drivers-session")
        return
    if results[-1].status == NEEDS_SERVER:  # nothing failed at the charger: no ticket for it
        state.awaiting = "followup"
        turn.offer("qr_human")
        return
    turn.say("exhausted")
    await escalate(turn, reason="action-failed")


# ----- escalation -------------------------------------------------------------------------------------------


def _priority(turn: Turn, reason: str) -> Priority:
    topic = turn.state.topic or ""
    if reason == "safety" or topic in URGENT_INTENTS:
        return "urgent"
    if topic in HIGH_INTENTS:
        return "high"
    return "normal"


def eta(turn: Turn, minutes: int) -> str:
    """A promised response time in words: "60 minutes", "24 hours"."""
    if minutes < 120:
        return turn.knowledge.text("minutes", turn.language, n=minutes)
    return turn.knowledge.text("hours", turn.language, n=round(minutes / 60))


async def _diagnostics(turn: Turn, reason: str) -> dict[str, Any]:
    """What an agent needs without asking the driver again: charger, error, last messages, session, payment."""
    state = turn.state
    session = await turn.context.current_session()
    charger = await turn.context.charger_status(state.charger_id, state.connector_id) if state.charger_id else None
    return {
        "reason": reason,
        "charger": msgspec.to_builtins(charger) if charger is not None else None,
        "errorCode": charger.error_code if charger is not None else None,
        "lastChargerMessages": list(charger.recent_events) if charger is not None else [],
        "session": msgspec.to_builtins(session) if session is not None else None,
        "payment": await turn.context.payment_state(),
    }


async def escalate(turn: Turn, *, reason: str) -> None:
    """Open a ticket with the transcript, intent, confidence, diagnostics and actions tried (once per topic)."""
    state = turn.state
    priority = _priority(turn, reason)
    existing = state.ticket
    if existing is not None and not (priority == "urgent" and existing.priority != "urgent"):
        turn.ticket = existing
        state.awaiting = "ticket"
        turn.say("ticket_exists", ticket=existing.ticket_id, eta=eta(turn, existing.expected_response_minutes))
        return
    topic = state.topic or turn.intent
    draft = TicketDraft(
        intent=topic,
        confidence=state.confidence or turn.confidence,
        priority=priority,
        language=turn.language,
        summary=f"{topic} ({reason})" + (f" at {state.charger_id}" if state.charger_id else ""),
        transcript=tuple(state.transcript),
        diagnostics=await _diagnostics(turn, reason),
        actions_tried=tuple(state.actions),
    )
    ticket = await turn.context.open_ticket(draft)
    state.ticket = ticket
    state.awaiting = "ticket"  # more from the driver about it goes to this ticket
    turn.ticket = ticket
    turn.say("ticket_opened", ticket=ticket.ticket_id, eta=eta(turn, ticket.expected_response_minutes))
