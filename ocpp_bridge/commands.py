"""Command registry: version-neutral requests to chargers, their translation to each OCPP version, typed results.

The registry names are stable: the admin API exposes them as ``POST /v1/admin/chargers/{id}/commands/{name}``
and the relay between processes carries them (``encode_request`` / ``decode_request``).
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import msgspec
from msgspec import UNSET

from ocpp_bridge import certificate_commands as certificates
from ocpp_bridge import device_model as dm
from ocpp_bridge import errors, ocpp_calls, smart_charging
from ocpp_bridge.certificate_commands import (
    CertificateSigned,
    DeleteCertificate,
    GetInstalledCertificateIds,
    InstallCertificate,
    InstalledCertificate,
    InstalledCertificatesResult,
)
from ocpp_bridge.errors import V16, V201
from ocpp_bridge.journal import JournalSnapshot
from ocpp_bridge.v16 import messages as v16
from ocpp_bridge.v201 import messages as v201

# -- requests --------------------------------------------------------------------------------------------------


class _Request(msgspec.Struct, frozen=True, kw_only=True, tag_field="command"):
    pass


class RemoteStart(_Request, frozen=True, kw_only=True, tag="remote-start"):
    """Start a transaction for ``id_token``; ``connector_id`` is the 1.6 connector or the 2.0.1 EVSE."""

    id_token: str
    connector_id: int | None = None
    id_token_type: str = "Central"
    remote_start_id: int | None = None
    charging_profile: smart_charging.ChargingProfile | None = None  # a TxProfile for the transaction to start


class RemoteStop(_Request, frozen=True, kw_only=True, tag="remote-stop"):
    transaction_id: str


class Unlock(_Request, frozen=True, kw_only=True, tag="unlock"):
    connector_id: int
    evse_connector_id: int = 1


class Reset(_Request, frozen=True, kw_only=True, tag="reset"):
    """Soft waits for transactions to end (2.0.1 OnIdle); Hard resets now (2.0.1 Immediate)."""

    kind: Literal["Soft", "Hard"] = "Soft"
    evse_id: int | None = None  # 2.0.1: reset only this EVSE


class TriggerMessage(_Request, frozen=True, kw_only=True, tag="trigger-message"):
    """``message`` in 1.6 names; DiagnosticsStatusNotification maps to 2.0.1 LogStatusNotification."""

    message: str
    connector_id: int | None = None


class ChangeAvailability(_Request, frozen=True, kw_only=True, tag="change-availability"):
    operational: bool
    connector_id: int = 0


class GetConfiguration(_Request, frozen=True, kw_only=True, tag="get-configuration"):
    """Keys are 1.6 configuration keys, or ``Component.Variable`` names of the 2.0.1 device model."""

    keys: tuple[str, ...] = ()


class ChangeConfiguration(_Request, frozen=True, kw_only=True, tag="change-configuration"):
    key: str
    value: str


class GetDiagnostics(_Request, frozen=True, kw_only=True, tag="get-diagnostics"):
    location: str
    start_time: datetime | None = None
    stop_time: datetime | None = None
    retries: int | None = None
    retry_interval: int | None = None
    request_id: int = 1


class UpdateFirmware(_Request, frozen=True, kw_only=True, tag="update-firmware"):
    location: str
    retrieve_date: datetime
    retries: int | None = None
    retry_interval: int | None = None
    request_id: int = 1
    signing_certificate: str | None = None
    signature: str | None = None


class ReserveNow(_Request, frozen=True, kw_only=True, tag="reserve-now"):
    reservation_id: int
    id_token: str
    expiry_date: datetime
    connector_id: int = 0
    id_token_type: str = "Central"
    parent_id_token: str | None = None


class CancelReservation(_Request, frozen=True, kw_only=True, tag="cancel-reservation"):
    reservation_id: int


class ClearCache(_Request, frozen=True, kw_only=True, tag="clear-cache"):
    pass


# smart charging (OCPP 1.6 Smart Charging profile, 2.0.1 block K)


class SetChargingProfile(_Request, frozen=True, kw_only=True, tag="set-charging-profile"):
    """Install a charging profile on an EVSE (1.6 connector); 0 = the whole charger."""

    evse_id: int
    profile: smart_charging.ChargingProfile
    allowed_units: tuple[str, ...] | None = None  # the rate units the charger takes, when known


class ClearChargingProfile(_Request, frozen=True, kw_only=True, tag="clear-charging-profile"):
    """Clear a profile by id, or every profile matching the criteria given (none: all of them)."""

    profile_id: int | None = None
    evse_id: int | None = None
    purpose: smart_charging.ChargingProfilePurpose | None = None
    stack_level: int | None = None


class GetCompositeSchedule(_Request, frozen=True, kw_only=True, tag="get-composite-schedule"):
    """The schedule an EVSE (0: the grid connection) will follow for the next ``duration`` seconds."""

    evse_id: int
    duration: int
    charging_rate_unit: smart_charging.ChargingRateUnit | None = None


class GetChargingProfiles(_Request, frozen=True, kw_only=True, tag="get-charging-profiles"):
    """Ask a 2.0.1 charger to report its profiles (ReportChargingProfiles); OCPP 1.6 has no such message."""

    request_id: int
    evse_id: int | None = None
    purpose: smart_charging.ChargingProfilePurpose | None = None
    stack_level: int | None = None
    profile_ids: tuple[int, ...] = ()
    sources: tuple[Literal["EMS", "Other", "SO", "CSO"], ...] = ()


# -- requests: device model, monitoring, logs, customer information, display messages, firmware publishing --


class GetBaseReport(_Request, frozen=True, kw_only=True, tag="get-base-report"):
    """2.0.1 GetBaseReport; the charger answers with NotifyReport messages for ``request_id``."""

    request_id: int
    report_base: Literal["ConfigurationInventory", "FullInventory", "SummaryInventory"] = "FullInventory"


class GetReport(_Request, frozen=True, kw_only=True, tag="get-report"):
    """2.0.1 GetReport of the named components / variables and/or component criteria."""

    request_id: int
    component_variables: tuple[dm.ComponentVariable, ...] = ()
    component_criteria: tuple[Literal["Active", "Available", "Enabled", "Problem"], ...] = ()


class GetVariables(_Request, frozen=True, kw_only=True, tag="get-variables"):
    """2.0.1 GetVariables, split by the charger's DeviceDataCtrlr limits (asked first when not given)."""

    variables: tuple[dm.ComponentVariable, ...]
    items_per_message: int | None = None
    bytes_per_message: int | None = None


