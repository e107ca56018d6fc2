"""The OCPP 2.0.1 device model, monitoring, logs, customer information, display messages and firmware publishing as
registry commands: the values those commands carry, their translation to each OCPP version, and the splitting of
GetVariables / SetVariables into as many messages as the charger's ``DeviceDataCtrlr`` limits allow."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar

import msgspec
from msgspec import UNSET

from ocpp_bridge import codec, errors
from ocpp_bridge.v16 import messages as v16
from ocpp_bridge.v201 import messages as v201

if TYPE_CHECKING:
    from ocpp_bridge import commands

# The frame around a payload: [2,"<36-character message id>","<action>",...]; the action is added per message.
_FRAME_OVERHEAD = 48

AttributeType = Literal["Actual", "Target", "MinSet", "MaxSet"]


class ComponentVariable(msgspec.Struct, frozen=True, kw_only=True):
    """A variable of a component (EVSE- or connector-level when ``evse_id`` / ``connector_id`` are set)."""

    component: str
    variable: str | None = None
    component_instance: str | None = None
    variable_instance: str | None = None
    evse_id: int | None = None
    connector_id: int | None = None
    attribute_type: AttributeType | None = None


class VariableSetting(ComponentVariable, frozen=True, kw_only=True):
    value: str


class VariableOutcome(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """The charger's answer for one variable of a GetVariables / SetVariables request."""

    component: str
    variable: str
    status: str
    value: str | None = None
    attribute_type: str | None = None
    component_instance: str | None = None
    variable_instance: str | None = None
    evse_id: int | None = None
    connector_id: int | None = None
    reason: str | None = None


class MonitorSetting(msgspec.Struct, frozen=True, kw_only=True):
    """A monitor to set on a variable: ``kind`` is the 2.0.1 MonitorEnumType (UpperThreshold, Delta, ...)."""

    component: str
    variable: str
    kind: Literal["UpperThreshold", "LowerThreshold", "Delta", "Periodic", "PeriodicClockAligned"]
    value: float
    severity: int = 5
    monitor_id: int | None = None
    transaction: bool | None = None
    component_instance: str | None = None
    variable_instance: str | None = None
    evse_id: int | None = None
    connector_id: int | None = None


