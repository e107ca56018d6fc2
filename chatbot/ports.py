"""What the assistant needs from the outside world, declared here and implemented by `api`.

The assistant reads the driver's session and the charger's live state, runs remote actions and opens tickets
only through a `ChatContext`; it never does I/O itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final, Literal, Protocol

import msgspec

ActionKind = Literal["remote-stop", "unlock", "reset", "trigger-status"]
# The status of an action refused because the driver has no session of their own at that charger (now or just
# ended): a person has to look at it.
NEEDS_A_PERSON: Final = "needs-a-person"
# The status of an action that could not be sent because this process cannot reach chargers and no server runs
# that could (the terminal chat on SQLite): nothing is wrong with the charger, so no ticket is opened for it.
NEEDS_SERVER: Final = "needs-server"
Priority = Literal["urgent", "high", "normal"]


class SessionInfo(msgspec.Struct, frozen=True, kw_only=True):
    """The driver's active session, or the last one."""

    session_id: str
    charger_id: str
    connector_id: int
    active: bool
    started_at: datetime
    ended_at: datetime | None = None
    energy_kwh: float = 0.0
    power_kw: float | None = None
    soc_percent: float | None = None
    charging_state: str | None = None
    stop_reason: str | None = None
    # what the driver sees on site: the location's name, the EVSE id printed on the charger, the connector type
    station_name: str | None = None
    evse_id: str | None = None
    connector_type: str | None = None


class ChargerStatus(msgspec.Struct, frozen=True, kw_only=True):
    """A charger's live state as the OCPP bridge last heard it."""

    charger_id: str
    connector_id: int | None = None
    connected: bool = False
    last_seen: datetime | None = None
    status: str | None = None  # OCPP connector status: Available, Preparing, Charging, Faulted ...
    error_code: str | None = None  # 1.6 ChargePointErrorCode or a 2.0.1 component problem
    vendor: str | None = None
    model: str | None = None
    max_power_kw: float | None = None
    power_type: str | None = None  # AC or DC
    others_charging: int = 0  # sessions of other drivers running at this charger
    recent_events: tuple[str, ...] = ()
    # what the driver sees on site: the location's name, the EVSE id printed on the charger, the connector type
    station_name: str | None = None
    evse_id: str | None = None
    connector_type: str | None = None


class ActionRequest(msgspec.Struct, frozen=True, kw_only=True):
    kind: ActionKind
    charger_id: str
    connector_id: int | None = None
    session_id: str | None = None


class ActionResult(msgspec.Struct, frozen=True, kw_only=True):
    """What the charger answered; ``ok`` is False also when the action was refused before reaching it."""

    kind: ActionKind
    charger_id: str
    connector_id: int | None = None
    ok: bool
    status: str  # the charger's answer (Accepted, Unlocked ...) or why not (not-connected, rate-limited ...)
    detail: str = ""


class Alternative(msgspec.Struct, frozen=True, kw_only=True):
    station_id: str
    name: str
    address: str
    distance_m: float
    available_evses: int
    max_power_kw: float | None = None


class TranscriptLine(msgspec.Struct, frozen=True, kw_only=True):
    role: Literal["driver", "assistant"]
    text: str


class TicketDraft(msgspec.Struct, frozen=True, kw_only=True):
    intent: str
    confidence: float
    priority: Priority
    language: str
    summary: str
    transcript: tuple[TranscriptLine, ...]
    diagnostics: dict[str, Any]
    actions_tried: tuple[ActionResult, ...]


class TicketRef(msgspec.Struct, frozen=True, kw_only=True):
    ticket_id: str
    priority: Priority
    expected_response_minutes: int


class ChatContext(Protocol):
    """The driver's world as the assistant may see and touch it."""

    async def current_session(self) -> SessionInfo | None:
        """The driver's active session, else the most recent one."""
        ...

    async def charger_status(self, charger_id: str, connector_id: int | None) -> ChargerStatus | None: ...

    async def find_charger(self, reference: str) -> ChargerStatus | None:
        """A charger named by the driver (its id as printed on it)."""
        ...

    async def payment_state(self) -> str:
        """The driver's payment standing in a word or two (e.g. "ok", "card expired", "unknown")."""
        ...

    async def run_action(self, request: ActionRequest) -> ActionResult:
        """Send a remote command; refuses (``ok=False``) other drivers' sessions and too many commands."""
        ...

    async def open_ticket(self, draft: TicketDraft) -> TicketRef: ...

    async def add_to_ticket(self, ticket_id: str, line: TranscriptLine) -> TicketRef | None:
        """Add what the driver wrote to their open ticket; None when the ticket is closed or unknown."""
        ...

    async def nearest_alternative(
        self, charger_id: str | None, min_power_kw: float | None = None
    ) -> Alternative | None:
        """The nearest charger with a free connector of at least `min_power_kw` (any power when None), near this
        charger (or the driver's last one)."""
        ...

    async def price_text(self, charger_id: str | None, language: str) -> str | None:
        """The live tariff of the charger in words, in the language given."""
        ...