class SetVariables(_Request, frozen=True, kw_only=True, tag="set-variables"):
    """2.0.1 SetVariables, split by the charger's DeviceDataCtrlr limits (asked first when not given)."""

    variables: tuple[dm.VariableSetting, ...]
    items_per_message: int | None = None
    bytes_per_message: int | None = None


class SetNetworkProfile(_Request, frozen=True, kw_only=True, tag="set-network-profile"):
    """2.0.1 SetNetworkProfile: a connection profile for a configuration slot."""

    configuration_slot: int
    connection_data: dm.NetworkProfile


class GetTransactionStatus(_Request, frozen=True, kw_only=True, tag="get-transaction-status"):
    """2.0.1 GetTransactionStatus: is the transaction ongoing, are messages queued."""

    transaction_id: str | None = None


class SetVariableMonitoring(_Request, frozen=True, kw_only=True, tag="set-variable-monitoring"):
    """2.0.1 SetVariableMonitoring."""

    monitors: tuple[dm.MonitorSetting, ...]


class ClearVariableMonitoring(_Request, frozen=True, kw_only=True, tag="clear-variable-monitoring"):
    """2.0.1 ClearVariableMonitoring of monitors by id."""

    monitor_ids: tuple[int, ...]


class SetMonitoringBase(_Request, frozen=True, kw_only=True, tag="set-monitoring-base"):
    """2.0.1 SetMonitoringBase: All, FactoryDefault or HardWiredOnly."""

    monitoring_base: Literal["All", "FactoryDefault", "HardWiredOnly"]


class SetMonitoringLevel(_Request, frozen=True, kw_only=True, tag="set-monitoring-level"):
    """2.0.1 SetMonitoringLevel: report events of this severity (0-9) and more severe."""

    severity: int


class GetMonitoringReport(_Request, frozen=True, kw_only=True, tag="get-monitoring-report"):
    """2.0.1 GetMonitoringReport; the charger answers with NotifyMonitoringReport messages."""

    request_id: int
    component_variables: tuple[dm.ComponentVariable, ...] = ()
    monitoring_criteria: tuple[Literal["ThresholdMonitoring", "DeltaMonitoring", "PeriodicMonitoring"], ...] = ()


class GetLog(_Request, frozen=True, kw_only=True, tag="get-log"):
    """GetLog (2.0.1, and 1.6 with the security extension): upload a diagnostics or security log."""

    remote_location: str
    request_id: int
    log_type: Literal["DiagnosticsLog", "SecurityLog"] = "DiagnosticsLog"
    oldest_timestamp: datetime | None = None
    latest_timestamp: datetime | None = None
    retries: int | None = None
    retry_interval: int | None = None


class CustomerInformation(_Request, frozen=True, kw_only=True, tag="customer-information"):
    """2.0.1 CustomerInformation: report and/or clear what the charger keeps about a customer."""

    request_id: int
    report: bool = True
    clear: bool = False
    customer_identifier: str | None = None
    id_token: str | None = None
    id_token_type: str = "ISO14443"
    customer_certificate: dm.CustomerCertificate | None = None


class SetDisplayMessage(_Request, frozen=True, kw_only=True, tag="set-display-message"):
    """2.0.1 SetDisplayMessage: a message shown on the charger's display."""

    message_id: int
    content: str
    priority: Literal["AlwaysFront", "InFront", "NormalCycle"] = "NormalCycle"
    format: Literal["ASCII", "HTML", "URI", "UTF8"] = "UTF8"
    language: str | None = None
    state: Literal["Charging", "Faulted", "Idle", "Unavailable"] | None = None
    start_date_time: datetime | None = None
    end_date_time: datetime | None = None
    transaction_id: str | None = None
    evse_id: int | None = None


class GetDisplayMessages(_Request, frozen=True, kw_only=True, tag="get-display-messages"):
    """2.0.1 GetDisplayMessages; the charger answers with NotifyDisplayMessages."""

    request_id: int
    message_ids: tuple[int, ...] = ()
    priority: Literal["AlwaysFront", "InFront", "NormalCycle"] | None = None
    state: Literal["Charging", "Faulted", "Idle", "Unavailable"] | None = None


class ClearDisplayMessage(_Request, frozen=True, kw_only=True, tag="clear-display-message"):
    """2.0.1 ClearDisplayMessage."""

    message_id: int


class PublishFirmware(_Request, frozen=True, kw_only=True, tag="publish-firmware"):
    """2.0.1 PublishFirmware: a local controller publishes a firmware image to the stations behind it."""

    location: str
    checksum: str
    request_id: int
    retries: int | None = None
    retry_interval: int | None = None


class UnpublishFirmware(_Request, frozen=True, kw_only=True, tag="unpublish-firmware"):
    """2.0.1 UnpublishFirmware by the image's MD5 checksum."""

    checksum: str


class SignedUpdateFirmware(_Request, frozen=True, kw_only=True, tag="signed-update-firmware"):
    """Signed firmware update: 1.6 security extension SignedUpdateFirmware, 2.0.1 UpdateFirmware."""

    location: str
    retrieve_date: datetime
    signing_certificate: str
    signature: str
    request_id: int = 1
    install_date: datetime | None = None
    retries: int | None = None
    retry_interval: int | None = None


class ExtendedTriggerMessage(_Request, frozen=True, kw_only=True, tag="extended-trigger-message"):
    """1.6 security extension ExtendedTriggerMessage (LogStatusNotification, SignChargePointCertificate, ...)."""

    message: str
    connector_id: int | None = None


# local authorisation list (1.6 LocalAuthListManagement profile, 2.0.1 block D)


class LocalListEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One id token of a local list; ``status`` None (with a Differential update) removes it from the list."""

    id_token: str
    id_token_type: str = "ISO14443"
    status: str | None = "Accepted"
    expiry_date: datetime | None = None
    group_id: str | None = None


class SendLocalList(_Request, frozen=True, kw_only=True, tag="send-local-list"):
    """Replace (Full) or update (Differential) the charger's local authorisation list, as version ``version``."""

    version: int
    update_type: Literal["Full", "Differential"] = "Full"
    entries: tuple[LocalListEntry, ...] = ()


