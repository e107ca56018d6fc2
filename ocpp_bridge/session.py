"""One charger's connection: its Calls processed strictly in order, and our commands to it, one at a time.

The task reading the socket never waits for the backend: Calls are queued and drained by a worker task that
exists only while there is work, so replies to our commands are read even while a handler is busy, and an
idle connection costs no task beyond the reader.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from datetime import UTC, datetime
from typing import Any

import msgspec
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from ocpp_bridge import codec, commands, errors
from ocpp_bridge.config import BridgeConfig
from ocpp_bridge.events import OcppVersion
from ocpp_bridge.journal import ChargerJournal
from ocpp_bridge.log_budget import LogBudget
from ocpp_bridge.router import Router

logger = logging.getLogger(__name__)


class ChargerSession:
    """The bridge's side of one charger's websocket."""

    __slots__ = (
        "_awaiting",
        "_calls",
        "_command_lock",
        "_config",
        "_refilled_at",
        "_router",
        "_tokens",
        "_worker",
        "charger_id",
        "connected_at",
        "finished",
        "journal",
        "last_message_at",
        "log",
        "ocpp_version",
        "websocket",
    )

    def __init__(
        self,
        charger_id: str,
        ocpp_version: OcppVersion,
        websocket: ServerConnection,
        router: Router,
        config: BridgeConfig,
        journal: ChargerJournal | None = None,
    ) -> None:
        self.charger_id = charger_id
        self.ocpp_version: OcppVersion = ocpp_version
        self.websocket = websocket
        self.connected_at = time.time()
        self.last_message_at: float | None = None
        self.finished = asyncio.Event()
        self._router = router
        self._config = config
        self._calls: deque[codec.Call] = deque()
        self._worker: asyncio.Task[None] | None = None
        self._command_lock = asyncio.Lock()
        self._awaiting: tuple[str, asyncio.Future[msgspec.Raw]] | None = None
        self._tokens = float(config.rate_limit_burst)
        self._refilled_at = time.monotonic()
        self.log = LogBudget(logger, f"charger {charger_id}", config.log_lines_per_minute)
        self.journal = journal  # every frame in and out, when the bridge keeps a journal

    # -- inbound ---------------------------------------------------------------------------------------------

    async def serve(self) -> None:
        """Read frames until the socket closes, then let the Call in progress finish; Calls still queued are
        dropped unanswered, so the charger sends them again after reconnecting."""
        journal = self.journal
        try:
            async for data in self.websocket:
                self.last_message_at = moment = time.time()
                if journal is not None:
                    journal.record(moment, True, data)
                await self._receive(data)
        except ConnectionClosed:
            pass
        finally:
            self._calls.clear()
            if self._awaiting is not None and not self._awaiting[1].done():
                self._awaiting[1].set_exception(errors.ChargerDisconnected(f"{self.charger_id} disconnected"))
            worker = self._worker
            if worker is not None:
                await asyncio.wait([worker])
            self.log.flush()

    async def _receive(self, data: str | bytes) -> None:
        try:
            frame = codec.parse_frame(data)
        except errors.OcppCallError as exc:
            self.log.warning("charger %s: malformed frame answered with %s: %s", self.charger_id, exc.code, exc)
            self._router.refused(None, exc)
            await self._send(codec.error_frame(exc.message_id, exc, self.ocpp_version))
            return
        if not isinstance(frame, codec.Call):
            self._resolve(frame)
            return
        if not self._take_token():
            self.log.warning(
                "charger %s: rate limit exceeded, refusing %s %s", self.charger_id, frame.action, frame.message_id
            )
            refusal = errors.SecurityError("Rate limit exceeded")
            self._router.refused(frame.action, refusal)
            await self._send(codec.error_frame(frame.message_id, refusal, self.ocpp_version))
            return
        if len(self._calls) >= self._config.max_pending_calls:
            self.log.warning("charger %s: %d calls pending, closing", self.charger_id, len(self._calls))
            self._calls.clear()
            await self.websocket.close(1008, "Too many pending calls")
            return
        self._calls.append(frame)
        if self._worker is None:
            self._worker = asyncio.create_task(self._drain(), name=f"ocpp-calls-{self.charger_id}")

    async def _drain(self) -> None:
        try:
            while self._calls:
                call = self._calls.popleft()
                frame = await self._router.handle(self.charger_id, call, self.log)
                if not await self._send(frame):
                    self._calls.clear()
        finally:
            self._worker = None

    def _take_token(self) -> bool:
        moment = time.monotonic()
        refill = (moment - self._refilled_at) * self._config.rate_limit_per_second
        self._tokens = min(float(self._config.rate_limit_burst), self._tokens + refill)
        self._refilled_at = moment
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False

    def _resolve(self, frame: codec.CallResult | codec.CallError) -> None:
        awaiting = self._awaiting
        if awaiting is None or awaiting[0] != frame.message_id or awaiting[1].done():
            self.log.warning("charger %s: reply %s matches no pending command", self.charger_id, frame.message_id)
            return
        if isinstance(frame, codec.CallResult):
            awaiting[1].set_result(frame.payload)
        else:
            awaiting[1].set_exception(errors.CommandRejected(frame.code, frame.description, frame.details))

    async def _send(self, frame: bytes) -> bool:
        if self.journal is not None:
            self.journal.record(time.time(), False, frame)  # before sending: the reply may be read first
        try:
            await self.websocket.send(frame, text=True)
        except ConnectionClosed:
            return False
        return True

    # -- outbound --------------------------------------------------------------------------------------------

    async def call(
        self, action: str, payload: msgspec.Struct, response_type: type[msgspec.Struct], reply_timeout: float
    ) -> Any:
        """Send one Call and return its validated CallResult payload; further calls wait their turn."""
        try:
            async with asyncio.timeout(reply_timeout):
                await self._command_lock.acquire()
        except TimeoutError:
            msg = f"{action} to {self.charger_id} still queued after {reply_timeout} s"
            raise errors.CommandTimeout(msg) from None
        try:
            raw = await self._call_locked(action, payload, reply_timeout)
        finally:
            self._command_lock.release()
        try:
            return codec.decode_payload(raw, response_type)
        except errors.OcppCallError as exc:
            msg = f"{action} result from {self.charger_id} is invalid: {exc.description}"
            raise errors.InvalidCommandResult(msg) from None

    async def _call_locked(self, action: str, payload: msgspec.Struct, reply_timeout: float) -> msgspec.Raw:
        if self.finished.is_set() or self.websocket.close_code is not None:
            msg = f"{self.charger_id} is disconnected"
            raise errors.ChargerDisconnected(msg)
        message_id = codec.new_message_id()
        future: asyncio.Future[msgspec.Raw] = asyncio.get_running_loop().create_future()
        self._awaiting = (message_id, future)
        try:
            if not await self._send(codec.encode_call(message_id, action, payload)):
                msg = f"{self.charger_id} disconnected before {action} was sent"
                raise errors.ChargerDisconnected(msg)
            async with asyncio.timeout(reply_timeout):
                return await future
        except TimeoutError:
            msg = f"{self.charger_id} did not answer {action} within {reply_timeout} s"
            raise errors.CommandTimeout(msg) from None
        finally:
            self._awaiting = None

    async def execute(self, request: commands.CommandRequest, reply_timeout: float) -> commands.CommandResult:
        """Run a registry command on this charger, in its OCPP version."""
        spec = commands.spec_for(request)
        if spec.run is not None:
            return await spec.run(self, request, reply_timeout)
        action, payload = spec.translate(request, self.ocpp_version)
        try:
            codec.decode_payload(codec.encode(payload), type(payload))
        except errors.OcppCallError as exc:
            msg = f"{spec.name} cannot be sent as OCPP {self.ocpp_version} {action}: {exc.description}"
            raise errors.InvalidCommand(msg) from None
        response = await self.call(action, payload, codec.RESPONSES[self.ocpp_version][action], reply_timeout)
        logger.info("charger %s: %s answered", self.charger_id, action)
        if action in {"TriggerMessage", "ExtendedTriggerMessage"} and getattr(response, "status", "") == "Accepted":
            self._router.triggered(self.charger_id, str(getattr(payload, "requested_message", "")))
        return spec.read_result(response, self.ocpp_version)

    # -- lifecycle -------------------------------------------------------------------------------------------

    async def close(self, code: int, reason: str) -> None:
        """Close the socket and wait until the session has finished its cleanup."""
        await self.websocket.close(code, reason)
        await self.finished.wait()

    @property
    def last_message_time(self) -> datetime | None:
        return None if self.last_message_at is None else datetime.fromtimestamp(self.last_message_at, UTC)
