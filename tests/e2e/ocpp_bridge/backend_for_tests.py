"""An in-memory implementation of the bridge's ports for end-to-end tests, and a running-bridge helper."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from ocpp_bridge import commands, errors
from ocpp_bridge.config import BridgeConfig
from ocpp_bridge.events import (
    AuthorizationRequested,
    BootReply,
    CertificateSigningReply,
    CertificateSigningRequested,
    CertificateStatusReply,
    CertificateStatusRequested,
    ChargerBooted,
    ChargerEvent,
    ContractCertificatesPresented,
    ContractCertificateStatus,
    DataTransferReceived,
    DataTransferReply,
    EvCertificateReply,
    EvCertificateRequested,
    IdTokenInfo,
    MeterSample,
    TransactionEnded,
    TransactionStarted,
    TransactionStartReply,
    TransactionUpdated,
)
from ocpp_bridge.server import CentralSystem

E = TypeVar("E")


class RecordingBackend:
    """Keeps every event in order and transactions in dicts; idempotent on (charger id, message id)."""

    def __init__(
        self,
        passwords: dict[str, str | None] | None = None,
        *,
        accept_prefix: str | None = None,
        prefix_password: str | None = None,
    ) -> None:
        self.passwords = passwords if passwords is not None else {}
        self.accept_prefix = accept_prefix
        self.prefix_password = prefix_password
        self.events: list[Any] = []
        self.transactions: dict[str, dict[str, Any]] = {}
        self.samples: dict[str, list[MeterSample]] = {}
        self.replies: dict[tuple[str, str], Any] = {}
        self.boot_status: str = "Accepted"
        self.blocked_tokens: set[str] = set()
        self.failing: set[str] = set()
        self.on_boot_hook: Callable[[ChargerBooted], Any] | None = None
        self.security_profiles: dict[str, int] = {}
        self.signing_reply = CertificateSigningReply(status="Accepted")
        self.certificate_status_reply = CertificateStatusReply(status="Failed", reason="NoResponder")
        self.contract_status: ContractCertificateStatus = "Accepted"
        self._next_transaction_id = 1
        self._changed = asyncio.Condition()

    # -- port ------------------------------------------------------------------------------------------------

    async def check_credentials(self, charger_id: str, password: str | None) -> bool:
        if charger_id in self.passwords:
            return self.passwords[charger_id] == password
        if self.accept_prefix is not None and charger_id.startswith(self.accept_prefix):
            return password == self.prefix_password
        return False

    async def on_event(self, event: ChargerEvent) -> None:
        self._fail_if_asked(event)
        await self._record(event)

    async def on_charger_booted(self, event: ChargerBooted) -> BootReply:
        self._fail_if_asked(event)
        await self._record(event)
        if self.on_boot_hook is not None:
            await self.on_boot_hook(event)
        return BootReply(status=self.boot_status)  # type: ignore[arg-type]

    async def on_authorization_requested(self, event: AuthorizationRequested) -> IdTokenInfo:
        self._fail_if_asked(event)
        await self._record(event)
        return self._verdict(event.id_token.id_token)

    async def on_transaction_started(self, event: TransactionStarted) -> TransactionStartReply:
        self._fail_if_asked(event)
        key = (event.charger_id, event.message_id)
        if key in self.replies:
            reply: TransactionStartReply = self.replies[key]
            return reply
        await self._record(event)
        transaction_id = event.transaction_id
        allocated: int | None = None
        if transaction_id is None:
            allocated = self._next_transaction_id
            self._next_transaction_id += 1
            transaction_id = str(allocated)
        self.transactions[transaction_id] = {
            "charger_id": event.charger_id,
            "started_at": event.timestamp,
            "meter_start_wh": event.meter_start_wh,
            "ended_at": None,
            "meter_stop_wh": None,
            "id_token": None if event.id_token is None else event.id_token.id_token,
            "stop_count": 0,
        }
        self.samples.setdefault(transaction_id, []).extend(event.samples)
        info = None if event.id_token is None else self._verdict(event.id_token.id_token)
        reply = TransactionStartReply(id_token_info=info, transaction_id=allocated)
        self.replies[key] = reply
        return reply

    async def on_transaction_updated(self, event: TransactionUpdated) -> IdTokenInfo | None:
        self._fail_if_asked(event)
        if (event.charger_id, event.message_id) not in self.replies:
            self.replies[(event.charger_id, event.message_id)] = None
            await self._record(event)
            self.samples.setdefault(event.transaction_id, []).extend(event.samples)
        return None if event.id_token is None else self._verdict(event.id_token.id_token)

    async def on_transaction_ended(self, event: TransactionEnded) -> IdTokenInfo | None:
        self._fail_if_asked(event)
        key = (event.charger_id, event.message_id)
        if key not in self.replies:
            self.replies[key] = None
            await self._record(event)
            transaction = self.transactions.setdefault(event.transaction_id, {"charger_id": event.charger_id})
            transaction.update(ended_at=event.timestamp, meter_stop_wh=event.meter_stop_wh, reason=event.reason)
            transaction["stop_count"] = transaction.get("stop_count", 0) + 1
            self.samples.setdefault(event.transaction_id, []).extend(event.samples)
        return None if event.id_token is None else self._verdict(event.id_token.id_token)

    async def on_data_transfer(self, event: DataTransferReceived) -> DataTransferReply:
        self._fail_if_asked(event)
        await self._record(event)
        if event.vendor_id == "com.voltway":
            return DataTransferReply(status="Accepted", data="pong")
        return DataTransferReply()

    async def security_profile(self, charger_id: str) -> int | None:
        return self.security_profiles.get(charger_id)

    async def on_certificate_signing_requested(self, event: CertificateSigningRequested) -> CertificateSigningReply:
        await self._record(event)
        return self.signing_reply

    async def on_certificate_status_requested(self, event: CertificateStatusRequested) -> CertificateStatusReply:
        await self._record(event)
        return self.certificate_status_reply

    async def on_ev_certificate_requested(self, event: EvCertificateRequested) -> EvCertificateReply:
        await self._record(event)
        return EvCertificateReply(status="Failed", reason="NoContractPool")

    async def on_contract_certificates_presented(
        self, event: ContractCertificatesPresented
    ) -> ContractCertificateStatus:
        await self._record(event)
        return self.contract_status

    # -- helpers ---------------------------------------------------------------------------------------------

    def _verdict(self, token: str) -> IdTokenInfo:
        return IdTokenInfo(status="Blocked" if token in self.blocked_tokens else "Accepted")

    def _fail_if_asked(self, event: Any) -> None:
        if type(event).__name__ in self.failing:
            msg = f"backend failure on {type(event).__name__}"
            raise RuntimeError(msg)

    async def _record(self, event: Any) -> None:
        async with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def of_type(self, kind: type[E], charger_id: str | None = None) -> list[E]:
        return [e for e in self.events if isinstance(e, kind) and charger_id in (None, getattr(e, "charger_id", None))]

    async def wait_for(
        self, kind: type[E], predicate: Callable[[E], bool] = lambda _e: True, within: float = 5.0, count: int = 1
    ) -> list[E]:
        """Wait until ``count`` events of ``kind`` satisfying ``predicate`` were recorded."""

        def matching() -> list[E]:
            return [e for e in self.of_type(kind) if predicate(e)]

        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: len(matching()) >= count)
        return matching()


class RecordingRelay:
    """A relay between two central systems in one process, standing in for the cross-process transport."""

    def __init__(self) -> None:
        self.peers: list[CentralSystem] = []
        self.attached: dict[str, str] = {}
        self.forwarded: list[tuple[str, str]] = []

    async def forward_command(
        self, charger_id: str, request: commands.CommandRequest, reply_timeout: float
    ) -> commands.CommandResult:
        self.forwarded.append((charger_id, type(request).__name__))
        wire = commands.encode_request(request)
        for peer in self.peers:
            if peer.is_connected(charger_id):
                result = await peer.execute_relayed_command(charger_id, commands.decode_request(wire), reply_timeout)
                return commands.decode_result(commands.encode_result(result))
        msg = f"{charger_id} is not connected anywhere"
        raise errors.ChargerNotConnected(msg)

    async def charger_attached(self, charger_id: str, ocpp_version: str) -> None:
        self.attached[charger_id] = ocpp_version

    async def charger_detached(self, charger_id: str) -> None:
        self.attached.pop(charger_id, None)


TEST_PASSWORD = "s3cret-Passw0rd"


@contextlib.asynccontextmanager
async def running_bridge(
    backend: RecordingBackend | None = None, relay: RecordingRelay | None = None, **config: Any
) -> AsyncIterator[tuple[CentralSystem, RecordingBackend]]:
    """A central system on a free local port with a backend that accepts ids starting with CP-."""
    backend = backend or RecordingBackend(accept_prefix="CP-", prefix_password=TEST_PASSWORD)
    settings = {"host": "127.0.0.1", "port": 0, "ping_interval": None, "command_timeout": 5.0, **config}
    system = CentralSystem(backend, BridgeConfig(**settings), relay)
    async with system:
        yield system, backend
