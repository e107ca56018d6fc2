"""Conditions a charger's own messages raise and clear, handled in the process that holds its socket.

- `connector_faulted`: a StatusNotification with status Faulted (1.6 and 2.0.1), or a 2.0.1 NotifyEvent that sets a
  component's `Problem`; cleared by a status that is not Faulted (and no problem left set). Connector 0 (1.6) or an
  event without an EVSE is the whole charger.
- `firmware_failure` / `diagnostics_failure`: a failed FirmwareStatusNotification or Diagnostics/LogStatusNotification;
  cleared by a later Installed / Uploaded.
- `security_event`: a critical SecurityEventNotification (see `security_events.CRITICAL_SECURITY_EVENTS`), reported
  once; the engine resolves it after the rule's clear time.
- `charger_offline` clears here, when the charger connects again (it is raised by the periodic scan in `offline.py`).

A connector's state is known from the first status this process hears after the charger connects; that first status
is reported whatever it is, so a fault raised while another process held the socket still clears.
"""

from __future__ import annotations

from datetime import datetime

from api.domain.chargers.security_events import is_critical
from api.domain.operations.conditions import ConditionReport, RuleBook
from api.domain.operations.detectors.queue import ConditionQueue
from ocpp_bridge.events import (
    ChargerConnected,
    ChargerDisconnected,
    ChargerEvent,
    DiagnosticsStatusChanged,
    EventsNotified,
    FirmwareStatusChanged,
    SecurityEventReceived,
    StatusChanged,
)

# 1.6 (with the security extension) and 2.0.1 FirmwareStatus values that end an update unsuccessfully
FIRMWARE_FAILURES = frozenset({"DownloadFailed", "InstallationFailed", "InstallVerificationFailed", "InvalidSignature"})
FIRMWARE_SUCCESS = "Installed"
# 1.6 DiagnosticsStatus and UploadLogStatus (2.0.1, 1.6 security extension) values of a failed upload
DIAGNOSTICS_FAILURES = frozenset(
    {"UploadFailed", "UploadFailure", "BadMessage", "NotSupportedOperation", "PermissionDenied"}
)
DIAGNOSTICS_SUCCESS = "Uploaded"

_STATUS = "status"
_PROBLEM = "problem"


class _Faults:
    """What says a connector is faulted now (its status, a device-model problem) and the error code last reported."""

    __slots__ = ("code", "sources")

    def __init__(self) -> None:
        self.sources: set[str] = set()
        self.code: str | None = None


class ChargerConditions:
    """Implements `api.domain.chargers.observer.ChargerEventWatcher`: called on the charger's message loop, it only
    updates memory and queues reports."""

    def __init__(self, queue: ConditionQueue, rules: RuleBook) -> None:
        self._queue = queue
        self._rules = rules
        # per charger, per connector (None: the whole charger): what is known of its faults since it connected
        self._faults: dict[str, dict[int | None, _Faults]] = {}

    def charger_event(self, event: ChargerEvent) -> None:
        if isinstance(event, StatusChanged):
            self._status(event)
        elif isinstance(event, EventsNotified):
            self._problems(event)
        elif isinstance(event, FirmwareStatusChanged):
            self._outcome(
                "firmware_failure",
                event.charger_id,
                event.status,
                event.received_at,
                FIRMWARE_FAILURES,
                FIRMWARE_SUCCESS,
                event.request_id,
            )
        elif isinstance(event, DiagnosticsStatusChanged):
            self._outcome(
                "diagnostics_failure",
                event.charger_id,
                event.status,
                event.received_at,
                DIAGNOSTICS_FAILURES,
                DIAGNOSTICS_SUCCESS,
                event.request_id,
            )
        elif isinstance(event, SecurityEventReceived):
            if is_critical(event.kind):
                detail = {"type": event.kind, "chargerTime": event.timestamp.isoformat()}
                if event.tech_info:
                    detail["techInfo"] = event.tech_info
                self._report("security_event", event.charger_id, None, True, event.received_at, detail)
        elif isinstance(event, ChargerConnected):
            self._faults.pop(event.charger_id, None)  # what it says next is news again
            self._report(
                "charger_offline", event.charger_id, None, False, event.at, {"reconnectedAt": event.at.isoformat()}
            )
        elif isinstance(event, ChargerDisconnected):
            self._faults.pop(event.charger_id, None)

    # ----- connector faults ---------------------------------------------------------------------

    def _status(self, event: StatusChanged) -> None:
        connector = event.connector_id or None
        detail = {"status": event.status}
        if event.error_code:
            detail["errorCode"] = event.error_code
        if event.vendor_error_code:
            detail["vendorErrorCode"] = event.vendor_error_code
        if event.info:
            detail["info"] = event.info
        self._fault_source(event.charger_id, connector, _STATUS, event.status == "Faulted", event.received_at, detail)

    def _problems(self, event: EventsNotified) -> None:
        """A `Problem` variable set or cleared; a connector's or EVSE's `AvailabilityState` is its status again, as
        some 2.0.1 chargers tell the error code of a fault only in that event."""
        for item in event.events:
            if item.variable == "Problem":
                source, faulted = _PROBLEM, item.actual_value.strip().lower() == "true" and not item.cleared
            elif item.variable == "AvailabilityState" and item.component in ("Connector", "EVSE"):
                source, faulted = _STATUS, item.actual_value == "Faulted"
            else:
                continue
            detail = {"component": item.component, "variable": item.variable, "actualValue": item.actual_value}
            if item.tech_code:
                detail["errorCode"] = item.tech_code
            if item.tech_info:
                detail["info"] = item.tech_info
            self._fault_source(event.charger_id, item.evse_id or None, source, faulted, event.received_at, detail)

    def _fault_source(
        self, charger_id: str, connector: int | None, source: str, faulted: bool, at: datetime, detail: dict[str, str]
    ) -> None:
        """Reported when the connector's state changes (or is first heard), and while it stays faulted when the
        charger names another error code, so the alert shows the newest."""
        connectors = self._faults.setdefault(charger_id, {})
        known = connectors.get(connector)
        first = known is None
        if known is None:
            known = connectors[connector] = _Faults()
        was = bool(known.sources)
        if faulted:
            known.sources.add(source)
        else:
            known.sources.discard(source)
        now = bool(known.sources)
        code = detail.get("errorCode")
        new_code = faulted and code is not None and code != known.code
        if now and faulted and code is not None:
            known.code = code
        if not now:
            known.code = None
        if first or was != now or (now and new_code):
            self._report("connector_faulted", charger_id, connector, now, at, detail)

    # ----- firmware and diagnostics -------------------------------------------------------------

    def _outcome(
        self,
        rule: str,
        charger_id: str,
        status: str,
        at: datetime,
        failures: frozenset[str],
        success: str,
        request_id: int | None,
    ) -> None:
        if status not in failures and status != success:
            return  # Downloading, Installing, Uploading, Idle ...: nothing decided yet
        detail = {"status": status}
        if request_id is not None:
            detail["requestId"] = str(request_id)
        self._report(rule, charger_id, None, status in failures, at, detail)

    def _report(
        self, rule: str, charger_id: str, connector: int | None, active: bool, at: datetime, detail: dict[str, str]
    ) -> None:
        if active and not self._rules.rule(rule).enabled:
            return
        self._queue.put(ConditionReport(rule, charger_id, connector, active, at, detail))