class GetLocalListVersion(_Request, frozen=True, kw_only=True, tag="get-local-list-version"):
    """The version of the local authorisation list the charger holds (0: none, -1: not supported, 1.6)."""


class OcppCall(_Request, frozen=True, kw_only=True, tag="ocpp-call"):
    """Any message a central system sends, by its OCPP action name, with the payload of the charger's version."""

    action: str
    payload: msgspec.Raw = msgspec.Raw(b"{}")


class ReadJournal(_Request, frozen=True, kw_only=True, tag="read-journal"):
    """The charger's message journal, answered by the process holding its socket: nothing is sent to the charger,
    so it is no command of the registry (``COMMANDS``), only a request the relay carries."""

    limit: int | None = None  # the newest frames; None: all kept


CommandRequest = (
    RemoteStart
    | RemoteStop
    | Unlock
    | Reset
    | TriggerMessage
    | ChangeAvailability
    | GetConfiguration
    | ChangeConfiguration
    | GetDiagnostics
    | UpdateFirmware
    | ReserveNow
    | CancelReservation
    | ClearCache
    | SetChargingProfile
    | ClearChargingProfile
    | GetCompositeSchedule
    | GetChargingProfiles
    | InstallCertificate
    | GetInstalledCertificateIds
    | DeleteCertificate
    | CertificateSigned
    | GetBaseReport
    | GetReport
    | GetVariables
    | SetVariables
    | SetNetworkProfile
    | GetTransactionStatus
    | SetVariableMonitoring
    | ClearVariableMonitoring
    | SetMonitoringBase
    | SetMonitoringLevel
    | GetMonitoringReport
    | GetLog
    | CustomerInformation
    | SetDisplayMessage
    | GetDisplayMessages
    | ClearDisplayMessage
    | PublishFirmware
    | UnpublishFirmware
    | SignedUpdateFirmware
    | ExtendedTriggerMessage
    | SendLocalList
    | GetLocalListVersion
    | OcppCall
    | ReadJournal
)

# -- results ---------------------------------------------------------------------------------------------------


class _Result(msgspec.Struct, frozen=True, kw_only=True, tag_field="result"):
    pass


class StatusResult(_Result, frozen=True, kw_only=True, tag="status"):
    """The charger's status answer in its own version's vocabulary, with the 2.0.1 reason code if any."""

    status: str
    reason: str | None = None


class RemoteStartResult(_Result, frozen=True, kw_only=True, tag="remote-start"):
    status: str
    transaction_id: str | None = None
    reason: str | None = None


