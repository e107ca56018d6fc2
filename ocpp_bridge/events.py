"""Typed, version-neutral events the bridge reports to the backend, and the replies the backend gives.

Energy is always in Wh, power in W, times are timezone-aware UTC. Events that come from a charger's
message carry its ``message_id`` and the charger's own timestamps, so replayed messages can be
recognised and booked at the time they happened.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec

OcppVersion = Literal["1.6", "2.0.1"]


class IdToken(msgspec.Struct, frozen=True):
    """An identifier presented by a driver (RFID card, app, key code); 1.6 idTags have no type."""

    id_token: str
    token_type: str | None = None


class IdTokenInfo(msgspec.Struct, frozen=True):
    """The backend's verdict on an id token, in the 2.0.1 status vocabulary (1.6 gets the closest match)."""

    status: Literal[
        "Accepted",
        "Blocked",
        "ConcurrentTx",
        "Expired",
        "Invalid",
        "NoCredit",
        "NotAllowedTypeEVSE",
        "NotAtThisLocation",
        "NotAtThisTime",
        "Unknown",
    ]
    expiry_date: datetime | None = None
    parent_id_token: str | None = None


class MeterSample(msgspec.Struct, frozen=True):
    """One meter reading instant, normalised; ``None`` where the charger did not report the measurand."""

    timestamp: datetime
    context: str | None = None
    energy_wh: float | None = None
    power_w: float | None = None
    soc_percent: float | None = None
    current_a: float | None = None
    voltage_v: float | None = None


class _Event(msgspec.Struct, frozen=True, tag_field="event", kw_only=True):
    charger_id: str
    ocpp_version: OcppVersion


class _MessageEvent(_Event, frozen=True, kw_only=True):
    message_id: str
    received_at: datetime


class ChargerConnected(_Event, frozen=True, kw_only=True, tag=True):
    remote_address: str | None
    at: datetime


class ChargerDisconnected(_Event, frozen=True, kw_only=True, tag=True):
    at: datetime
    close_code: int | None = None
    close_reason: str = ""


class ChargerBooted(_MessageEvent, frozen=True, kw_only=True, tag=True):
    vendor: str
    model: str
    firmware_version: str | None = None
    serial_number: str | None = None
    reason: str | None = None


class HeartbeatReceived(_MessageEvent, frozen=True, kw_only=True, tag=True):
    pass


class StatusChanged(_MessageEvent, frozen=True, kw_only=True, tag=True):
    """``connector_id`` is the 1.6 connectorId or the 2.0.1 evseId (0 = the whole charger)."""

    connector_id: int
    evse_connector_id: int | None = None
    status: str
    error_code: str | None = None
    vendor_error_code: str | None = None
    info: str | None = None
    timestamp: datetime


class AuthorizationRequested(_MessageEvent, frozen=True, kw_only=True, tag=True):
    id_token: IdToken


class TransactionStarted(_MessageEvent, frozen=True, kw_only=True, tag=True):
    """``transaction_id`` is set by 2.0.1 chargers; for 1.6 the backend allocates it in its reply."""

    connector_id: int
    transaction_id: str | None = None
    id_token: IdToken | None = None
    meter_start_wh: float | None = None
    timestamp: datetime
    reservation_id: int | None = None
    trigger_reason: str | None = None
    charging_state: str | None = None
    seq_no: int | None = None
    offline: bool = False
    samples: tuple[MeterSample, ...] = ()
    remote_start_id: int | None = None  # 2.0.1: the remoteStartId of the RequestStartTransaction it answers


class TransactionUpdated(_MessageEvent, frozen=True, kw_only=True, tag=True):
    connector_id: int | None = None
    transaction_id: str
    id_token: IdToken | None = None
    timestamp: datetime
    trigger_reason: str | None = None
    charging_state: str | None = None
    seq_no: int | None = None
    offline: bool = False
    samples: tuple[MeterSample, ...] = ()


