"""A small in-memory charging network implementing the assistant's `ChatContext` port, for dialogue tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from chatbot.ports import (
    ActionRequest,
    ActionResult,
    Alternative,
    ChargerStatus,
    SessionInfo,
    TicketDraft,
    TicketRef,
    TranscriptLine,
)

EXPECTED_MINUTES = {"urgent": 15, "high": 60, "normal": 1440}


@dataclass
class World:
    chargers: dict[str, ChargerStatus] = field(default_factory=dict)
    session: SessionInfo | None = None
    prices: dict[str, str] = field(default_factory=dict)
    answers: dict[str, str] = field(
        default_factory=lambda: {
            "remote-stop": "Accepted",
            "unlock": "Unlocked",
            "reset": "Accepted",
            "trigger-status": "Accepted",
        }
    )
    sent: list[ActionRequest] = field(default_factory=list)
    tickets: list[TicketDraft] = field(default_factory=list)
    ticket_additions: list[tuple[str, TranscriptLine]] = field(default_factory=list)
    closed_tickets: set[str] = field(default_factory=set)

    def charger(self, charger_id: str, **values: object) -> None:
        self.chargers[charger_id] = ChargerStatus(charger_id=charger_id, connector_id=1, **values)  # type: ignore[arg-type]

    def charging(self, charger_id: str, **values: object) -> None:
        self.session = SessionInfo(
            session_id="tx-1",
            charger_id=charger_id,
            connector_id=1,
            active=True,
            started_at=datetime.now(UTC) - timedelta(minutes=30),
            **values,  # type: ignore[arg-type]
        )

    async def current_session(self) -> SessionInfo | None:
        return self.session

    async def charger_status(self, charger_id: str, connector_id: int | None) -> ChargerStatus | None:
        return self.chargers.get(charger_id)

    async def find_charger(self, reference: str) -> ChargerStatus | None:
        """By our id or by the EVSE id printed on the charger."""
        wanted = reference.strip().upper()
        return self.chargers.get(wanted) or next((c for c in self.chargers.values() if c.evse_id == wanted), None)

    async def payment_state(self) -> str:
        return "unknown"

    async def run_action(self, request: ActionRequest) -> ActionResult:
        self.sent.append(request)
        status = self.answers[request.kind]
        return ActionResult(
            kind=request.kind,
            charger_id=request.charger_id,
            connector_id=request.connector_id,
            ok=status in ("Accepted", "Unlocked"),
            status=status,
        )

    async def open_ticket(self, draft: TicketDraft) -> TicketRef:
        self.tickets.append(draft)
        return TicketRef(
            ticket_id=f"T-{len(self.tickets):06d}",
            priority=draft.priority,
            expected_response_minutes=EXPECTED_MINUTES[draft.priority],
        )

    async def add_to_ticket(self, ticket_id: str, line: TranscriptLine) -> TicketRef | None:
        number = int(ticket_id.removeprefix("T-"))
        if ticket_id in self.closed_tickets or not 0 < number <= len(self.tickets):
            return None
        self.ticket_additions.append((ticket_id, line))
        priority = self.tickets[number - 1].priority
        return TicketRef(ticket_id=ticket_id, priority=priority, expected_response_minutes=EXPECTED_MINUTES[priority])

    async def nearest_alternative(
        self, charger_id: str | None, min_power_kw: float | None = None
    ) -> Alternative | None:
        """Nearest first: an 11 kW socket on the market square, a 150 kW site on the ring road."""
        nearby = (
            Alternative(station_id="s-2", name="Marktplein", address="Markt 1", distance_m=850, available_evses=2),
            Alternative(
                station_id="s-3",
                name="Ring Fast",
                address="Ringweg 9",
                distance_m=4200,
                available_evses=4,
                max_power_kw=150,
            ),
        )
        return next((a for a in nearby if min_power_kw is None or (a.max_power_kw or 11) >= min_power_kw), None)

    async def price_text(self, charger_id: str | None, language: str) -> str | None:
        return self.prices.get(charger_id or "")
