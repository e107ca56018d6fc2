"""Charger problems the support desk wants to hear of: a fault (1.6 Faulted or an error code other than NoError,
2.0.1 Faulted or a device-model problem event) and a lost connection. Pure: the backend builds a problem from what
it already holds in memory and hands it to a `ProblemObserver`, which must return at once."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Literal, Protocol

import msgspec

from ocpp_bridge.events import ChargerDisconnected, EventsNotified, StatusChanged
from ocpp_bridge.server import REPLACED_CLOSE_REASON

if TYPE_CHECKING:
    from api.domain.chargers.backend import ChargerRef


class ChargerProblem(msgspec.Struct, frozen=True, kw_only=True):
    """`evse_ids` are the EVSE rows concerned: one for a connector's fault, all of the charger's otherwise."""

    kind: Literal["fault", "offline"]
    charger_id: str  # the OCPP identity
    station_id: uuid.UUID
    location_id: uuid.UUID
    evse_ids: tuple[uuid.UUID, ...]
    connector_id: int | None = None  # 1.6 connectorId or 2.0.1 evseId; None for the whole charger
    error_code: str | None = None
    detail: dict[str, object] = {}
    at: datetime


class ProblemObserver(Protocol):
    def charger_problem(self, problem: ChargerProblem) -> None:
        """Called on the charger's message loop: schedule the work, never wait for it."""
        ...


class ProblemFanOut:
    """Hands every problem to several observers (the support desk's tickets, fleet patterns ...), each in turn."""

    def __init__(self, *observers: ProblemObserver) -> None:
        self.observers = observers

    def charger_problem(self, problem: ChargerProblem) -> None:
        for observer in self.observers:
            observer.charger_problem(problem)


def _evses(ref: ChargerRef, connector_id: int | None) -> tuple[uuid.UUID, ...]:
    if connector_id and connector_id in ref.evses:
        return (ref.evses[connector_id],)
    return tuple(ref.evses.values())


def fault_of(ref: ChargerRef, event: StatusChanged, at: datetime) -> ChargerProblem | None:
    """The fault a StatusNotification reports, or None for a healthy status (the common case, checked first)."""
    error = event.error_code if event.error_code not in (None, "NoError") else None
    if error is None and event.status != "Faulted":
        return None
    detail: dict[str, object] = {"status": event.status, "errorCode": error}
    detail |= {
        name: value for name, value in (("vendorErrorCode", event.vendor_error_code), ("info", event.info)) if value
    }
    return ChargerProblem(
        kind="fault",
        charger_id=event.charger_id,
        station_id=ref.station_id,
        location_id=ref.location_id,
        evse_ids=_evses(ref, event.connector_id),
        connector_id=event.connector_id or None,
        error_code=error,
        detail=detail,
        at=at,
    )


def problem_events_of(ref: ChargerRef, event: object) -> list[ChargerProblem]:
    """2.0.1 NotifyEvent items that set a component's `Problem` variable (a connector's Faulted status arrives as a
    StatusNotification too, so an AvailabilityState event is not counted twice)."""
    found: list[ChargerProblem] = []
    if not isinstance(event, EventsNotified):
        return found
    for item in event.events:
        if item.variable != "Problem" or item.actual_value.strip().lower() != "true" or item.cleared:
            continue
        found.append(
            ChargerProblem(
                kind="fault",
                charger_id=event.charger_id,
                station_id=ref.station_id,
                location_id=ref.location_id,
                evse_ids=_evses(ref, item.evse_id),
                connector_id=item.evse_id or None,
                error_code=item.tech_code or f"{item.component}.{item.variable}",
                detail={
                    "component": item.component,
                    "variable": item.variable,
                    "actualValue": item.actual_value,
                    "techCode": item.tech_code,
                    "techInfo": item.tech_info,
                    "trigger": item.trigger,
                },
                at=item.timestamp,
            )
        )
    return found


def offline_of(ref: ChargerRef, event: ChargerDisconnected) -> ChargerProblem | None:
    """A closed connection, unless a newer connection of the same charger replaced it."""
    if event.close_reason == REPLACED_CLOSE_REASON:
        return None
    return ChargerProblem(
        kind="offline",
        charger_id=event.charger_id,
        station_id=ref.station_id,
        location_id=ref.location_id,
        evse_ids=_evses(ref, None),
        detail={"closeCode": event.close_code, "closeReason": event.close_reason},
        at=event.at,
    )
