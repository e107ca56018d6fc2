"""Typed, version-neutral events the bridge reports to the backend, and the replies the backend gives.

Energy is always in Wh, power in W, times are timezone-aware UTC. Events that come from a charger's
message carry its ``message_id`` and the charger's own timestamps, so replayed messages can be
recognised and booked at the time they happened.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec

from ocpp_bridge.smart_charging import ChargingProfile, ChargingSchedule

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
    cause: int | None = None
    transaction_id: str | None = None
    variable_monitoring_id: int | None = None
    component_instance: str | None = None
    variable_instance: str | None = None
    connector_id: int | None = None


class EventsNotified(_MessageEvent, frozen=True, kw_only=True, tag=True):
    """2.0.1 NotifyEvent: device-model events such as faults and alerts."""

    generated_at: datetime
    seq_no: int
    to_be_continued: bool = False
    events: tuple[NotifiedEvent, ...]


class ReportedAttribute(msgspec.Struct, frozen=True, kw_only=True):
    """One attribute (Actual, Target, MinSet, MaxSet) of a reported variable."""

    type: str = "Actual"
    value: str | None = None
    mutability: str | None = None
    persistent: bool | None = None
    constant: bool | None = None


class VariableCharacteristics(msgspec.Struct, frozen=True, kw_only=True):
    data_type: str
    supports_monitoring: bool
    unit: str | None = None
    min_limit: float | None = None
    max_limit: float | None = None
    values_list: str | None = None


class ReportedVariable(msgspec.Struct, frozen=True, kw_only=True):
    component: str
    variable: str
    value: str | None = None
    mutability: str | None = None
    evse_id: int | None = None
    instance: str | None = None
    component_instance: str | None = None
    connector_id: int | None = None
    attributes: tuple[ReportedAttribute, ...] = ()
    characteristics: VariableCharacteristics | None = None


class ReportReceived(_MessageEvent, frozen=True, kw_only=True, tag=True):
    """2.0.1 NotifyReport: one part of a device-model report requested earlier."""

    request_id: int
    generated_at: datetime
    seq_no: int
    to_be_continued: bool = False
    variables: tuple[ReportedVariable, ...] = ()


# smart charging (2.0.1 block K)


class ChargingProfilesReported(_MessageEvent, frozen=True, kw_only=True, tag=True):
    """2.0.1 ReportChargingProfiles: one part of the answer to our GetChargingProfiles ``request_id``."""

    request_id: int
    evse_id: int
    charging_limit_source: str
    to_be_continued: bool = False
    profiles: tuple[ChargingProfile, ...]


class ChargingLimitNotified(_MessageEvent, frozen=True, kw_only=True, tag=True):
    """2.0.1 NotifyChargingLimit: a limit set by a system other than us (an EMS, the grid operator)."""

    charging_limit_source: str
    is_grid_critical: bool | None = None
    evse_id: int | None = None
    schedules: tuple[ChargingSchedule, ...] = ()


class ChargingLimitCleared(_MessageEvent, frozen=True, kw_only=True, tag=True):
    """2.0.1 ClearedChargingLimit: the external limit of ``charging_limit_source`` no longer applies."""

    charging_limit_source: str
    evse_id: int | None = None


class EVChargingNeedsNotified(_MessageEvent, frozen=True, kw_only=True, tag=True):
    """2.0.1 NotifyEVChargingNeeds: what the EV asks for (ISO 15118); energy in Wh, power in W, current in A."""

    evse_id: int
    requested_energy_transfer: str
    departure_time: datetime | None = None
    energy_amount_wh: float | None = None
    ev_max_power_w: float | None = None
    ev_max_current_a: float | None = None
    ev_min_current_a: float | None = None
    ev_max_voltage_v: float | None = None
    state_of_charge: int | None = None
    ev_energy_capacity_wh: float | None = None
    full_soc: int | None = None
    bulk_soc: int | None = None
    max_schedule_tuples: int | None = None


class EVChargingScheduleNotified(_MessageEvent, frozen=True, kw_only=True, tag=True):
    """2.0.1 NotifyEVChargingSchedule: the schedule the EV plans to follow, from ``time_base``."""

    evse_id: int
    time_base: datetime
    schedule: ChargingSchedule


SMART_CHARGING_EVENTS = (
    ChargingProfilesReported,
    ChargingLimitNotified,
    ChargingLimitCleared,
    EVChargingNeedsNotified,
    EVChargingScheduleNotified,
)


class ReportedMonitor(msgspec.Struct, frozen=True, kw_only=True):
    monitor_id: int
    component: str
    variable: str
    kind: str
    value: float
    severity: int
    transaction: bool = False
    component_instance: str | None = None
    variable_instance: str | None = None
    evse_id: int | None = None
    connector_id: int | None = None


class MonitoringReportReceived(_MessageEvent, frozen=True, kw_only=True, tag=True):
    """2.0.1 NotifyMonitoringReport: one part of a monitoring report requested earlier."""

    request_id: int
    generated_at: datetime
    seq_no: int
    to_be_continued: bool = False
    monitors: tuple[ReportedMonitor, ...] = ()


class CustomerInformationReceived(_MessageEvent, frozen=True, kw_only=True, tag=True):
    """2.0.1 NotifyCustomerInformation: one part of the customer data requested earlier."""

    request_id: int
    generated_at: datetime
    seq_no: int
    to_be_continued: bool = False
    data: str = ""


class DisplayMessage(msgspec.Struct, frozen=True, kw_only=True):
    message_id: int
    priority: str
    content: str
    format: str
    language: str | None = None
    state: str | None = None
    start_date_time: datetime | None = None
    end_date_time: datetime | None = None
    transaction_id: str | None = None
    evse_id: int | None = None


class DisplayMessagesReported(_MessageEvent, frozen=True, kw_only=True, tag=True):
    """2.0.1 NotifyDisplayMessages: the messages configured on the charger, for a GetDisplayMessages request."""

    request_id: int
    to_be_continued: bool = False
    messages: tuple[DisplayMessage, ...] = ()


class PublishFirmwareStatusChanged(_MessageEvent, frozen=True, kw_only=True, tag=True):
    """2.0.1 PublishFirmwareStatusNotification of a local controller."""

    status: str
    request_id: int | None = None
    locations: tuple[str, ...] = ()


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
    | ChargingProfilesReported
    | ChargingLimitNotified
    | ChargingLimitCleared
    | EVChargingNeedsNotified
    | EVChargingScheduleNotified
    | MonitoringReportReceived
    | CustomerInformationReceived
    | DisplayMessagesReported
    | PublishFirmwareStatusChanged
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


# -- certificates (1.6 security extension, 2.0.1 blocks A and M) -------------------------------------------------


class OcspRequestData(msgspec.Struct, frozen=True, kw_only=True):
    """A certificate named by its OCSP CertID fields, and the OCSP responder that knows its status."""

    hash_algorithm: str
    issuer_name_hash: str
    issuer_key_hash: str
    serial_number: str
    responder_url: str


class CertificateSigningRequested(_MessageEvent, frozen=True, kw_only=True, tag=True):
    """SignCertificate: the charger sent a PEM CSR; ``certificate_type`` is 2.0.1's (None: the station's own)."""

    csr: str
    certificate_type: str | None = None


class CertificateStatusRequested(_MessageEvent, frozen=True, kw_only=True, tag=True):
    """2.0.1 GetCertificateStatus: the charger asks the OCSP status of a (15118) certificate."""

    certificate: OcspRequestData


class EvCertificateRequested(_MessageEvent, frozen=True, kw_only=True, tag=True):
    """2.0.1 Get15118EVCertificate: an EV asks, through the charger, to install or update its contract."""

    schema_version: str
    action: str
    exi_request: str


class ContractCertificatesPresented(_MessageEvent, frozen=True, kw_only=True, tag=True):
    """2.0.1 Authorize with an EV's contract certificate chain: as ``iso15118CertificateHashData`` (OCSP request
    data the charger computed) or as the PEM ``certificate`` itself (the central system checks it)."""

    id_token: IdToken
    certificates: tuple[OcspRequestData, ...] = ()
    certificate: str | None = None


class CertificateSigningReply(msgspec.Struct, frozen=True):
    status: Literal["Accepted", "Rejected"] = "Accepted"
    reason: str | None = None


class CertificateStatusReply(msgspec.Struct, frozen=True):
    """``ocsp_result`` is the responder's DER OCSPResponse, base64-encoded."""

    status: Literal["Accepted", "Failed"]
    ocsp_result: str | None = None
    reason: str | None = None


class EvCertificateReply(msgspec.Struct, frozen=True):
    status: Literal["Accepted", "Failed"]
    exi_response: str = ""
    reason: str | None = None


ContractCertificateStatus = Literal[
    "Accepted",
    "SignatureError",
    "CertificateExpired",
    "CertificateRevoked",
    "NoCertificateAvailable",
    "CertChainError",
    "ContractCancelled",
]
