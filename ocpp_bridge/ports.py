"""What the bridge needs from the rest of the system, as Protocols the application implements and injects."""

from __future__ import annotations

from typing import Literal, Protocol

from ocpp_bridge.commands import CommandRequest, CommandResult
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
    OcppVersion,
    TransactionEnded,
    TransactionStarted,
    TransactionStartReply,
    TransactionUpdated,
)


class CsmsBackend(Protocol):
    """The central system's business side: credentials, and every event reported by the chargers.

    Calls for one charger arrive strictly in the order of its messages. Events from messages carry the
    charger's ``message_id`` and original timestamps so replays after a reconnect can be made idempotent.
    An exception raised here is answered to the charger with an InternalError CallError.
    """

    async def check_credentials(self, charger_id: str, password: str | None) -> bool:
        """HTTP Basic password of the upgrade request (None when the charger sent none); False -> 401."""
        ...

    async def on_event(self, event: ChargerEvent) -> None:
        """Events that need no answer: connectivity, heartbeats, status, meter values, notifications."""
        ...

    async def on_charger_booted(self, event: ChargerBooted) -> BootReply: ...

    async def on_authorization_requested(self, event: AuthorizationRequested) -> IdTokenInfo: ...

    async def on_transaction_started(self, event: TransactionStarted) -> TransactionStartReply: ...

    async def on_transaction_updated(self, event: TransactionUpdated) -> IdTokenInfo | None:
        """2.0.1 only; an id token info is sent back when the update carries an id token."""
        ...

    async def on_transaction_ended(self, event: TransactionEnded) -> IdTokenInfo | None: ...

    async def on_data_transfer(self, event: DataTransferReceived) -> DataTransferReply: ...

    # certificates (1.6 security extension, 2.0.1 blocks A and M)

    async def security_profile(self, charger_id: str) -> int | None:
        """The charger's OCPP security profile (1, 2 or 3), None when unknown; asked only when client certificates
        are requested (``BridgeConfig.tls_client_ca_path``): profile 3 authenticates by certificate alone."""
        ...

    async def on_certificate_signing_requested(self, event: CertificateSigningRequested) -> CertificateSigningReply:
        """Answer at once; the signed certificate goes back later with a CertificateSigned command."""
        ...

    async def on_certificate_status_requested(self, event: CertificateStatusRequested) -> CertificateStatusReply: ...

    async def on_ev_certificate_requested(self, event: EvCertificateRequested) -> EvCertificateReply: ...

    async def on_contract_certificates_presented(
        self, event: ContractCertificatesPresented
    ) -> ContractCertificateStatus:
        """The status of an EV's contract certificate chain; anything but Accepted refuses its id token."""
        ...


class CommandRelay(Protocol):
    """Reaches chargers whose socket another process holds (e.g. over PostgreSQL LISTEN/NOTIFY).

    The receiving process hands relayed commands to ``CentralSystem.execute_relayed_command``.
    ``commands.encode_request`` / ``decode_request`` and ``encode_result`` / ``decode_result`` give the
    wire form.
    """

    async def forward_command(self, charger_id: str, request: CommandRequest, reply_timeout: float) -> CommandResult:
        """Deliver to the process holding ``charger_id``; raise ``errors.ChargerNotConnected`` if none does."""
        ...

    async def charger_attached(self, charger_id: str, ocpp_version: str) -> None:
        """This process now holds the charger's socket."""
        ...

    async def charger_detached(self, charger_id: str) -> None:
        """This process no longer holds the charger's socket."""
        ...


class BridgeObserver(Protocol):
    """Told what the bridge does, for operational metrics; every call is synchronous and on the hot path, so an
    implementation only counts (no I/O, no blocking, no exceptions).

    Every argument comes from a fixed set: OCPP versions, action names of that version (``"unknown"`` for any
    other), CallError codes, command names of the registry and the outcomes below. Charger ids are never passed.
    """

    def charger_connected(self, ocpp_version: OcppVersion) -> None: ...

    def charger_disconnected(self, ocpp_version: OcppVersion) -> None: ...

    def call_answered(
        self, ocpp_version: OcppVersion, action: str, seconds: float | None, error_code: str | None
    ) -> None:
        """One Call from a charger answered: ``seconds`` from taking it up to its answer (None when it was refused
        before reaching a handler: malformed, over the rate limit), ``error_code`` when the answer is a CallError."""
        ...

    def command_finished(self, command: str, seconds: float, outcome: str) -> None:
        """One command of ours (``commands.COMMANDS`` name) done, here or through the relay; ``outcome`` is one of
        ``COMMAND_OUTCOMES``."""
        ...


RegistrationStatus = Literal["Accepted", "Pending", "Rejected"]


class ChargerRegistrations(Protocol):
    """Where each charger's registration stands (the status its BootNotification is answered with), read on every
    Call of a charger, so an implementation answers from memory."""

    def registration_status(self, charger_id: str) -> RegistrationStatus: ...