class TransactionEnded(_MessageEvent, frozen=True, kw_only=True, tag=True):
    connector_id: int | None = None
    transaction_id: str
    id_token: IdToken | None = None
    meter_stop_wh: float | None = None
    timestamp: datetime
    reason: str | None = None
    trigger_reason: str | None = None
    charging_state: str | None = None
    seq_no: int | None = None
    offline: bool = False
    samples: tuple[MeterSample, ...] = ()


class MeterValuesReceived(_MessageEvent, frozen=True, kw_only=True, tag=True):
    connector_id: int
    transaction_id: str | None = None
    samples: tuple[MeterSample, ...]


class DataTransferReceived(_MessageEvent, frozen=True, kw_only=True, tag=True):
    vendor_id: str
    data_message_id: str | None = None
    data: Any = None


class FirmwareStatusChanged(_MessageEvent, frozen=True, kw_only=True, tag=True):
    status: str
    request_id: int | None = None


class DiagnosticsStatusChanged(_MessageEvent, frozen=True, kw_only=True, tag=True):
    """1.6 DiagnosticsStatusNotification and LogStatusNotification (2.0.1 and the 1.6 security extension)."""

    status: str
    request_id: int | None = None


class SecurityEventReceived(_MessageEvent, frozen=True, kw_only=True, tag=True):
    kind: str
    timestamp: datetime
    tech_info: str | None = None


class NotifiedEvent(msgspec.Struct, frozen=True, kw_only=True):
    event_id: int
    timestamp: datetime
    trigger: str
    component: str
    variable: str
    actual_value: str
    event_notification_type: str
    evse_id: int | None = None
    cleared: bool = False
    tech_code: str | None = None
    tech_info: str | None = None


class EventsNotified(_MessageEvent, frozen=True, kw_only=True, tag=True):
    """2.0.1 NotifyEvent: device-model events such as faults and alerts."""

    generated_at: datetime
    seq_no: int
    to_be_continued: bool = False
    events: tuple[NotifiedEvent, ...]


class ReportedVariable(msgspec.Struct, frozen=True, kw_only=True):
    component: str
    variable: str
    value: str | None = None
    mutability: str | None = None
    evse_id: int | None = None
    instance: str | None = None


class ReportReceived(_MessageEvent, frozen=True, kw_only=True, tag=True):
    """2.0.1 NotifyReport: one part of a device-model report requested earlier."""

    request_id: int
    generated_at: datetime
    seq_no: int
    to_be_continued: bool = False
    variables: tuple[ReportedVariable, ...] = ()


class ReservationStatusChanged(_MessageEvent, frozen=True, kw_only=True, tag=True):
    """2.0.1 ReservationStatusUpdate: the charger dropped a reservation (``Expired`` or ``Removed``)."""

    reservation_id: int
    status: str


ChargerEvent = (
    ChargerConnected
    | ChargerDisconnected
    | ChargerBooted
    | HeartbeatReceived
    | StatusChanged
    | AuthorizationRequested
    | TransactionStarted
    | TransactionUpdated
    | TransactionEnded
    | MeterValuesReceived
    | DataTransferReceived
    | FirmwareStatusChanged
    | DiagnosticsStatusChanged
    | SecurityEventReceived
    | EventsNotified
    | ReportReceived
    | ReservationStatusChanged
)


# -- replies ---------------------------------------------------------------------------------------------------


class BootReply(msgspec.Struct, frozen=True):
    """``interval`` is the heartbeat (Accepted) or retry (Pending/Rejected) interval; None = configured default."""

    status: Literal["Accepted", "Pending", "Rejected"]
    interval: int | None = None


class TransactionStartReply(msgspec.Struct, frozen=True):
    """``transaction_id`` is required for 1.6 (the central system allocates it) and ignored for 2.0.1."""

    id_token_info: IdTokenInfo | None = None
    transaction_id: int | None = None


class DataTransferReply(msgspec.Struct, frozen=True):
    status: Literal["Accepted", "Rejected", "UnknownMessageId", "UnknownVendorId"] = "UnknownVendorId"
    data: str | None = None
