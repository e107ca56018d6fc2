"""Dispatch of a charger's Calls to per-action ``on_<action>`` handlers, and the frame that answers each."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, ClassVar, TypedDict, TypeVar

import msgspec
from msgspec import UNSET, UnsetType

from ocpp_bridge import codec, errors
from ocpp_bridge.config import BridgeConfig
from ocpp_bridge.events import OcppVersion
from ocpp_bridge.log_budget import LogBudget
from ocpp_bridge.ports import BridgeObserver, ChargerRegistrations, CsmsBackend

logger = logging.getLogger(__name__)


class CallContext(msgspec.Struct, frozen=True):
    """Who sent the Call being handled, and when it arrived."""

    charger_id: str
    message_id: str
    received_at: datetime


class EventBase(TypedDict):
    """The fields every event from a charger's message starts with."""

    charger_id: str
    ocpp_version: OcppVersion
    message_id: str
    received_at: datetime


T = TypeVar("T")


def opt(value: T | UnsetType) -> T | None:
    """None for a field the charger left out."""
    return None if isinstance(value, UnsetType) else value


def unset_if_none(value: T | None) -> T | UnsetType:
    return UNSET if value is None else value


Handler = Callable[[CallContext, Any], Awaitable[msgspec.Struct]]

# What a charger held Pending may still send: BootNotification, and the messages that report on what the central
# system asked of it while it was configuring the charger (reports, log and firmware uploads, security events).
PENDING_ALLOWED: frozenset[str] = frozenset(
    {
        "BootNotification",
        "NotifyReport",
        "NotifyMonitoringReport",
        "NotifyCustomerInformation",
        "NotifyDisplayMessages",
        "LogStatusNotification",
        "DiagnosticsStatusNotification",
        "FirmwareStatusNotification",
        "SignedFirmwareStatusNotification",
        "PublishFirmwareStatusNotification",
        "SecurityEventNotification",
    }
)
# A TriggerMessage's requested message, as the action the charger then sends.
_TRIGGERED_ACTION = {
    "SignChargePointCertificate": "SignCertificate",
    "SignChargingStationCertificate": "SignCertificate",
    "SignV2GCertificate": "SignCertificate",
    "SignCombinedCertificate": "SignCertificate",
}


def handler_name(action: str) -> str:
    return "on_" + re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", action).lower()


class Router:
    """Base of the per-version routers; a subclass defines ``on_<action>`` coroutine methods."""

    ocpp_version: ClassVar[OcppVersion]

    def __init__(
        self,
        backend: CsmsBackend,
        config: BridgeConfig,
        observer: BridgeObserver | None = None,
        registrations: ChargerRegistrations | None = None,
    ) -> None:
        self.backend = backend
        self.config = config
        self.observer = observer
        self.registrations = registrations
        self._triggered: dict[str, set[str]] = {}  # per charger not Accepted: messages we asked it to send
        self._table: dict[str, tuple[type[msgspec.Struct], Handler]] = {}
        for action, struct_type in codec.REQUESTS[self.ocpp_version].items():
            handler = getattr(self, handler_name(action), None)
            if handler is not None:
                self._table[action] = (struct_type, handler)

    def base(self, ctx: CallContext) -> EventBase:
        return EventBase(
            charger_id=ctx.charger_id,
            ocpp_version=self.ocpp_version,
            message_id=ctx.message_id,
            received_at=ctx.received_at,
        )

    @property
    def actions(self) -> list[str]:
        return sorted(self._table)

    def action_label(self, action: str) -> str:
        """The action as a metrics label: an action of this OCPP version, else ``unknown`` (a bounded set)."""
        return action if action in codec.REQUESTS[self.ocpp_version] else "unknown"

    def refused(self, action: str | None, error: errors.OcppCallError) -> None:
        """Tell the observer about a Call answered with a CallError before reaching a handler."""
        if self.observer is not None:
            label = self.action_label(action or "")
            self.observer.call_answered(self.ocpp_version, label, None, error.code_for(self.ocpp_version))

    async def handle(self, charger_id: str, call: codec.Call, log: LogBudget | None = None) -> bytes:
        """Validate and dispatch one Call; always returns the frame to answer with. Rejections are logged through
        ``log``, the charger's budget of log lines, when given."""
        log = log or LogBudget(logger, f"charger {charger_id}")
        if self.observer is None:
            return (await self._dispatch(charger_id, call, log))[0]
        started = time.perf_counter()
        frame, error_code = await self._dispatch(charger_id, call, log)
        elapsed = time.perf_counter() - started
        self.observer.call_answered(self.ocpp_version, self.action_label(call.action), elapsed, error_code)
        return frame

    async def _dispatch(self, charger_id: str, call: codec.Call, log: LogBudget) -> tuple[bytes, str | None]:
        """The answer frame, and the CallError code when the answer is an error."""
        try:
            entry = self._table.get(call.action)
            if entry is None:
                if call.action in codec.REQUESTS[self.ocpp_version]:
                    msg = f"{call.action} is not handled by this central system"
                    raise errors.NotSupportedAction(msg)
                codec.request_type(self.ocpp_version, call.action)  # raises NotImplemented
            assert entry is not None
            struct_type, handler = entry
            if self.registrations is not None and call.action != "BootNotification":
                self._check_registered(charger_id, call.action)
            payload = codec.decode_payload(call.payload, struct_type)
            context = CallContext(charger_id, call.message_id, datetime.now(UTC))
            response = await handler(context, payload)
            return codec.encode_checked_call_result(call.message_id, response), None
        except errors.OcppCallError as exc:
            log.warning(
                "charger %s: %s %s rejected with %s: %s",
                charger_id,
                call.action,
                call.message_id,
                exc.code_for(self.ocpp_version),
                exc.description,
            )
            return codec.error_frame(call.message_id, exc, self.ocpp_version), exc.code_for(self.ocpp_version)
        except Exception:
            log.exception("charger %s: backend failed on %s %s", charger_id, call.action, call.message_id)
            error = errors.InternalError(f"{call.action} could not be processed")
            return codec.error_frame(call.message_id, error, self.ocpp_version), error.code_for(self.ocpp_version)

    def _check_registered(self, charger_id: str, action: str) -> None:
        """Refuse a Call from a charger whose BootNotification is not Accepted (OCPP 2.0.1 B02/B03: SecurityError),
        except what a Pending charger sends in answer to the central system's own requests."""
        assert self.registrations is not None
        status = self.registrations.registration_status(charger_id)
        if status == "Accepted" or (status == "Pending" and action in PENDING_ALLOWED):
            return
        triggered = self._triggered.get(charger_id)
        if status == "Pending" and triggered is not None and action in triggered:
            triggered.discard(action)  # once per trigger (OCPP 2.0.1 B02: what the CSMS triggers is allowed)
            if not triggered:
                del self._triggered[charger_id]
            return
        msg = f"{action} refused: the charger's registration is {status}; send a BootNotification"
        raise errors.NotRegistered(msg)

    def triggered(self, charger_id: str, requested_message: str) -> None:
        """The charger accepted our TriggerMessage: while it is not Accepted, the message it now sends is taken."""
        if self.registrations is None or self.registrations.registration_status(charger_id) == "Accepted":
            return
        action = _TRIGGERED_ACTION.get(requested_message, requested_message)
        self._triggered.setdefault(charger_id, set()).add(action)


def now() -> datetime:
    return datetime.now(UTC)
