"""Exception tree of the OCPP bridge: protocol violations answered with a CallError, and command failures."""

from __future__ import annotations

from typing import Final

V16: Final = "1.6"
V201: Final = "2.0.1"


class OcppBridgeError(Exception):
    """Base of every error raised by the bridge."""


class ConfigurationError(OcppBridgeError):
    """The bridge was configured with values it cannot run with."""


# -- errors answered with a CallError --------------------------------------------------------------------------

_CODES_BY_VERSION: dict[str, dict[str, str]] = {
    # 1.6 has a smaller code set and spells two codes differently.
    V16: {
        "FormatViolation": "FormationViolation",
        "OccurrenceConstraintViolation": "OccurenceConstraintViolation",
        "RpcFrameworkError": "FormationViolation",
        "MessageTypeNotSupported": "GenericError",
        "SecurityError": "GenericError",
    },
    V201: {},
}


class OcppCallError(OcppBridgeError):
    """A failure that the bridge answers with a CallError; ``code`` uses the 2.0.1 spelling."""

    code = "GenericError"

    def __init__(self, description: str, details: dict[str, object] | None = None, *, message_id: str = "-1") -> None:
        super().__init__(description)
        self.description = description
        self.details = details or {}
        self.message_id = message_id

    def code_for(self, ocpp_version: str) -> str:
        """The error code in the spelling (and code set) of ``ocpp_version``."""
        return _CODES_BY_VERSION.get(ocpp_version, {}).get(self.code, self.code)


class FormatViolation(OcppCallError):
    """Payload is syntactically incorrect or does not match the PDU structure (FormationViolation in 1.6)."""

    code = "FormatViolation"


class ProtocolError(OcppCallError):
    """Payload for the action is incomplete or the frame is malformed."""

    code = "ProtocolError"


class RpcFrameworkError(OcppCallError):
    """The frame is not a valid RPC request (2.0.1); FormationViolation in 1.6."""

    code = "RpcFrameworkError"


class MessageTypeNotSupported(OcppCallError):
    """The MessageTypeId is not 2, 3 or 4 (GenericError in 1.6)."""

    code = "MessageTypeNotSupported"


class TypeConstraintViolation(OcppCallError):
    """A field has the wrong data type."""

    code = "TypeConstraintViolation"


class PropertyConstraintViolation(OcppCallError):
    """A field has a value outside what the schema allows (enum, length, bounds)."""

    code = "PropertyConstraintViolation"


class OccurrenceConstraintViolation(OcppCallError):
    """A required field is missing (OccurenceConstraintViolation in 1.6)."""

    code = "OccurrenceConstraintViolation"


class NotImplementedAction(OcppCallError):
    """The action is unknown to the OCPP version in use."""

    code = "NotImplemented"


class NotSupportedAction(OcppCallError):
    """The action is valid OCPP but this central system does not handle it."""

    code = "NotSupported"


class InternalError(OcppCallError):
    """The backend failed while handling a valid message."""

    code = "InternalError"


class SecurityError(OcppCallError):
    """A request was refused for security reasons, such as a flood from one charger (GenericError in 1.6)."""

    code = "SecurityError"


class GenericError(OcppCallError):
    """Any other failure."""

    code = "GenericError"


# -- command errors --------------------------------------------------------------------------------------------


class CommandError(OcppBridgeError):
    """A command to a charger could not be completed."""


class UnknownCommand(CommandError):
    """No command is registered under this name."""


class InvalidCommand(CommandError):
    """The command's arguments cannot be expressed in the charger's OCPP version or violate its schema."""


class ChargerNotConnected(CommandError):
    """The charger is connected neither to this process nor (through the relay) to any other."""


class CommandTimeout(CommandError):
    """The charger did not answer in time."""


class CommandRejected(CommandError):
    """The charger answered with a CallError."""

    def __init__(self, code: str, description: str, details: object = None) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description
        self.details = details


class InvalidCommandResult(CommandError):
    """The charger's CallResult does not conform to the response schema."""


class ChargerDisconnected(CommandError):
    """The charger's connection closed while the command was pending."""


COMMAND_OUTCOMES: Final = ("ok", "rejected", "timeout", "not_connected", "disconnected", "invalid", "error")


def command_outcome(error: BaseException | None) -> str:
    """How a command ended, as one of ``COMMAND_OUTCOMES`` (``rejected``: the charger answered with a CallError)."""
    if error is None:
        return "ok"
    if isinstance(error, CommandRejected):
        return "rejected"
    if isinstance(error, CommandTimeout):
        return "timeout"
    if isinstance(error, ChargerNotConnected):
        return "not_connected"
    if isinstance(error, ChargerDisconnected):
        return "disconnected"
    if isinstance(error, InvalidCommand | InvalidCommandResult | UnknownCommand):
        return "invalid"
    return "error"


class NotRegistered(OcppCallError):
    """A message other than BootNotification from a charger whose registration is not Accepted (Pending or
    Rejected). OCPP-J 1.6 defines SecurityError as well, so this keeps the code in both versions."""

    code = "SecurityError"

    def code_for(self, ocpp_version: str) -> str:
        return self.code


class PayloadInvalid(InvalidCommand):
    """A payload that does not match its action's schema; ``location`` is the JSON path of the offending field
    (``$`` once carried between processes, which keep only the message)."""

    def __init__(self, message: str, location: str = "$") -> None:
        super().__init__(message)
        self.location = location
