"""Any central-system-to-charger message by its OCPP action name, with its payload checked against the official
schema of the charger's version before it is sent: the generic path beside the named commands of the registry."""

from __future__ import annotations

from typing import Any, Final

import msgspec

from ocpp_bridge import codec, errors
from ocpp_bridge.errors import V16, V201

# The actions a central system sends, per version (1.6 with the Security Whitepaper extensions).
CSMS_ACTIONS: Final[dict[str, tuple[str, ...]]] = {
    V16: (
        "CancelReservation",
        "CertificateSigned",
        "ChangeAvailability",
        "ChangeConfiguration",
        "ClearCache",
        "ClearChargingProfile",
        "DataTransfer",
        "DeleteCertificate",
        "ExtendedTriggerMessage",
        "GetCompositeSchedule",
        "GetConfiguration",
        "GetDiagnostics",
        "GetInstalledCertificateIds",
        "GetLocalListVersion",
        "GetLog",
        "InstallCertificate",
        "RemoteStartTransaction",
        "RemoteStopTransaction",
        "ReserveNow",
        "Reset",
        "SendLocalList",
        "SetChargingProfile",
        "SignedUpdateFirmware",
        "TriggerMessage",
        "UnlockConnector",
        "UpdateFirmware",
    ),
    V201: (
        "CancelReservation",
        "CertificateSigned",
        "ChangeAvailability",
        "ClearCache",
        "ClearChargingProfile",
        "ClearDisplayMessage",
        "ClearVariableMonitoring",
        "CostUpdated",
        "CustomerInformation",
        "DataTransfer",
        "DeleteCertificate",
        "GetBaseReport",
        "GetChargingProfiles",
        "GetCompositeSchedule",
        "GetDisplayMessages",
        "GetInstalledCertificateIds",
        "GetLocalListVersion",
        "GetLog",
        "GetMonitoringReport",
        "GetReport",
        "GetTransactionStatus",
        "GetVariables",
        "InstallCertificate",
        "PublishFirmware",
        "RequestStartTransaction",
        "RequestStopTransaction",
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
        "TriggerMessage",
        "UnlockConnector",
        "UnpublishFirmware",
        "UpdateFirmware",
    ),
}


PayloadInvalid = errors.PayloadInvalid


def actions_of(ocpp_version: str) -> tuple[str, ...]:
    return CSMS_ACTIONS.get(ocpp_version, ())


def request_struct(ocpp_version: str, action: str) -> type[msgspec.Struct]:
    """The request Struct of a central-system action; UnknownCommand for anything else of (or outside) the version."""
    if action not in actions_of(ocpp_version):
        msg = f"{action!r} is not a message a central system sends in OCPP {ocpp_version}"
        raise errors.UnknownCommand(msg)
    return codec.REQUESTS[ocpp_version][action]


def checked_payload(ocpp_version: str, action: str, payload: bytes | msgspec.Raw | str) -> Any:
    """The payload decoded into its schema Struct; PayloadInvalid names the field when it does not validate."""
    struct_type = request_struct(ocpp_version, action)
    try:
        return codec.decoder_for(struct_type).decode(payload)
    except msgspec.ValidationError as exc:
        text = str(exc)
        location = text.rsplit(" - at `", 1)[1].rstrip("`") if " - at `" in text else "$"
        raise PayloadInvalid(f"{action}: {text}", location) from None
    except msgspec.DecodeError as exc:
        raise PayloadInvalid(f"{action}: {exc}", "$") from None
