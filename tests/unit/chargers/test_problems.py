"""Which charger messages are problems for the support desk: faults and error codes, 2.0.1 problem events, and lost
connections (not a connection replaced by the charger's own new one)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from api.domain.chargers.backend import ChargerRef
from api.domain.chargers.problems import fault_of, offline_of, problem_events_of
from ocpp_bridge.events import ChargerDisconnected, EventsNotified, NotifiedEvent, StatusChanged
from ocpp_bridge.server import REPLACED_CLOSE_CODE, REPLACED_CLOSE_REASON

AT = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
EVSE_1, EVSE_2 = uuid.uuid4(), uuid.uuid4()
REF = ChargerRef(uuid.uuid4(), uuid.uuid4(), None, {1: EVSE_1, 2: EVSE_2})


def status(connector: int, state: str, error: str | None = "NoError") -> StatusChanged:
    return StatusChanged(
        charger_id="CP-1",
        ocpp_version="1.6",
        message_id="m1",
        received_at=AT,
        connector_id=connector,
        status=state,
        error_code=error,
        vendor_error_code="V-17" if error not in (None, "NoError") else None,
        timestamp=AT,
    )


def test_healthy_statuses_are_no_problem() -> None:
    assert fault_of(REF, status(1, "Charging"), AT) is None
    assert fault_of(REF, status(1, "Available", None), AT) is None


def test_faults_and_error_codes_name_the_connector_and_code() -> None:
    faulted = fault_of(REF, status(2, "Faulted", "GroundFailure"), AT)
    assert faulted is not None
    assert (faulted.kind, faulted.connector_id, faulted.error_code, faulted.evse_ids) == (
        "fault",
        2,
        "GroundFailure",
        (EVSE_2,),
    )
    assert faulted.detail["vendorErrorCode"] == "V-17"
    warm = fault_of(REF, status(1, "Charging", "HighTemperature"), AT)
    assert warm is not None
    assert warm.error_code == "HighTemperature"
    whole = fault_of(REF, status(0, "Faulted", None), AT)  # connector 0: the charger itself, every EVSE
    assert whole is not None
    assert (whole.connector_id, whole.error_code, set(whole.evse_ids)) == (None, None, {EVSE_1, EVSE_2})


def test_problem_events_of_201() -> None:
    def item(variable: str, value: str, *, cleared: bool = False) -> NotifiedEvent:
        return NotifiedEvent(
            event_id=1,
            timestamp=AT,
            trigger="Alerting",
            component="EVSE",
            variable=variable,
            actual_value=value,
            event_notification_type="HardWiredMonitor",
            evse_id=1,
            cleared=cleared,
            tech_code="RCD",
        )

    event = EventsNotified(
        charger_id="CP-1",
        ocpp_version="2.0.1",
        message_id="m2",
        received_at=AT,
        generated_at=AT,
        seq_no=0,
        events=(item("Problem", "true"), item("Problem", "false"), item("Problem", "true", cleared=True)),
    )
    [problem] = problem_events_of(REF, event)
    assert (problem.error_code, problem.evse_ids) == ("RCD", (EVSE_1,))
    assert problem_events_of(REF, status(1, "Faulted")) == []


def test_a_replaced_connection_is_not_offline() -> None:
    def closed(code: int | None, reason: str) -> ChargerDisconnected:
        return ChargerDisconnected(charger_id="CP-1", ocpp_version="1.6", at=AT, close_code=code, close_reason=reason)

    assert offline_of(REF, closed(REPLACED_CLOSE_CODE, REPLACED_CLOSE_REASON)) is None
    lost = offline_of(REF, closed(1006, ""))
    assert lost is not None
    assert (lost.kind, set(lost.evse_ids)) == ("offline", {EVSE_1, EVSE_2})
