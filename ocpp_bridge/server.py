"""The websocket server chargers connect to: upgrade checks (path, subprotocol, Basic auth), one session per
charger, and the entry points for commands, local or relayed from another process."""

from __future__ import annotations

import base64
import binascii
import logging
import re
import ssl
import time
from collections.abc import Awaitable, Sequence
from datetime import UTC, datetime
from http import HTTPStatus
from types import TracebackType
from typing import Final, Self
from urllib.parse import unquote, urlsplit

import msgspec
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from ocpp_bridge import commands, errors
from ocpp_bridge.config import BridgeConfig
from ocpp_bridge.events import ChargerConnected, ChargerDisconnected, ChargerEvent, OcppVersion
from ocpp_bridge.journal import JournalSnapshot, MessageJournal
from ocpp_bridge.log_budget import LogBudget
from ocpp_bridge.ports import BridgeObserver, ChargerRegistrations, CommandRelay, CsmsBackend
from ocpp_bridge.router import Router
from ocpp_bridge.session import ChargerSession
from ocpp_bridge.upgrade_throttle import UpgradeThrottle
from ocpp_bridge.v16.handlers import V16Router
from ocpp_bridge.v201.handlers import V201Router

logger = logging.getLogger(__name__)

SUBPROTOCOLS: Final[dict[str, OcppVersion]] = {"ocpp1.6": "1.6", "ocpp2.0.1": "2.0.1"}
_CHARGER_ID = re.compile(r"[A-Za-z0-9*\-_=+|@.]{1,48}")
REPLACED_CLOSE_CODE: Final = 1000
REPLACED_CLOSE_REASON: Final = "Replaced by a new connection"
_NORMAL_CLOSE_CODES = {1000, 1001}
JOURNAL_READ_TIMEOUT: Final = 5.0  # a journal read relayed to the holder: no charger involved, only two processes


class ChargerInfo(msgspec.Struct, frozen=True):
    charger_id: str
    ocpp_version: OcppVersion
    connected_at: datetime
    last_message_at: datetime | None


def charger_id_from_path(path: str) -> str | None:
    """The charge point identity from ``/ocpp/{id}`` or ``/{id}``; None for any other path."""
    parts = [unquote(part) for part in urlsplit(path).path.split("/") if part]
    if len(parts) == 2 and parts[0] == "ocpp":
        candidate = parts[1]
    elif len(parts) == 1:
        candidate = parts[0]
    else:
        return None
    return candidate if _CHARGER_ID.fullmatch(candidate) else None


def offered_subprotocols(headers: Headers) -> list[str]:
    return [p.strip() for value in headers.get_all("Sec-WebSocket-Protocol") for p in value.split(",") if p.strip()]


def basic_credentials(headers: Headers) -> tuple[str, str] | None:
    """Username and password of an HTTP Basic Authorization header; None when absent or malformed."""
    value = headers.get("Authorization")
    if value is None:
        return None
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, sep, password = decoded.partition(":")
    return (username, password) if sep else None


def client_certificate_names(peercert: object) -> tuple[str | None, str | None] | None:
    """Subject CN and O of a verified peer certificate (``SSLSocket.getpeercert()``); None without one."""
    if not isinstance(peercert, dict) or not peercert.get("subject"):
        return None
    fields = {key: value for rdn in peercert["subject"] for key, value in rdn}
    return fields.get("commonName"), fields.get("organizationName")


class _UsePassword:
    """The client certificate check leaves the decision to Basic auth."""


_USE_PASSWORD: Final = _UsePassword()