class ConfigurationValue(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    value: str | None = None
    readonly: bool | None = None


class ConfigurationResult(_Result, frozen=True, kw_only=True, tag="configuration"):
    values: tuple[ConfigurationValue, ...] = ()
    unknown_keys: tuple[str, ...] = ()


class DiagnosticsResult(_Result, frozen=True, kw_only=True, tag="diagnostics"):
    status: str
    file_name: str | None = None


class CompositeScheduleResult(_Result, frozen=True, kw_only=True, tag="composite-schedule"):
    """The charger's composite schedule (present when ``status`` is Accepted)."""

    status: str
    reason: str | None = None
    evse_id: int | None = None
    schedule_start: datetime | None = None
    duration: int | None = None
    charging_rate_unit: str | None = None
    periods: tuple[smart_charging.ChargingSchedulePeriod, ...] = ()


class VariablesResult(_Result, frozen=True, kw_only=True, tag="variables"):
    """GetVariables / SetVariables outcomes in the order asked, and how many messages carried them."""

    variables: tuple[dm.VariableOutcome, ...] = ()
    messages: int = 1


class TransactionStatusResult(_Result, frozen=True, kw_only=True, tag="transaction-status"):
    messages_in_queue: bool
    ongoing_indicator: bool | None = None


class MonitoringResult(_Result, frozen=True, kw_only=True, tag="monitoring"):
    monitors: tuple[dm.MonitorOutcome, ...] = ()


class ListVersionResult(_Result, frozen=True, kw_only=True, tag="list-version"):
    version: int


class OcppCallResult(_Result, frozen=True, kw_only=True, tag="ocpp-call"):
    """The charger's CallResult payload as it sent it (validated against the response schema)."""

    action: str
    payload: msgspec.Raw


class JournalResult(_Result, frozen=True, kw_only=True, tag="journal"):
    """The journal of a charger held by the answering process; None when that process keeps none (size 0)."""

    journal: JournalSnapshot | None = None


CommandResult = (
    StatusResult
    | RemoteStartResult
    | ConfigurationResult
    | DiagnosticsResult
    | CompositeScheduleResult
    | InstalledCertificatesResult
    | VariablesResult
    | TransactionStatusResult
    | MonitoringResult
    | ListVersionResult
    | OcppCallResult
    | JournalResult
)


# -- translation -----------------------------------------------------------------------------------------------

Outgoing = tuple[str, msgspec.Struct]

# Familiar 1.6 keys that 2.0.1 keeps in its device model.
V201_VARIABLE_ALIASES: dict[str, tuple[str, str]] = {
    "HeartbeatInterval": ("OCPPCommCtrlr", "HeartbeatInterval"),
    "MeterValueSampleInterval": ("SampledDataCtrlr", "TxUpdatedInterval"),
    "ClockAlignedDataInterval": ("AlignedDataCtrlr", "Interval"),
    "ConnectionTimeOut": ("TxCtrlr", "EVConnectionTimeOut"),
    "AuthorizeRemoteTxRequests": ("AuthCtrlr", "AuthorizeRemoteStart"),
}


def _opt(value: Any) -> Any:
    return UNSET if value is None else value


def _unset_to_none(value: Any) -> Any:
    return None if value is UNSET else value


def _reason(status_info: v201.StatusInfoType | msgspec.UnsetType) -> str | None:
    return None if isinstance(status_info, msgspec.UnsetType) else status_info.reason_code


def _transaction_id_v16(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        msg = f"OCPP 1.6 transaction ids are integers, got {text!r}"
        raise errors.InvalidCommand(msg) from None


def _variable(key: str) -> tuple[v201.ComponentType, v201.VariableType]:
    if key in V201_VARIABLE_ALIASES:
        component, variable = V201_VARIABLE_ALIASES[key]
    else:
        component, _, variable = key.partition(".")
        if not variable:
            msg = f"OCPP 2.0.1 configuration keys are Component.Variable, got {key!r}"
            raise errors.InvalidCommand(msg)
    return v201.ComponentType(name=component), v201.VariableType(name=variable)


def _key(component: v201.ComponentType, variable: v201.VariableType) -> str:
    return f"{component.name}.{variable.name}"


def _v201_token(token: str, token_type: str) -> v201.IdTokenType:
    return v201.IdTokenType(id_token=token, type_=token_type)  # type: ignore[arg-type]


def _status(response: Any) -> StatusResult:
    return StatusResult(status=response.status, reason=_reason(getattr(response, "status_info", UNSET)))


def _remote_start_v16(req: RemoteStart) -> Outgoing:
    profile = _checked_profile(req.charging_profile, req.connector_id or 1, V16, remote_start=True)
    return "RemoteStartTransaction", v16.RemoteStartTransactionRequest(
        id_tag=req.id_token,
        connector_id=_opt(req.connector_id),
        charging_profile=UNSET if profile is None else smart_charging.to_v16(profile),
    )


def _remote_start_v201(req: RemoteStart) -> Outgoing:
    remote_start_id = req.remote_start_id if req.remote_start_id is not None else secrets.randbelow(2**31)
    profile = _checked_profile(req.charging_profile, req.connector_id or 1, "2.0.1", remote_start=True)
    return "RequestStartTransaction", v201.RequestStartTransactionRequest(
        id_token=_v201_token(req.id_token, req.id_token_type),
        evse_id=_opt(req.connector_id),
        remote_start_id=remote_start_id,
        charging_profile=UNSET if profile is None else smart_charging.to_v201(profile),
    )


def _remote_start_result_v201(resp: v201.RequestStartTransactionResponse) -> RemoteStartResult:
    return RemoteStartResult(
        status=resp.status, transaction_id=_unset_to_none(resp.transaction_id), reason=_reason(resp.status_info)
    )


def _trigger_v16(req: TriggerMessage) -> Outgoing:
    return "TriggerMessage", v16.TriggerMessageRequest(
        requested_message=req.message,  # type: ignore[arg-type]
        connector_id=_opt(req.connector_id),
    )


def _trigger_v201(req: TriggerMessage) -> Outgoing:
    message = {"DiagnosticsStatusNotification": "LogStatusNotification"}.get(req.message, req.message)
    evse = UNSET if req.connector_id in (None, 0) else v201.EVSEType(id_=req.connector_id)
    return "TriggerMessage", v201.TriggerMessageRequest(requested_message=message, evse=evse)  # type: ignore[arg-type]


def _availability_v201(req: ChangeAvailability) -> Outgoing:
    return "ChangeAvailability", v201.ChangeAvailabilityRequest(
        operational_status="Operative" if req.operational else "Inoperative",
        evse=UNSET if req.connector_id == 0 else v201.EVSEType(id_=req.connector_id),
    )


def _get_configuration_v201(req: GetConfiguration) -> Outgoing:
    if not req.keys:
        msg = "OCPP 2.0.1 has no 'all keys' query; name the Component.Variable keys (or use a base report)"
        raise errors.InvalidCommand(msg)
    data = []
    for key in req.keys:
        component, variable = _variable(key)
        data.append(v201.GetVariableDataType(component=component, variable=variable))
    return "GetVariables", v201.GetVariablesRequest(get_variable_data=data)


def _configuration_result_v16(resp: v16.GetConfigurationResponse) -> ConfigurationResult:
    values = tuple(
        ConfigurationValue(key=item.key, value=_unset_to_none(item.value), readonly=item.readonly)
        for item in _unset_to_none(resp.configuration_key) or ()
    )
    return ConfigurationResult(values=values, unknown_keys=tuple(_unset_to_none(resp.unknown_key) or ()))


def _configuration_result_v201(resp: v201.GetVariablesResponse) -> ConfigurationResult:
    values = []
    unknown = []
    for item in resp.get_variable_result:
        key = _key(item.component, item.variable)
        if item.attribute_status == "Accepted":
            values.append(ConfigurationValue(key=key, value=_unset_to_none(item.attribute_value)))
        else:
            unknown.append(key)
    return ConfigurationResult(values=tuple(values), unknown_keys=tuple(unknown))


def _change_configuration_v201(req: ChangeConfiguration) -> Outgoing:
    component, variable = _variable(req.key)
    return "SetVariables", v201.SetVariablesRequest(
        set_variable_data=[v201.SetVariableDataType(component=component, variable=variable, attribute_value=req.value)]
    )


def _change_configuration_result_v201(resp: v201.SetVariablesResponse) -> StatusResult:
    result = resp.set_variable_result[0]
    return StatusResult(status=result.attribute_status, reason=_reason(result.attribute_status_info))


def _diagnostics_v16(req: GetDiagnostics) -> Outgoing:
    return "GetDiagnostics", v16.GetDiagnosticsRequest(
        location=req.location,
        retries=_opt(req.retries),
        retry_interval=_opt(req.retry_interval),
        start_time=_opt(req.start_time),
        stop_time=_opt(req.stop_time),
    )


def _diagnostics_v201(req: GetDiagnostics) -> Outgoing:
    return "GetLog", v201.GetLogRequest(
        log=v201.LogParametersType(
            remote_location=req.location,
            oldest_timestamp=_opt(req.start_time),
            latest_timestamp=_opt(req.stop_time),
        ),
        log_type="DiagnosticsLog",
        request_id=req.request_id,
        retries=_opt(req.retries),
        retry_interval=_opt(req.retry_interval),
    )


def _firmware_v16(req: UpdateFirmware) -> Outgoing:
    if req.signing_certificate is not None and req.signature is not None:
        return dm.signed_update_firmware_v16(
            SignedUpdateFirmware(
                location=req.location,
                retrieve_date=req.retrieve_date,
                signing_certificate=req.signing_certificate,
                signature=req.signature,
                request_id=req.request_id,
                retries=req.retries,
                retry_interval=req.retry_interval,
            )
        )
    return "UpdateFirmware", v16.UpdateFirmwareRequest(
        location=req.location,
        retrieve_date=req.retrieve_date,
        retries=_opt(req.retries),
        retry_interval=_opt(req.retry_interval),
    )


def _firmware_v201(req: UpdateFirmware) -> Outgoing:
    return "UpdateFirmware", v201.UpdateFirmwareRequest(
        request_id=req.request_id,
        retries=_opt(req.retries),
        retry_interval=_opt(req.retry_interval),
        firmware=v201.FirmwareType(
            location=req.location,
            retrieve_date_time=req.retrieve_date,
            signing_certificate=_opt(req.signing_certificate),
            signature=_opt(req.signature),
        ),
    )


def _reserve_v16(req: ReserveNow) -> Outgoing:
    return "ReserveNow", v16.ReserveNowRequest(
        connector_id=req.connector_id,
        expiry_date=req.expiry_date,
        id_tag=req.id_token,
        parent_id_tag=_opt(req.parent_id_token),
        reservation_id=req.reservation_id,
    )


def _reserve_v201(req: ReserveNow) -> Outgoing:
    return "ReserveNow", v201.ReserveNowRequest(
        id_=req.reservation_id,
        expiry_date_time=req.expiry_date,
        id_token=_v201_token(req.id_token, req.id_token_type),
        evse_id=UNSET if req.connector_id == 0 else req.connector_id,
        group_id_token=UNSET if req.parent_id_token is None else _v201_token(req.parent_id_token, "Central"),
    )


def _checked_profile(
    profile: smart_charging.ChargingProfile | None,
    evse_id: int,
    ocpp_version: str,
    *,
    remote_start: bool = False,
    allowed_units: tuple[str, ...] | None = None,
) -> smart_charging.ChargingProfile | None:
    """``profile`` when it keeps the spec's rules for ``ocpp_version``; else InvalidCommand naming each field."""
    if profile is None:
        return None
    problems = smart_charging.profile_problems(
        profile, evse_id=evse_id, ocpp_version=ocpp_version, allowed_units=allowed_units, remote_start=remote_start
    )
    if problems:
        raise errors.InvalidCommand("; ".join(f"{p.field}: {p.message}" for p in problems))
    return profile


def _set_profile_v16(req: SetChargingProfile) -> Outgoing:
    _checked_profile(req.profile, req.evse_id, V16, allowed_units=req.allowed_units)
    return "SetChargingProfile", v16.SetChargingProfileRequest(
        connector_id=req.evse_id, cs_charging_profiles=smart_charging.to_v16(req.profile)
    )


def _set_profile_v201(req: SetChargingProfile) -> Outgoing:
    _checked_profile(req.profile, req.evse_id, "2.0.1", allowed_units=req.allowed_units)
    return "SetChargingProfile", v201.SetChargingProfileRequest(
        evse_id=req.evse_id, charging_profile=smart_charging.to_v201(req.profile)
    )


def _clear_profile_v16(req: ClearChargingProfile) -> Outgoing:
    purpose = req.purpose
    if purpose == "ChargingStationExternalConstraints":
        msg = "OCPP 1.6 has no ChargingStationExternalConstraints profiles"
        raise errors.InvalidCommand(msg)
    if purpose in smart_charging.STATION_MAX:
        purpose = "ChargePointMaxProfile"
    return "ClearChargingProfile", v16.ClearChargingProfileRequest(
        id_=_opt(req.profile_id),
        connector_id=_opt(req.evse_id),
        charging_profile_purpose=_opt(purpose),
        stack_level=_opt(req.stack_level),
    )


def _clear_profile_v201(req: ClearChargingProfile) -> Outgoing:
    if req.profile_id is not None:
        return "ClearChargingProfile", v201.ClearChargingProfileRequest(charging_profile_id=req.profile_id)
    criteria: v201.ClearChargingProfileType | msgspec.UnsetType = UNSET
    if (req.evse_id, req.purpose, req.stack_level) != (None, None, None):
        criteria = v201.ClearChargingProfileType(
            evse_id=_opt(req.evse_id),
            charging_profile_purpose=_opt(
                None if req.purpose is None else smart_charging.canonical_purpose(req.purpose)
            ),
            stack_level=_opt(req.stack_level),
        )
    return "ClearChargingProfile", v201.ClearChargingProfileRequest(charging_profile_criteria=criteria)


def _composite_v16(req: GetCompositeSchedule) -> Outgoing:
    return "GetCompositeSchedule", v16.GetCompositeScheduleRequest(
        connector_id=req.evse_id, duration=req.duration, charging_rate_unit=_opt(req.charging_rate_unit)
    )


def _composite_v201(req: GetCompositeSchedule) -> Outgoing:
    return "GetCompositeSchedule", v201.GetCompositeScheduleRequest(
        evse_id=req.evse_id, duration=req.duration, charging_rate_unit=_opt(req.charging_rate_unit)
    )


def _composite_result_v16(resp: v16.GetCompositeScheduleResponse) -> CompositeScheduleResult:
    schedule = _unset_to_none(resp.charging_schedule)
    if schedule is None:
        return CompositeScheduleResult(status=resp.status, evse_id=_unset_to_none(resp.connector_id))
    neutral = smart_charging.schedule_from_v16(schedule)
    return CompositeScheduleResult(
        status=resp.status,
        evse_id=_unset_to_none(resp.connector_id),
        schedule_start=_unset_to_none(resp.schedule_start) or neutral.start_schedule,
        duration=neutral.duration,
        charging_rate_unit=neutral.charging_rate_unit,
        periods=neutral.charging_schedule_period,
    )


def _composite_result_v201(resp: v201.GetCompositeScheduleResponse) -> CompositeScheduleResult:
    schedule = _unset_to_none(resp.schedule)
    if schedule is None:
        return CompositeScheduleResult(status=resp.status, reason=_reason(resp.status_info))
    return CompositeScheduleResult(
        status=resp.status,
        reason=_reason(resp.status_info),
        evse_id=schedule.evse_id,
        schedule_start=schedule.schedule_start,
        duration=schedule.duration,
        charging_rate_unit=schedule.charging_rate_unit,
        periods=smart_charging.periods_from_v201(schedule.charging_schedule_period),
    )


def _get_profiles_v16(_req: GetChargingProfiles) -> Outgoing:
    msg = "OCPP 1.6 has no GetChargingProfiles: a 1.6 charger cannot report its charging profiles"
    raise errors.InvalidCommand(msg)


def _get_profiles_v201(req: GetChargingProfiles) -> Outgoing:
    purpose = None if req.purpose is None else smart_charging.canonical_purpose(req.purpose)
    return "GetChargingProfiles", v201.GetChargingProfilesRequest(
        request_id=req.request_id,
        evse_id=_opt(req.evse_id),
        charging_profile=v201.ChargingProfileCriterionType(
            charging_profile_purpose=_opt(purpose),
            stack_level=_opt(req.stack_level),
            charging_profile_id=list(req.profile_ids) if req.profile_ids else UNSET,
            charging_limit_source=list(req.sources) if req.sources else UNSET,
        ),
    )


_NEWER_REFUSALS_V16 = {"NoCredit", "NotAllowedTypeEVSE", "NotAtThisLocation", "NotAtThisTime", "Unknown"}
# our token kinds -> 2.0.1 IdTokenEnumType
_V201_TOKEN_TYPES = {"RFID": "ISO14443", "APP_USER": "Central", "AD_HOC_USER": "Central", "OTHER": "Local"}


def _local_list_v16(req: SendLocalList) -> Outgoing:
    entries = [
        v16.LocalAuthorizationList(
            id_tag=entry.id_token,
            id_tag_info=UNSET
            if entry.status is None
            else v16.IdTagInfo(
                status="Invalid" if entry.status in _NEWER_REFUSALS_V16 else entry.status,  # type: ignore[arg-type]
                expiry_date=_opt(entry.expiry_date),
                parent_id_tag=_opt(entry.group_id),
            ),
        )
        for entry in req.entries
    ]
    return "SendLocalList", v16.SendLocalListRequest(
        list_version=req.version, update_type=req.update_type, local_authorization_list=entries or UNSET
    )


def _local_list_v201(req: SendLocalList) -> Outgoing:
    entries = [
        v201.AuthorizationData(
            id_token=_v201_token(entry.id_token, _V201_TOKEN_TYPES.get(entry.id_token_type, entry.id_token_type)),
            id_token_info=UNSET
            if entry.status is None
            else v201.IdTokenInfoType(
                status=entry.status,  # type: ignore[arg-type]
                cache_expiry_date_time=_opt(entry.expiry_date),
                group_id_token=UNSET if entry.group_id is None else _v201_token(entry.group_id, "Central"),
            ),
        )
        for entry in req.entries
    ]
    return "SendLocalList", v201.SendLocalListRequest(
        version_number=req.version, update_type=req.update_type, local_authorization_list=entries or UNSET
    )


def _ocpp_call(version: str) -> Callable[[OcppCall], Outgoing]:
    def translate(req: OcppCall) -> Outgoing:
        return req.action, ocpp_calls.checked_payload(version, req.action, req.payload)

    return translate


def _ocpp_call_result(response: Any) -> OcppCallResult:
    return OcppCallResult(
        action=type(response).__name__.removesuffix("Response"), payload=msgspec.Raw(_encoder.encode(response))
    )


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """One registry entry: how a command is phrased in each OCPP version and how its answer is read."""

    name: str
    request_type: type[Any]
    to_v16: Callable[[Any], Outgoing]
    from_v16: Callable[[Any], CommandResult]
    to_v201: Callable[[Any], Outgoing]
    from_v201: Callable[[Any], CommandResult]
    # A command of several messages runs itself on the charger's session instead of one translated Call.
    run: Callable[[dm.Caller, Any, float], Awaitable[CommandResult]] | None = None

    def translate(self, request: Any, ocpp_version: str) -> Outgoing:
        """The OCPP action and payload Struct for ``request`` in ``ocpp_version``."""
        return self.to_v16(request) if ocpp_version == V16 else self.to_v201(request)

    def read_result(self, response: Any, ocpp_version: str) -> CommandResult:
        return self.from_v16(response) if ocpp_version == V16 else self.from_v201(response)


COMMANDS: dict[str, CommandSpec] = {
    spec.name: spec
    for spec in (
        CommandSpec(
            "remote-start",
            RemoteStart,
            _remote_start_v16,
            lambda r: RemoteStartResult(status=r.status),
            _remote_start_v201,
            _remote_start_result_v201,
        ),
        CommandSpec(
            "remote-stop",
            RemoteStop,
            lambda q: (
                "RemoteStopTransaction",
                v16.RemoteStopTransactionRequest(transaction_id=_transaction_id_v16(q.transaction_id)),
            ),
            _status,
            lambda q: ("RequestStopTransaction", v201.RequestStopTransactionRequest(transaction_id=q.transaction_id)),
            _status,
        ),
        CommandSpec(
            "unlock",
            Unlock,
            lambda q: ("UnlockConnector", v16.UnlockConnectorRequest(connector_id=q.connector_id)),
            _status,
            lambda q: (
                "UnlockConnector",
                v201.UnlockConnectorRequest(evse_id=q.connector_id, connector_id=q.evse_connector_id),
            ),
            _status,
        ),
        CommandSpec(
            "reset",
            Reset,
            dm.reset_v16,
            _status,
            dm.reset_v201,
            _status,
        ),
        CommandSpec("trigger-message", TriggerMessage, _trigger_v16, _status, _trigger_v201, _status),
        CommandSpec(
            "change-availability",
            ChangeAvailability,
            lambda q: (
                "ChangeAvailability",
                v16.ChangeAvailabilityRequest(
                    connector_id=q.connector_id, type_="Operative" if q.operational else "Inoperative"
                ),
            ),
            _status,
            _availability_v201,
            _status,
        ),
        CommandSpec(
            "get-configuration",
            GetConfiguration,
            lambda q: ("GetConfiguration", v16.GetConfigurationRequest(key=list(q.keys) if q.keys else UNSET)),
            _configuration_result_v16,
            _get_configuration_v201,
            _configuration_result_v201,
        ),
        CommandSpec(
            "change-configuration",
            ChangeConfiguration,
            lambda q: ("ChangeConfiguration", v16.ChangeConfigurationRequest(key=q.key, value=q.value)),
            _status,
            _change_configuration_v201,
            _change_configuration_result_v201,
        ),
        CommandSpec(
            "get-diagnostics",
            GetDiagnostics,
            _diagnostics_v16,
            lambda r: DiagnosticsResult(status="Accepted", file_name=_unset_to_none(r.file_name)),
            _diagnostics_v201,
            lambda r: DiagnosticsResult(status=r.status, file_name=_unset_to_none(r.filename)),
        ),
        CommandSpec(
            "update-firmware",
            UpdateFirmware,
            _firmware_v16,
            lambda r: StatusResult(status=getattr(r, "status", "Accepted")),
            _firmware_v201,
            _status,
        ),
        CommandSpec("reserve-now", ReserveNow, _reserve_v16, _status, _reserve_v201, _status),
        CommandSpec(
            "cancel-reservation",
            CancelReservation,
            lambda q: ("CancelReservation", v16.CancelReservationRequest(reservation_id=q.reservation_id)),
            _status,
            lambda q: ("CancelReservation", v201.CancelReservationRequest(reservation_id=q.reservation_id)),
            _status,
        ),
        CommandSpec(
            "clear-cache",
            ClearCache,
            lambda _q: ("ClearCache", v16.ClearCacheRequest()),
            _status,
            lambda _q: ("ClearCache", v201.ClearCacheRequest()),
            _status,
        ),
        CommandSpec("set-charging-profile", SetChargingProfile, _set_profile_v16, _status, _set_profile_v201, _status),
        CommandSpec(
            "clear-charging-profile", ClearChargingProfile, _clear_profile_v16, _status, _clear_profile_v201, _status
        ),
        CommandSpec(
            "get-composite-schedule",
            GetCompositeSchedule,
            _composite_v16,
            _composite_result_v16,
            _composite_v201,
            _composite_result_v201,
        ),
        CommandSpec(
            "get-charging-profiles", GetChargingProfiles, _get_profiles_v16, _status, _get_profiles_v201, _status
        ),
        CommandSpec(
            "install-certificate",
            InstallCertificate,
            certificates.install_v16,
            _status,
            certificates.install_v201,
            _status,
        ),
        CommandSpec(
            "get-installed-certificate-ids",
            GetInstalledCertificateIds,
            certificates.installed_ids_v16,
            certificates.installed_ids_result_v16,
            certificates.installed_ids_v201,
            certificates.installed_ids_result_v201,
        ),
        CommandSpec(
            "delete-certificate",
            DeleteCertificate,
            certificates.delete_v16,
            _status,
            certificates.delete_v201,
            _status,
        ),
        CommandSpec(
            "certificate-signed",
            CertificateSigned,
            certificates.certificate_signed_v16,
            _status,
            certificates.certificate_signed_v201,
            _status,
        ),
        # -- device model, monitoring, logs, customer information, display messages, firmware publishing --
        CommandSpec(
            "get-base-report", GetBaseReport, dm.only_v201("GetBaseReport"), _status, dm.get_base_report_v201, _status
        ),
        CommandSpec("get-report", GetReport, dm.only_v201("GetReport"), _status, dm.get_report_v201, _status),
        CommandSpec(
            "get-variables",
            GetVariables,
            dm.only_v201("GetVariables"),
            _status,
            lambda q: ("GetVariables", dm.get_variables_payload(q.variables)),
            lambda r: VariablesResult(variables=tuple(dm.get_variables_outcomes(r))),
            run=dm.run_get_variables,
        ),
        CommandSpec(
            "set-variables",
            SetVariables,
            dm.only_v201("SetVariables"),
            _status,
            lambda q: ("SetVariables", dm.set_variables_payload(q.variables)),
            lambda r: VariablesResult(variables=tuple(dm.set_variables_outcomes(r, ()))),
            run=dm.run_set_variables,
        ),
        CommandSpec(
            "set-network-profile",
            SetNetworkProfile,
            dm.only_v201("SetNetworkProfile"),
            _status,
            dm.set_network_profile_v201,
            _status,
        ),
        CommandSpec(
            "get-transaction-status",
            GetTransactionStatus,
            dm.only_v201("GetTransactionStatus"),
            _status,
            lambda q: (
                "GetTransactionStatus",
                v201.GetTransactionStatusRequest(transaction_id=_opt(q.transaction_id)),
            ),
            lambda r: TransactionStatusResult(
                messages_in_queue=r.messages_in_queue, ongoing_indicator=_unset_to_none(r.ongoing_indicator)
            ),
        ),
        CommandSpec(
            "set-variable-monitoring",
            SetVariableMonitoring,
            dm.only_v201("SetVariableMonitoring"),
            _status,
            dm.set_monitoring_v201,
            dm.set_monitoring_result,
        ),
        CommandSpec(
            "clear-variable-monitoring",
            ClearVariableMonitoring,
            dm.only_v201("ClearVariableMonitoring"),
            _status,
            lambda q: ("ClearVariableMonitoring", v201.ClearVariableMonitoringRequest(id_=list(q.monitor_ids))),
            dm.clear_monitoring_result,
        ),
        CommandSpec(
            "set-monitoring-base",
            SetMonitoringBase,
            dm.only_v201("SetMonitoringBase"),
            _status,
            lambda q: ("SetMonitoringBase", v201.SetMonitoringBaseRequest(monitoring_base=q.monitoring_base)),
            _status,
        ),
        CommandSpec(
            "set-monitoring-level",
            SetMonitoringLevel,
            dm.only_v201("SetMonitoringLevel"),
            _status,
            lambda q: ("SetMonitoringLevel", v201.SetMonitoringLevelRequest(severity=q.severity)),
            _status,
        ),
        CommandSpec(
            "get-monitoring-report",
            GetMonitoringReport,
            dm.only_v201("GetMonitoringReport"),
            _status,
            dm.get_monitoring_report_v201,
            _status,
        ),
        CommandSpec(
            "get-log",
            GetLog,
            dm.get_log_v16,
            lambda r: DiagnosticsResult(status=r.status, file_name=_unset_to_none(r.filename)),
            dm.get_log_v201,
            lambda r: DiagnosticsResult(status=r.status, file_name=_unset_to_none(r.filename)),
        ),
        CommandSpec(
            "customer-information",
            CustomerInformation,
            dm.only_v201("CustomerInformation"),
            _status,
            dm.customer_information_v201,
            _status,
        ),
        CommandSpec(
            "set-display-message",
            SetDisplayMessage,
            dm.only_v201("SetDisplayMessage"),
            _status,
            dm.set_display_message_v201,
            _status,
        ),
        CommandSpec(
            "get-display-messages",
            GetDisplayMessages,
            dm.only_v201("GetDisplayMessages"),
            _status,
            dm.get_display_messages_v201,
            _status,
        ),
        CommandSpec(
            "clear-display-message",
            ClearDisplayMessage,
            dm.only_v201("ClearDisplayMessage"),
            _status,
            lambda q: ("ClearDisplayMessage", v201.ClearDisplayMessageRequest(id_=q.message_id)),
            _status,
        ),
        CommandSpec(
            "publish-firmware",
            PublishFirmware,
            dm.only_v201("PublishFirmware"),
            _status,
            lambda q: (
                "PublishFirmware",
                v201.PublishFirmwareRequest(
                    location=q.location,
                    checksum=q.checksum,
                    request_id=q.request_id,
                    retries=_opt(q.retries),
                    retry_interval=_opt(q.retry_interval),
                ),
            ),
            _status,
        ),
        CommandSpec(
            "unpublish-firmware",
            UnpublishFirmware,
            dm.only_v201("UnpublishFirmware"),
            _status,
            lambda q: ("UnpublishFirmware", v201.UnpublishFirmwareRequest(checksum=q.checksum)),
            _status,
        ),
        CommandSpec(
            "signed-update-firmware",
            SignedUpdateFirmware,
            dm.signed_update_firmware_v16,
            _status,
            dm.signed_update_firmware_v201,
            _status,
        ),
        CommandSpec(
            "extended-trigger-message",
            ExtendedTriggerMessage,
            dm.extended_trigger_v16,
            _status,
            dm.extended_trigger_v201,
            _status,
        ),
        CommandSpec("send-local-list", SendLocalList, _local_list_v16, _status, _local_list_v201, _status),
        CommandSpec(
            "get-local-list-version",
            GetLocalListVersion,
            lambda _q: ("GetLocalListVersion", v16.GetLocalListVersionRequest()),
            lambda r: ListVersionResult(version=r.list_version),
            lambda _q: ("GetLocalListVersion", v201.GetLocalListVersionRequest()),
            lambda r: ListVersionResult(version=r.version_number),
        ),
        CommandSpec("ocpp-call", OcppCall, _ocpp_call(V16), _ocpp_call_result, _ocpp_call(V201), _ocpp_call_result),
    )
}

_BY_TYPE: dict[type[Any], CommandSpec] = {spec.request_type: spec for spec in COMMANDS.values()}
_request_decoder = msgspec.json.Decoder(CommandRequest)
_result_decoder = msgspec.json.Decoder(CommandResult)
_encoder = msgspec.json.Encoder()


def spec_for(request: CommandRequest) -> CommandSpec:
    return _BY_TYPE[type(request)]


def command_name(request: object) -> str:
    """The registry name of a command request (``unknown`` for anything else), e.g. for a metrics label."""
    spec = _BY_TYPE.get(type(request))
    return "unknown" if spec is None else spec.name


def command_names() -> list[str]:
    return list(COMMANDS)


def request_from_arguments(name: str, arguments: bytes | str) -> CommandRequest:
    """Build the request of command ``name`` from a JSON object of its arguments (an admin API body)."""
    spec = COMMANDS.get(name)
    if spec is None:
        msg = f"unknown command {name!r}; known: {', '.join(COMMANDS)}"
        raise errors.UnknownCommand(msg)
    try:
        request: CommandRequest = msgspec.json.decode(arguments or b"{}", type=spec.request_type)
    except msgspec.DecodeError as exc:
        raise errors.InvalidCommand(str(exc)) from None
    return request


def encode_request(request: CommandRequest) -> bytes:
    """JSON with a ``command`` tag, for carrying a request to another process."""
    return _encoder.encode(request)


def decode_request(data: bytes | str) -> CommandRequest:
    try:
        request: CommandRequest = _request_decoder.decode(data)
    except msgspec.DecodeError as exc:
        raise errors.InvalidCommand(str(exc)) from None
    return request


def encode_result(result: CommandResult) -> bytes:
    return _encoder.encode(result)


def decode_result(data: bytes | str) -> CommandResult:
    try:
        result: CommandResult = _result_decoder.decode(data)
    except msgspec.DecodeError as exc:
        raise errors.InvalidCommandResult(str(exc)) from None
    return result


__all__ = [
    "COMMANDS",
    "CancelReservation",
    "CertificateSigned",
    "ChangeAvailability",
    "ChangeConfiguration",
    "ClearCache",
    "ClearChargingProfile",
    "ClearDisplayMessage",
    "ClearVariableMonitoring",
    "CommandRequest",
    "CommandResult",
    "CommandSpec",
    "CompositeScheduleResult",
    "ConfigurationResult",
    "ConfigurationValue",
    "CustomerInformation",
    "DeleteCertificate",
    "DiagnosticsResult",
    "ExtendedTriggerMessage",
    "GetBaseReport",
    "GetChargingProfiles",
    "GetCompositeSchedule",
    "GetConfiguration",
    "GetDiagnostics",
    "GetDisplayMessages",
    "GetInstalledCertificateIds",
    "GetLocalListVersion",
    "GetLog",
    "GetMonitoringReport",
    "GetReport",
    "GetTransactionStatus",
    "GetVariables",
    "InstallCertificate",
    "InstalledCertificate",
    "InstalledCertificatesResult",
    "JournalResult",
    "ListVersionResult",
    "LocalListEntry",
    "MonitoringResult",
    "OcppCall",
    "OcppCallResult",
    "PublishFirmware",
    "ReadJournal",
    "RemoteStart",
    "RemoteStartResult",
    "RemoteStop",
    "ReserveNow",
    "Reset",
    "SendLocalList",
    "SetChargingProfile",
    "SetDisplayMessage",
    "SetMonitoringBase",
    "SetMonitoringLevel",
    "SetNetworkProfile",
    "SetVariableMonitoring",
    "SetVariables",
    "SignedUpdateFirmware",
    "StatusResult",
    "TransactionStatusResult",
    "TriggerMessage",
    "Unlock",
    "UnpublishFirmware",
    "UpdateFirmware",
    "VariablesResult",
    "command_name",
    "command_names",
    "decode_request",
    "decode_result",
    "encode_request",
    "encode_result",
    "request_from_arguments",
    "spec_for",
]
