"""What a charger's own messages raise and clear, in OCPP 2.0.1 shapes too: a problem a NotifyEvent sets holds a
connector faulted until both it and the status say otherwise; a failed log upload; a rule switched off raises
nothing but still clears; a sink that fails loses that one report only."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import msgspec
import pytest

from api.domain.operations.conditions import DEFAULT_RULES, ConditionReport, ConditionSink, StaticRuleBook
from api.domain.operations.detectors.charger_messages import ChargerConditions
from api.domain.operations.detectors.network import LoggedConditions, NetworkDetectors
from api.domain.operations.detectors.queue import ConditionQueue
from ocpp_bridge.events import (
    ChargerConnected,
    ChargerEvent,
    DiagnosticsStatusChanged,
    EventsNotified,
    NotifiedEvent,
    StatusChanged,
)
from tests.condition_sinks import RecordingSink

AT = datetime.now(UTC)
CHARGER = "CP-201"


def _status(evse: int, status: str) -> StatusChanged:
    return StatusChanged(
        charger_id=CHARGER,
        ocpp_version="2.0.1",
        message_id="m",
        received_at=AT,
        connector_id=evse,
        evse_connector_id=1,
        status=status,
        timestamp=AT,
    )


def _problem(
    evse: int,
    value: str,
    *,
    cleared: bool = False,
    variable: str = "Problem",
    component: str = "EVSE",
    code: str = "OverTemperature",
) -> EventsNotified:
    item = NotifiedEvent(
        event_id=1,
        timestamp=AT,
        trigger="Delta",
        component="ChargingStation" if evse == 0 else component,
        variable=variable,
        actual_value=value,
        event_notification_type="HardWiredNotification",
        evse_id=evse or None,
        cleared=cleared,
        tech_code=code,
        tech_info="cable 91 C",
    )
    return EventsNotified(
        charger_id=CHARGER,
        ocpp_version="2.0.1",
        message_id="m",
        received_at=AT,
        generated_at=AT,
        seq_no=0,
        events=(item,),
    )


def _watch(sink: ConditionSink, rules: StaticRuleBook | None = None) -> tuple[ChargerConditions, ConditionQueue]:
    queue = ConditionQueue(sink)
    return ChargerConditions(queue, rules or StaticRuleBook(DEFAULT_RULES)), queue


async def _told(watch: ChargerConditions, queue: ConditionQueue, *events: ChargerEvent) -> None:
    for event in events:
        watch.charger_event(event)
    await queue.drain()


async def test_a_problem_event_and_a_faulted_status_together_hold_the_connector_faulted() -> None:
    sink = RecordingSink()
    watch, queue = _watch(sink)
    await _told(watch, queue, _status(1, "Available"), _problem(1, "true"))
    assert sink.of("connector_faulted") == [(CHARGER, 1, False), (CHARGER, 1, True)]
    assert sink.last("connector_faulted").detail["errorCode"] == "OverTemperature"
    assert sink.last("connector_faulted").detail["info"] == "cable 91 C"
    await _told(watch, queue, _status(1, "Faulted"), _status(1, "Available"))
    assert len(sink.of("connector_faulted")) == 2  # the problem is still set
    await _told(watch, queue, _problem(1, "false"))
    assert sink.of("connector_faulted")[-1] == (CHARGER, 1, False)
    await _told(watch, queue, _problem(0, "true"), _problem(0, "true", cleared=True))
    assert sink.of("connector_faulted")[-2:] == [(CHARGER, None, True), (CHARGER, None, False)]  # the whole charger
    await queue.stop()


async def test_a_fault_that_lasts_is_reported_again_only_when_the_charger_names_another_error_code() -> None:
    """The 2.0.1 simulator's way: a Faulted status, then the connector's AvailabilityState event with the code."""
    sink = RecordingSink()
    watch, queue = _watch(sink)

    def availability(value: str, code: str = "GroundFailure") -> EventsNotified:
        return _problem(1, value, variable="AvailabilityState", component="Connector", code=code)

    await _told(watch, queue, _status(1, "Faulted"), availability("Faulted"))
    await _told(watch, queue, _status(1, "Faulted"), availability("Faulted"))
    assert sink.of("connector_faulted") == [(CHARGER, 1, True), (CHARGER, 1, True)]
    assert "errorCode" not in sink.reports[0].detail
    assert sink.last("connector_faulted").detail["errorCode"] == "GroundFailure"
    await _told(watch, queue, availability("Faulted", "HighTemperature"))
    assert sink.last("connector_faulted").detail["errorCode"] == "HighTemperature"
    await _told(watch, queue, availability("Available"))
    assert sink.of("connector_faulted")[2:] == [(CHARGER, 1, True), (CHARGER, 1, False)]
    await queue.stop()


async def test_a_reconnection_makes_the_next_status_news_again() -> None:
    sink = RecordingSink()
    watch, queue = _watch(sink)
    await _told(watch, queue, _status(2, "Faulted"), _status(2, "Faulted"))
    connected = ChargerConnected(charger_id=CHARGER, ocpp_version="2.0.1", remote_address=None, at=AT)
    await _told(watch, queue, connected, _status(2, "Faulted"))
    assert sink.of("connector_faulted") == [(CHARGER, 2, True), (CHARGER, 2, True)]
    assert sink.of("charger_offline") == [(CHARGER, None, False)]
    await queue.stop()


def _upload(status: str) -> DiagnosticsStatusChanged:
    return DiagnosticsStatusChanged(
        charger_id=CHARGER, ocpp_version="2.0.1", message_id="m", received_at=AT, status=status, request_id=4
    )


async def test_a_failed_log_upload_raises_and_a_rule_switched_off_only_clears() -> None:
    sink = RecordingSink()
    switched_off = msgspec.structs.replace(DEFAULT_RULES["diagnostics_failure"], enabled=False)
    watch, queue = _watch(sink, StaticRuleBook({**DEFAULT_RULES, "diagnostics_failure": switched_off}))
    await _told(watch, queue, _upload("UploadFailure"), _upload("Uploading"), _upload("Uploaded"))
    assert sink.of("diagnostics_failure") == [(CHARGER, None, False)]
    await queue.stop()

    watch, queue = _watch(sink)
    await _told(watch, queue, _upload("UploadFailure"))
    assert sink.of("diagnostics_failure")[-1] == (CHARGER, None, True)
    assert sink.last("diagnostics_failure").detail == {"status": "UploadFailure", "requestId": "4"}
    await queue.stop()


class FailsOnce(RecordingSink):
    """Our sink port refusing its first report (an engine restarting)."""

    def __init__(self) -> None:
        super().__init__()
        self.refused = 0

    async def report(self, condition: ConditionReport) -> None:
        if not self.refused:
            self.refused += 1
            raise ConnectionError("engine restarting")
        await super().report(condition)


async def test_a_sink_that_fails_loses_that_report_only() -> None:
    sink = FailsOnce()
    watch, queue = _watch(sink)
    await _told(watch, queue, _status(1, "Faulted"), _status(1, "Available"))
    assert sink.refused == 1
    assert sink.of("connector_faulted") == [(CHARGER, 1, False)]
    await queue.stop()


async def test_without_the_alert_engine_conditions_are_logged_once_when_they_start_and_end(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="api.domain.operations.detectors.network")
    watch, queue = _watch(LoggedConditions())
    await _told(watch, queue, _status(1, "Available"), _status(1, "Faulted"), _status(2, "Faulted"))
    await _told(watch, queue, _status(1, "Available"))
    assert [record.getMessage().split(":")[0] for record in caplog.records] == [
        "connector_faulted started on CP-201 connector 1",
        "connector_faulted started on CP-201 connector 2",
        "connector_faulted ended on CP-201 connector 1",
    ]
    assert [record.levelno for record in caplog.records] == [logging.WARNING, logging.WARNING, logging.INFO]
    await queue.stop()


async def test_detectors_connected_to_another_sink_and_rule_book_use_them_from_then_on() -> None:
    first, second = RecordingSink(), RecordingSink()
    detectors = NetworkDetectors(None, sink=first, rules=StaticRuleBook(DEFAULT_RULES))  # type: ignore[arg-type]
    detectors.chargers.charger_event(_upload("UploadFailure"))
    await detectors.drain()
    switched_off = msgspec.structs.replace(DEFAULT_RULES["diagnostics_failure"], enabled=False)
    detectors.connect(second, StaticRuleBook({**DEFAULT_RULES, "diagnostics_failure": switched_off}))
    detectors.chargers.charger_event(_upload("Uploaded"))
    detectors.chargers.charger_event(_upload("UploadFailed"))
    await detectors.stop()
    assert first.of("diagnostics_failure") == [(CHARGER, None, True)]
    assert second.of("diagnostics_failure") == [(CHARGER, None, False)]  # the failure after it: the rule is off