class MonitorOutcome(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    monitor_id: int | None
    status: str
    component: str | None = None
    variable: str | None = None
    kind: str | None = None
    severity: int | None = None
    reason: str | None = None


class NetworkProfile(msgspec.Struct, frozen=True, kw_only=True):
    """A 2.0.1 NetworkConnectionProfileType (without APN / VPN)."""

    ocpp_csms_url: str
    security_profile: int
    ocpp_version: Literal["OCPP12", "OCPP15", "OCPP16", "OCPP20"] = "OCPP20"
    ocpp_transport: Literal["JSON", "SOAP"] = "JSON"
    message_timeout: int = 30
    ocpp_interface: Literal[
        "Wired0", "Wired1", "Wired2", "Wired3", "Wireless0", "Wireless1", "Wireless2", "Wireless3"
    ] = "Wired0"


class CustomerCertificate(msgspec.Struct, frozen=True, kw_only=True):
    hash_algorithm: Literal["SHA256", "SHA384", "SHA512"]
    issuer_name_hash: str
    issuer_key_hash: str
    serial_number: str


# -- the 2.0.1 shapes ------------------------------------------------------------------------------------------


def _opt(value: Any) -> Any:
    return UNSET if value is None else value


def _none(value: Any) -> Any:
    return None if value is UNSET else value


def _reason(status_info: v201.StatusInfoType | msgspec.UnsetType) -> str | None:
    return None if isinstance(status_info, msgspec.UnsetType) else status_info.reason_code


def component_type(
    name: str, instance: str | None = None, evse_id: int | None = None, connector_id: int | None = None
) -> v201.ComponentType:
    evse = UNSET if evse_id is None else v201.EVSEType(id_=evse_id, connector_id=_opt(connector_id))
    return v201.ComponentType(name=name, instance=_opt(instance), evse=evse)


def _component(item: ComponentVariable | MonitorSetting) -> v201.ComponentType:
    return component_type(item.component, item.component_instance, item.evse_id, item.connector_id)


def _variable(item: ComponentVariable | MonitorSetting) -> v201.VariableType:
    if item.variable is None:
        msg = f"a variable of component {item.component!r} is needed"
        raise errors.InvalidCommand(msg)
    return v201.VariableType(name=item.variable, instance=_opt(item.variable_instance))


def _component_variables(items: Sequence[ComponentVariable]) -> Any:
    if not items:
        return UNSET
    return [
        v201.ComponentVariableType(
            component=_component(item),
            variable=UNSET if item.variable is None else _variable(item),
        )
        for item in items
    ]


def _outcome(
    component: v201.ComponentType,
    variable: v201.VariableType,
    status: str,
    value: str | None,
    attribute_type: str | None,
    reason: str | None,
) -> VariableOutcome:
    evse = _none(component.evse)
    return VariableOutcome(
        component=component.name,
        variable=variable.name,
        status=status,
        value=value,
        attribute_type=attribute_type,
        component_instance=_none(component.instance),
        variable_instance=_none(variable.instance),
        evse_id=None if evse is None else evse.id_,
        connector_id=None if evse is None else _none(evse.connector_id),
        reason=reason,
    )


def only_v201(name: str) -> Callable[[Any], Any]:
    def refuse(_request: Any) -> Any:
        msg = f"{name} is an OCPP 2.0.1 message; this charger speaks OCPP 1.6"
        raise errors.InvalidCommand(msg)

    return refuse


def get_base_report_v201(req: commands.GetBaseReport) -> tuple[str, msgspec.Struct]:
    return "GetBaseReport", v201.GetBaseReportRequest(request_id=req.request_id, report_base=req.report_base)


def get_report_v201(req: commands.GetReport) -> tuple[str, msgspec.Struct]:
    return "GetReport", v201.GetReportRequest(
        request_id=req.request_id,
        component_variable=_component_variables(req.component_variables),
        component_criteria=list(req.component_criteria) if req.component_criteria else UNSET,
    )


def get_variables_payload(items: Sequence[ComponentVariable]) -> v201.GetVariablesRequest:
    return v201.GetVariablesRequest(
        get_variable_data=[
            v201.GetVariableDataType(
                component=_component(item), variable=_variable(item), attribute_type=_opt(item.attribute_type)
            )
            for item in items
        ]
    )


def set_variables_payload(items: Sequence[VariableSetting]) -> v201.SetVariablesRequest:
    """The one place a SetVariables payload is built (a password change can be recognised here)."""
    return v201.SetVariablesRequest(
        set_variable_data=[
            v201.SetVariableDataType(
                component=_component(item),
                variable=_variable(item),
                attribute_type=_opt(item.attribute_type),
                attribute_value=item.value,
            )
            for item in items
        ]
    )


def get_variables_outcomes(resp: v201.GetVariablesResponse) -> list[VariableOutcome]:
    return [
        _outcome(
            r.component,
            r.variable,
            r.attribute_status,
            _none(r.attribute_value),
            _none(r.attribute_type),
            _reason(r.attribute_status_info),
        )
        for r in resp.get_variable_result
    ]


def set_variables_outcomes(resp: v201.SetVariablesResponse, sent: Sequence[VariableSetting]) -> list[VariableOutcome]:
    values = {(s.component, s.variable, s.component_instance, s.variable_instance, s.evse_id): s.value for s in sent}
    outcomes = []
    for r in resp.set_variable_result:
        outcome = _outcome(
            r.component, r.variable, r.attribute_status, None, _none(r.attribute_type), _reason(r.attribute_status_info)
        )
        key = (outcome.component, outcome.variable, outcome.component_instance, outcome.variable_instance)
        value = values.get((*key, outcome.evse_id))
        outcomes.append(msgspec.structs.replace(outcome, value=value))
    return outcomes


T = TypeVar("T")


def split(
    items: Sequence[T],
    build: Callable[[Sequence[T]], msgspec.Struct],
    action: str,
    items_per_message: int | None,
    bytes_per_message: int | None,
) -> list[list[T]]:
    """``items`` in order, in groups whose Call fits both limits (an item too large on its own travels alone)."""
    per_message = max(1, items_per_message) if items_per_message else len(items) or 1
    groups: list[list[T]] = []
    current: list[T] = []
    for item in items:
        candidate = [*current, item]
        too_many = len(candidate) > per_message
        too_big = (
            bytes_per_message is not None
            and len(current) > 0
            and len(codec.encode(build(candidate))) + _FRAME_OVERHEAD + len(action) > bytes_per_message
        )
        if too_many or too_big:
            groups.append(current)
            current = [item]
        else:
            current = candidate
    if current:
        groups.append(current)
    return groups


class Caller(Protocol):
    """What a multi-message command needs of a charger's session."""

    @property
    def ocpp_version(self) -> str: ...

    async def call(
        self, action: str, payload: msgspec.Struct, response_type: type[msgspec.Struct], reply_timeout: float
    ) -> Any: ...


def checked(payload: msgspec.Struct, action: str) -> msgspec.Struct:
    """``payload`` after the same schema check a single-message command gets."""
    try:
        codec.decode_payload(codec.encode(payload), type(payload))
    except errors.OcppCallError as exc:
        msg = f"{action} cannot be sent: {exc.description}"
        raise errors.InvalidCommand(msg) from None
    return payload


async def message_limits(caller: Caller, action: str, reply_timeout: float) -> tuple[int | None, int | None]:
    """``DeviceDataCtrlr.ItemsPerMessage`` and ``BytesPerMessage`` for ``action`` (GetVariables / SetVariables), asked
    of the charger; None for a limit it does not report."""
    request = get_variables_payload(
        [
            ComponentVariable(component="DeviceDataCtrlr", variable=name, variable_instance=action)
            for name in ("ItemsPerMessage", "BytesPerMessage")
        ]
    )
    response = await caller.call("GetVariables", request, v201.GetVariablesResponse, reply_timeout)
    limits: dict[str, int | None] = {"ItemsPerMessage": None, "BytesPerMessage": None}
    for result in response.get_variable_result:
        value = _none(result.attribute_value)
        if result.attribute_status == "Accepted" and value is not None and value.strip().isdigit():
            limits[result.variable.name] = int(value)
    return limits["ItemsPerMessage"], limits["BytesPerMessage"]


async def _limits(
    caller: Caller, action: str, given: tuple[int | None, int | None], reply_timeout: float
) -> tuple[int | None, int | None]:
    if given[0] is not None or given[1] is not None:
        return given
    return await message_limits(caller, action, reply_timeout)


async def run_get_variables(
    caller: Caller, req: commands.GetVariables, reply_timeout: float
) -> commands.VariablesResult:
    """GetVariables in as many messages as the charger takes, results merged in the order asked."""
    return await _run_split(
        caller,
        "GetVariables",
        req,
        get_variables_payload,
        v201.GetVariablesResponse,
        lambda response, _group: get_variables_outcomes(response),
        reply_timeout,
    )


async def run_set_variables(
    caller: Caller, req: commands.SetVariables, reply_timeout: float
) -> commands.VariablesResult:
    """SetVariables in as many messages as the charger takes, results merged in the order sent."""
    return await _run_split(
        caller,
        "SetVariables",
        req,
        set_variables_payload,
        v201.SetVariablesResponse,
        set_variables_outcomes,
        reply_timeout,
    )


async def _run_split(
    caller: Caller,
    action: str,
    req: commands.GetVariables | commands.SetVariables,
    payload: Callable[[Any], msgspec.Struct],
    response_type: type[Any],
    outcomes_of: Callable[[Any, Any], list[VariableOutcome]],
    reply_timeout: float,
) -> commands.VariablesResult:
    from ocpp_bridge.commands import VariablesResult

    if caller.ocpp_version != "2.0.1":
        only_v201(action)(req)
    items = list(req.variables)
    if not items:
        raise errors.InvalidCommand("name at least one variable")
    limits = await _limits(caller, action, (req.items_per_message, req.bytes_per_message), reply_timeout)
    outcomes: list[VariableOutcome] = []
    groups = split(items, payload, action, *limits)
    for group in groups:
        response = await caller.call(action, checked(payload(group), action), response_type, reply_timeout)
        outcomes.extend(outcomes_of(response, group))
    return VariablesResult(variables=tuple(outcomes), messages=len(groups))


def set_network_profile_v201(req: commands.SetNetworkProfile) -> tuple[str, msgspec.Struct]:
    profile = req.connection_data
    return "SetNetworkProfile", v201.SetNetworkProfileRequest(
        configuration_slot=req.configuration_slot,
        connection_data=v201.NetworkConnectionProfileType(
            ocpp_version=profile.ocpp_version,
            ocpp_transport=profile.ocpp_transport,
            ocpp_csms_url=profile.ocpp_csms_url,
            message_timeout=profile.message_timeout,
            security_profile=profile.security_profile,
            ocpp_interface=profile.ocpp_interface,
        ),
    )


def reset_v16(req: commands.Reset) -> tuple[str, msgspec.Struct]:
    if req.evse_id is not None:
        raise errors.InvalidCommand("OCPP 1.6 resets the whole charger; an EVSE cannot be reset on its own")
    return "Reset", v16.ResetRequest(type_=req.kind)


def reset_v201(req: commands.Reset) -> tuple[str, msgspec.Struct]:
    return "Reset", v201.ResetRequest(type_="Immediate" if req.kind == "Hard" else "OnIdle", evse_id=_opt(req.evse_id))


def set_monitoring_v201(req: commands.SetVariableMonitoring) -> tuple[str, msgspec.Struct]:
    if not req.monitors:
        raise errors.InvalidCommand("name at least one monitor")
    return "SetVariableMonitoring", v201.SetVariableMonitoringRequest(
        set_monitoring_data=[
            v201.SetMonitoringDataType(
                id_=_opt(item.monitor_id),
                transaction=_opt(item.transaction),
                value=item.value,
                type_=item.kind,
                severity=item.severity,
                component=_component(item),
                variable=_variable(item),
            )
            for item in req.monitors
        ]
    )


def set_monitoring_result(resp: v201.SetVariableMonitoringResponse) -> commands.MonitoringResult:
    from ocpp_bridge.commands import MonitoringResult

    return MonitoringResult(
        monitors=tuple(
            MonitorOutcome(
                monitor_id=_none(r.id_),
                status=r.status,
                component=r.component.name,
                variable=r.variable.name,
                kind=r.type_,
                severity=r.severity,
                reason=_reason(r.status_info),
            )
            for r in resp.set_monitoring_result
        )
    )


def clear_monitoring_result(resp: v201.ClearVariableMonitoringResponse) -> commands.MonitoringResult:
    from ocpp_bridge.commands import MonitoringResult

    return MonitoringResult(
        monitors=tuple(
            MonitorOutcome(monitor_id=r.id_, status=r.status, reason=_reason(r.status_info))
            for r in resp.clear_monitoring_result
        )
    )


def get_monitoring_report_v201(req: commands.GetMonitoringReport) -> tuple[str, msgspec.Struct]:
    return "GetMonitoringReport", v201.GetMonitoringReportRequest(
        request_id=req.request_id,
        component_variable=_component_variables(req.component_variables),
        monitoring_criteria=list(req.monitoring_criteria) if req.monitoring_criteria else UNSET,
    )


def _log_window(oldest: datetime | None, latest: datetime | None) -> tuple[Any, Any]:
    return _opt(oldest), _opt(latest)


def get_log_v16(req: commands.GetLog) -> tuple[str, msgspec.Struct]:
    oldest, latest = _log_window(req.oldest_timestamp, req.latest_timestamp)
    return "GetLog", v16.GetLogRequest(
        log=v16.LogParametersType(
            remote_location=req.remote_location, oldest_timestamp=oldest, latest_timestamp=latest
        ),
        log_type=req.log_type,
        request_id=req.request_id,
        retries=_opt(req.retries),
        retry_interval=_opt(req.retry_interval),
    )


def get_log_v201(req: commands.GetLog) -> tuple[str, msgspec.Struct]:
    oldest, latest = _log_window(req.oldest_timestamp, req.latest_timestamp)
    return "GetLog", v201.GetLogRequest(
        log=v201.LogParametersType(
            remote_location=req.remote_location, oldest_timestamp=oldest, latest_timestamp=latest
        ),
        log_type=req.log_type,
        request_id=req.request_id,
        retries=_opt(req.retries),
        retry_interval=_opt(req.retry_interval),
    )


def customer_information_v201(req: commands.CustomerInformation) -> tuple[str, msgspec.Struct]:
    if not req.report and not req.clear:
        raise errors.InvalidCommand("ask for a report, a clear, or both")
    certificate = req.customer_certificate
    return "CustomerInformation", v201.CustomerInformationRequest(
        request_id=req.request_id,
        report=req.report,
        clear=req.clear,
        customer_identifier=_opt(req.customer_identifier),
        id_token=UNSET if req.id_token is None else v201.IdTokenType(id_token=req.id_token, type_=req.id_token_type),  # type: ignore[arg-type]
        customer_certificate=UNSET
        if certificate is None
        else v201.CertificateHashDataType(
            hash_algorithm=certificate.hash_algorithm,
            issuer_name_hash=certificate.issuer_name_hash,
            issuer_key_hash=certificate.issuer_key_hash,
            serial_number=certificate.serial_number,
        ),
    )


def set_display_message_v201(req: commands.SetDisplayMessage) -> tuple[str, msgspec.Struct]:
    return "SetDisplayMessage", v201.SetDisplayMessageRequest(
        message=v201.MessageInfoType(
            id_=req.message_id,
            priority=req.priority,
            state=_opt(req.state),
            start_date_time=_opt(req.start_date_time),
            end_date_time=_opt(req.end_date_time),
            transaction_id=_opt(req.transaction_id),
            message=v201.MessageContentType(format_=req.format, language=_opt(req.language), content=req.content),
            display=UNSET if req.evse_id is None else component_type("Display", evse_id=req.evse_id),
        )
    )


def get_display_messages_v201(req: commands.GetDisplayMessages) -> tuple[str, msgspec.Struct]:
    return "GetDisplayMessages", v201.GetDisplayMessagesRequest(
        request_id=req.request_id,
        id_=list(req.message_ids) if req.message_ids else UNSET,
        priority=_opt(req.priority),
        state=_opt(req.state),
    )


def signed_update_firmware_v16(req: commands.SignedUpdateFirmware) -> tuple[str, msgspec.Struct]:
    return "SignedUpdateFirmware", v16.SignedUpdateFirmwareRequest(
        request_id=req.request_id,
        retries=_opt(req.retries),
        retry_interval=_opt(req.retry_interval),
        firmware=v16.FirmwareType(
            location=req.location,
            retrieve_date_time=req.retrieve_date,
            install_date_time=_opt(req.install_date),
            signing_certificate=req.signing_certificate,
            signature=req.signature,
        ),
    )


def signed_update_firmware_v201(req: commands.SignedUpdateFirmware) -> tuple[str, msgspec.Struct]:
    return "UpdateFirmware", v201.UpdateFirmwareRequest(
        request_id=req.request_id,
        retries=_opt(req.retries),
        retry_interval=_opt(req.retry_interval),
        firmware=v201.FirmwareType(
            location=req.location,
            retrieve_date_time=req.retrieve_date,
            install_date_time=_opt(req.install_date),
            signing_certificate=req.signing_certificate,
            signature=req.signature,
        ),
    )


# 1.6 ExtendedTriggerMessage names -> 2.0.1 TriggerMessage names
_V201_TRIGGERS = {"SignChargePointCertificate": "SignChargingStationCertificate"}


def extended_trigger_v16(req: commands.ExtendedTriggerMessage) -> tuple[str, msgspec.Struct]:
    return "ExtendedTriggerMessage", v16.ExtendedTriggerMessageRequest(
        requested_message=req.message,  # type: ignore[arg-type]
        connector_id=_opt(req.connector_id),
    )


def extended_trigger_v201(req: commands.ExtendedTriggerMessage) -> tuple[str, msgspec.Struct]:
    message = _V201_TRIGGERS.get(req.message, req.message)
    evse = UNSET if req.connector_id in (None, 0) else v201.EVSEType(id_=req.connector_id)
    return "TriggerMessage", v201.TriggerMessageRequest(requested_message=message, evse=evse)  # type: ignore[arg-type]
