"""Command registry: version-neutral requests to chargers, their translation to each OCPP version, typed results.

The registry names are stable: the admin API exposes them as ``POST /v1/admin/chargers/{id}/commands/{name}``
and the relay between processes carries them (``encode_request`` / ``decode_request``).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import msgspec
from msgspec import UNSET

from ocpp_bridge import errors, ocpp_calls
from ocpp_bridge.errors import V16, V201
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


class RemoteStop(_Request, frozen=True, kw_only=True, tag="remote-stop"):
    transaction_id: str


class Unlock(_Request, frozen=True, kw_only=True, tag="unlock"):
    connector_id: int
    evse_connector_id: int = 1


class Reset(_Request, frozen=True, kw_only=True, tag="reset"):
    """Soft waits for transactions to end (2.0.1 OnIdle); Hard resets now (2.0.1 Immediate)."""

    kind: Literal["Soft", "Hard"] = "Soft"


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


class OcppCall(_Request, frozen=True, kw_only=True, tag="ocpp-call"):
    """Any message a central system sends, by its OCPP action name, with the payload of the charger's version."""

    action: str
    payload: msgspec.Raw = msgspec.Raw(b"{}")


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
    | OcppCall
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


class OcppCallResult(_Result, frozen=True, kw_only=True, tag="ocpp-call"):
    """The charger's CallResult payload as it sent it (validated against the response schema)."""

    action: str
    payload: msgspec.Raw


CommandResult = StatusResult | RemoteStartResult | ConfigurationResult | DiagnosticsResult | OcppCallResult

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
    return "RemoteStartTransaction", v16.RemoteStartTransactionRequest(
        id_tag=req.id_token, connector_id=_opt(req.connector_id)
    )


def _remote_start_v201(req: RemoteStart) -> Outgoing:
    remote_start_id = req.remote_start_id if req.remote_start_id is not None else secrets.randbelow(2**31)
    return "RequestStartTransaction", v201.RequestStartTransactionRequest(
        id_token=_v201_token(req.id_token, req.id_token_type),
        evse_id=_opt(req.connector_id),
        remote_start_id=remote_start_id,
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
            lambda q: ("Reset", v16.ResetRequest(type_=q.kind)),
            _status,
            lambda q: ("Reset", v201.ResetRequest(type_="Immediate" if q.kind == "Hard" else "OnIdle")),
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
            lambda _r: StatusResult(status="Accepted"),
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
    "ChangeAvailability",
    "ChangeConfiguration",
    "ClearCache",
    "CommandRequest",
    "CommandResult",
    "CommandSpec",
    "ConfigurationResult",
    "ConfigurationValue",
    "DiagnosticsResult",
    "GetConfiguration",
    "GetDiagnostics",
    "OcppCall",
    "OcppCallResult",
    "RemoteStart",
    "RemoteStartResult",
    "RemoteStop",
    "ReserveNow",
    "Reset",
    "StatusResult",
    "TriggerMessage",
    "Unlock",
    "UpdateFirmware",
    "command_name",
    "command_names",
    "decode_request",
    "decode_result",
    "encode_request",
    "encode_result",
    "request_from_arguments",
    "spec_for",
]