class CentralSystem:
    """The OCPP 1.6J / 2.0.1 central system of one process.

    ``async with CentralSystem(backend, config) as bridge:`` starts serving; ``bridge.port`` is the bound port.
    """

    def __init__(
        self,
        backend: CsmsBackend,
        config: BridgeConfig | None = None,
        relay: CommandRelay | None = None,
        *,
        observer: BridgeObserver | None = None,
        registrations: ChargerRegistrations | None = None,
    ):
        self.backend = backend
        self.config = config or BridgeConfig()
        self.relay = relay
        self.observer = observer
        self._routers: dict[str, Router] = {
            "1.6": V16Router(backend, self.config, observer, registrations),
            "2.0.1": V201Router(backend, self.config, observer, registrations),
        }
        self._sessions: dict[str, ChargerSession] = {}
        self._server: Server | None = None
        self.throttle = UpgradeThrottle(
            address_burst=self.config.auth_failures_per_address,
            address_refill_seconds=self.config.auth_address_refill_seconds,
            charger_burst=self.config.auth_attempts_per_charger,
            charger_refill_seconds=self.config.auth_charger_refill_seconds,
        )
        self._refusals_log = LogBudget(logger, "refused upgrades", self.config.log_lines_per_minute)
        self.journal = MessageJournal(self.config.journal_size, retained=self.config.journal_retained)

    # -- lifecycle -------------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind and start accepting chargers."""
        if self._server is not None:
            return
        self._server = await serve(
            self._serve_charger,
            self.config.host,
            self.config.port,
            process_request=self._check_upgrade,
            select_subprotocol=self._select_subprotocol,
            compression="deflate" if self.config.compression else None,
            max_size=self.config.max_frame_size,
            ping_interval=self.config.ping_interval,
            ping_timeout=self.config.ping_timeout,
            close_timeout=self.config.close_timeout,
            open_timeout=self.config.open_timeout,
            backlog=self.config.backlog,  # passed through to loop.create_server
            ssl=self._ssl_context(),
            reuse_port=self.config.reuse_port or None,
        )
        logger.info("OCPP central system listening on %s:%d (tls=%s)", self.config.host, self.port, self.config.tls)

    async def stop(self) -> None:
        """Close every charger connection (1001 going away) and stop listening."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close(close_connections=True)
        await server.wait_closed()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def serve_forever(self) -> None:
        await self.start()
        assert self._server is not None
        await self._server.serve_forever()

    @property
    def port(self) -> int:
        """The bound port (useful with ``port=0``)."""
        if self._server is None:
            msg = "the central system is not started"
            raise errors.OcppBridgeError(msg)
        port: int = next(iter(self._server.sockets)).getsockname()[1]
        return port

    def _ssl_context(self) -> ssl.SSLContext | None:
        if self.config.tls_cert_path is None or self.config.tls_key_path is None:
            return None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.config.tls_cert_path, self.config.tls_key_path)
        if self.config.tls_client_ca_path is not None:
            # optional at the TLS level: profile 1/2 chargers have none; a certificate presented must verify
            context.verify_mode = ssl.CERT_OPTIONAL
            context.load_verify_locations(cafile=self.config.tls_client_ca_path)
        return context

    # -- chargers --------------------------------------------------------------------------------------------

    def is_connected(self, charger_id: str) -> bool:
        return charger_id in self._sessions

    def chargers(self) -> list[ChargerInfo]:
        """The chargers connected to this process, with their last message time."""
        return [
            ChargerInfo(
                charger_id=session.charger_id,
                ocpp_version=session.ocpp_version,
                connected_at=datetime.fromtimestamp(session.connected_at, UTC),
                last_message_at=session.last_message_time,
            )
            for session in self._sessions.values()
        ]

    def session(self, charger_id: str) -> ChargerSession | None:
        return self._sessions.get(charger_id)

    async def send_command(
        self, charger_id: str, request: commands.CommandRequest, reply_timeout: float | None = None
    ) -> commands.CommandResult:
        """Run a command on a charger held by this process, or through the relay on the process that holds it."""
        if self.observer is None:
            return await self._send_command(charger_id, request, reply_timeout)
        started = time.perf_counter()
        error: BaseException | None = None
        try:
            return await self._send_command(charger_id, request, reply_timeout)
        except BaseException as exc:
            error = exc
            raise
        finally:
            elapsed = time.perf_counter() - started
            self.observer.command_finished(commands.command_name(request), elapsed, errors.command_outcome(error))

    async def _send_command(
        self, charger_id: str, request: commands.CommandRequest, reply_timeout: float | None
    ) -> commands.CommandResult:
        limit = reply_timeout if reply_timeout is not None else self.config.command_timeout
        session = self._sessions.get(charger_id)
        if session is not None:
            if isinstance(request, commands.ReadJournal):
                return self._journal_result(charger_id, request)
            return await session.execute(request, limit)
        if self.relay is not None:
            return await self.relay.forward_command(charger_id, request, limit)
        msg = f"{charger_id} is not connected"
        raise errors.ChargerNotConnected(msg)

    async def execute_relayed_command(
        self, charger_id: str, request: commands.CommandRequest, reply_timeout: float | None = None
    ) -> commands.CommandResult:
        """Entry point for the relay: a command from another process for a charger this process holds."""
        session = self._sessions.get(charger_id)
        if session is None:
            msg = f"{charger_id} is not connected to this process"
            raise errors.ChargerNotConnected(msg)
        if isinstance(request, commands.ReadJournal):
            return self._journal_result(charger_id, request)
        return await session.execute(
            request, reply_timeout if reply_timeout is not None else self.config.command_timeout
        )

    async def read_journal(self, charger_id: str, limit: int | None = None) -> JournalSnapshot | None:
        """The charger's message journal, oldest frame first, from whichever process holds its socket (through the
        relay); when no process does, the one this process kept since the charger disconnected here. None when
        there is none to read. Relay failures (the holder not answering) raise ``errors.CommandError``."""
        if charger_id not in self._sessions and self.relay is not None:
            try:
                result = await self._send_command(charger_id, commands.ReadJournal(limit=limit), JOURNAL_READ_TIMEOUT)
            except errors.ChargerNotConnected:
                pass
            else:
                return result.journal if isinstance(result, commands.JournalResult) else None
        return self.journal.read(charger_id, limit)

    def _journal_result(self, charger_id: str, request: commands.ReadJournal) -> commands.JournalResult:
        return commands.JournalResult(journal=self.journal.read(charger_id, request.limit))

    # -- websocket callbacks ---------------------------------------------------------------------------------

    @staticmethod
    def _select_subprotocol(_connection: ServerConnection, offered: Sequence[Subprotocol]) -> Subprotocol | None:
        return next((p for p in offered if p in SUBPROTOCOLS), None)

    async def _check_upgrade(self, connection: ServerConnection, request: Request) -> Response | None:
        charger_id = charger_id_from_path(request.path)
        if charger_id is None:
            return connection.respond(HTTPStatus.NOT_FOUND, "Connect to /ocpp/{charge point identity}\n")
        if not any(p in SUBPROTOCOLS for p in offered_subprotocols(request.headers)):
            logger.warning("charger %s: refused, offers no supported OCPP subprotocol", charger_id)
            return connection.respond(
                HTTPStatus.BAD_REQUEST,
                "Unsupported subprotocol: offer ocpp1.6 or ocpp2.0.1 in Sec-WebSocket-Protocol\n",
            )
        address = "" if connection.remote_address is None else str(connection.remote_address[0])
        wait = self.throttle.admit(address, charger_id)
        if wait:
            return self._too_many_attempts(connection, charger_id, address, wait)
        refusal = await self._check_credentials(connection, request, charger_id)
        if refusal is None:
            self.throttle.succeeded(charger_id)
        elif refusal.status_code == HTTPStatus.UNAUTHORIZED:
            self.throttle.failed(address)
        return refusal

    async def _check_credentials(
        self, connection: ServerConnection, request: Request, charger_id: str
    ) -> Response | None:
        if self.config.tls_client_ca_path is not None:
            decided = await self._check_client_certificate(connection, charger_id)
            if not isinstance(decided, _UsePassword):
                return decided
        credentials = basic_credentials(request.headers)
        if request.headers.get("Authorization") is not None and credentials is None:
            return self._unauthorized(connection, charger_id, "malformed Authorization header")
        if credentials is not None and credentials[0] != charger_id:
            return self._unauthorized(connection, charger_id, "username differs from the charge point identity")
        try:
            accepted = await self.backend.check_credentials(charger_id, None if credentials is None else credentials[1])
        except Exception:
            logger.exception("charger %s: credential check failed", charger_id)
            return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "Credential check unavailable\n")
        if not accepted:
            return self._unauthorized(connection, charger_id, "unknown charger or wrong password")
        return None

    async def _check_client_certificate(
        self, connection: ServerConnection, charger_id: str
    ) -> Response | _UsePassword | None:
        """Security profile 3: the verified client certificate names the charger (CN) and our organisation (O).

        A charger of profile 3 is admitted by its certificate alone; other chargers go on to Basic auth, but a
        certificate they present must still name them.
        """
        peer = client_certificate_names(connection.transport.get_extra_info("peercert"))
        if peer is not None:
            if peer[0] != charger_id:
                return self._unauthorized(connection, charger_id, "client certificate CN differs from the identity")
            expected = self.config.csms_organization
            if expected is not None and peer[1] != expected:
                return self._unauthorized(connection, charger_id, "client certificate O is not our organisation")
        try:
            profile = await self.backend.security_profile(charger_id)
        except Exception:
            logger.exception("charger %s: security profile lookup failed", charger_id)
            return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "Credential check unavailable\n")
        if profile != 3:
            return _USE_PASSWORD
        if peer is None:
            return self._unauthorized(connection, charger_id, "security profile 3 needs a client certificate")
        return None

    def _too_many_attempts(self, connection: ServerConnection, charger_id: str, address: str, wait: int) -> Response:
        """Refused without a credential check, after too many wrong passwords from the address or for the id."""
        self._refusals_log.warning(
            "charger %s: upgrade from %s refused for %d s after wrong passwords", charger_id, address, wait
        )
        response = connection.respond(HTTPStatus.TOO_MANY_REQUESTS, "Too many wrong passwords, try again later\n")
        response.headers["Retry-After"] = str(wait)
        return response

    def _unauthorized(self, connection: ServerConnection, charger_id: str, why: str) -> Response:
        self._refusals_log.warning("charger %s: upgrade refused: %s", charger_id, why)
        response = connection.respond(HTTPStatus.UNAUTHORIZED, "Unknown charger or wrong password\n")
        response.headers["WWW-Authenticate"] = 'Basic realm="OCPP", charset="UTF-8"'
        return response

    async def _serve_charger(self, websocket: ServerConnection) -> None:
        charger_id = charger_id_from_path(websocket.request.path if websocket.request else "")
        ocpp_version = SUBPROTOCOLS.get(websocket.subprotocol or "")
        if charger_id is None or ocpp_version is None:  # refused in _check_upgrade already
            await websocket.close(1002, "Unsupported subprotocol")
            return
        while (previous := self._sessions.get(charger_id)) is not None:
            logger.info("charger %s: new connection replaces the current one", charger_id)
            await previous.close(REPLACED_CLOSE_CODE, REPLACED_CLOSE_REASON)
        journal = self.journal.attach(charger_id, ocpp_version)
        session = ChargerSession(charger_id, ocpp_version, websocket, self._routers[ocpp_version], self.config, journal)
        self._sessions[charger_id] = session
        if self.observer is not None:
            self.observer.charger_connected(ocpp_version)
        remote = websocket.remote_address
        logger.debug("charger %s: connected with OCPP %s from %s", charger_id, ocpp_version, remote)
        try:
            await self._report(
                ChargerConnected(
                    charger_id=charger_id,
                    ocpp_version=ocpp_version,
                    remote_address=None if remote is None else str(remote[0]),
                    at=datetime.now(UTC),
                )
            )
            if self.relay is not None:
                await self._tell_relay(self.relay.charger_attached(charger_id, ocpp_version))
            await session.serve()
        finally:
            if self.observer is not None:
                self.observer.charger_disconnected(ocpp_version)
            if self._sessions.get(charger_id) is session:
                del self._sessions[charger_id]
                if self.relay is not None:
                    await self._tell_relay(self.relay.charger_detached(charger_id))
            code = websocket.close_code
            if journal is not None:
                self.journal.detach(journal, code, websocket.close_reason)
            level = logging.DEBUG if code in _NORMAL_CLOSE_CODES else logging.WARNING
            logger.log(level, "charger %s: disconnected (%s %s)", charger_id, code, websocket.close_reason or "")
            await self._report(
                ChargerDisconnected(
                    charger_id=charger_id,
                    ocpp_version=ocpp_version,
                    at=datetime.now(UTC),
                    close_code=websocket.close_code,
                    close_reason=websocket.close_reason or "",
                )
            )
            session.finished.set()

    async def _report(self, event: ChargerEvent) -> None:
        try:
            await self.backend.on_event(event)
        except Exception:
            logger.exception("charger %s: backend failed on %s", event.charger_id, type(event).__name__)

    @staticmethod
    async def _tell_relay(notification: Awaitable[None]) -> None:
        try:
            await notification
        except Exception:
            logger.exception("command relay failed to record a connection change")


async def start_central_system(
    backend: CsmsBackend, config: BridgeConfig | None = None, relay: CommandRelay | None = None
) -> CentralSystem:
    """Start serving and return the running central system; call ``stop()`` to shut it down."""
    system = CentralSystem(backend, config, relay)
    await system.start()
    return system
