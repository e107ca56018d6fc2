"""The command relay: which process holds each charger's socket, and commands carried between processes.

A charger keeps one websocket open, so its socket lives in exactly one process; a command for it may be
issued in any process behind the load balancer. Every process records in ``charging_stations.held_by``
the chargers it holds, and the map shows them online at once. ``PostgresCommandRelay`` carries commands
over PostgreSQL LISTEN/NOTIFY to the holder and its answer back (compressed, in parts, when it is longer than one
notification carries); each process beats a ``bridge_processes`` row, and the live ones delete the rows of
processes that stopped beating and mark their chargers offline, so a crashed process's chargers do not stay
"online" on the map. ``LocalCommandRelay`` keeps the same bookkeeping for the embedded single-process deployment,
where no other process can hold a charger.

Both relays deliver commands that must not be lost (a stop) durably: ``deliver_later`` sends through whichever
process holds the charger at each attempt and retries with backoff until the charger answers or the command is
no longer wanted; a charger attaching here is sent at once what the ``owed`` provider says it still owes.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
import logging
import re
import socket
import uuid
import zlib
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from datetime import timedelta
from typing import Any, Final, NamedTuple

import asyncpg
import msgspec
from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import BridgeProcess, ChargingStation
from api.db.types import utc_now
from api.domain.chargers.live_writer import LiveStateWriter, chunks, lock_stations
from api.domain.stations.store import bump_revision, touch_location
from ocpp_bridge import errors
from ocpp_bridge.commands import (
    CommandRequest,
    CommandResult,
    decode_request,
    decode_result,
    encode_request,
    encode_result,
)
from ocpp_bridge.server import CentralSystem

logger = logging.getLogger(__name__)

NOTIFY_LIMIT_BYTES: Final = 7999  # PostgreSQL refuses NOTIFY payloads of 8000 bytes or more
# A longer answer (a charger's message journal, a large report) is compressed and sent in parts of this many
# characters, at most REPLY_PARTS of them.
PART_CHARACTERS: Final = 7800
REPLY_PARTS: Final = 64
_REPLY_BYTES: Final = 16 * 1024 * 1024  # what a compressed answer may expand to
REPLY_MARGIN_SECONDS: Final = 1.0  # on top of the charger's own timeout: two notifications and a task switch
CHANNEL_PREFIX: Final = "voltway_bridge_"
_CHANNEL = re.compile(rf"{CHANNEL_PREFIX}[0-9a-f]{{32}}")
_MAX_PROCESS_ID: Final = 64  # bridge_processes.id and charging_stations.held_by
HOLDER_CHECK_SECONDS: Final = 1.0  # while a relayed command waits, how often the holder is looked up again
RETRY_FIRST_SECONDS: Final = 0.5  # backoff of a durable command: first pause, doubled up to the cap
RETRY_MAX_SECONDS: Final = 15.0
TAKEN_SECONDS: Final = 2.0  # a durable command not taken up by the holder within this was lost on the way
# the charger answered (or the command can never work): retrying would not change the outcome
_FINAL_ERRORS: Final = (
    errors.CommandRejected,
    errors.InvalidCommand,
    errors.InvalidCommandResult,
    errors.UnknownCommand,
)

Wanted = Callable[[], Awaitable[bool]]
# Set while a durable delivery runs: a relayed attempt the holder did not take up (a notification lost while its
# connection to PostgreSQL was down, a holder that died with a fresh beat) fails within TAKEN_SECONDS to be sent
# again, instead of waiting out the charger's whole timeout.
_durable: ContextVar[bool] = ContextVar("durable", default=False)


class Owed(NamedTuple):
    """A command a charger still owes an answer to, kept durable by its owner (a stopping session's row)."""

    key: str  # one delivery per key at a time in a process, e.g. "stop <session id>"
    request: CommandRequest
    wanted: Wanted  # False once the command no longer matters (the session ended)


OwedCommands = Callable[[str], Awaitable[list[Owed]]]


def channel_for(process_id: str) -> str:
    """The NOTIFY channel of a process: a fixed-length identifier whatever characters the process id holds."""
    return CHANNEL_PREFIX + hashlib.blake2b(process_id.encode("utf-8"), digest_size=16).hexdigest()


# -- wire form between processes -------------------------------------------------------------------------------


class _Relayed(msgspec.Struct, frozen=True, tag_field="kind"):
    pass


class _CommandMessage(_Relayed, frozen=True, kw_only=True, tag="command"):
    request_id: str
    reply_to: str
    charger_id: str
    command: msgspec.Raw  # commands.encode_request
    timeout: float


class _FailureMessage(msgspec.Struct, frozen=True, kw_only=True):
    type: str  # a class name of ocpp_bridge.errors
    message: str
    code: str | None = None  # CommandRejected's CallError code and description
    description: str | None = None


class _TakenMessage(_Relayed, frozen=True, kw_only=True, tag="taken"):
    """The holder received a command and runs it; its reply follows."""

    request_id: str


class _ReplyMessage(_Relayed, frozen=True, kw_only=True, tag="reply"):
    request_id: str
    result: msgspec.Raw = msgspec.Raw(b"null")  # commands.encode_result; msgspec has no optional Raw
    error: _FailureMessage | None = None


class _ReplyPartMessage(_Relayed, frozen=True, kw_only=True, tag="part"):
    """One part of an answer too long for one notification: a slice of its compressed form, in base64."""

    request_id: str
    index: int
    count: int
    data: str


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(_CommandMessage | _TakenMessage | _ReplyMessage | _ReplyPartMessage)
_reply_decoder = msgspec.json.Decoder(_ReplyMessage)


def reply_parts(request_id: str, reply: bytes) -> list[bytes]:
    """The notifications carrying an encoded ``_ReplyMessage``: itself when it fits in one, else its parts (empty
    when even the parts would be too many)."""
    if len(reply) <= NOTIFY_LIMIT_BYTES:
        return [reply]
    packed = base64.b64encode(zlib.compress(reply, 6)).decode("ascii")
    count = -(-len(packed) // PART_CHARACTERS)
    if count > REPLY_PARTS:
        return []
    return [
        _encoder.encode(
            _ReplyPartMessage(
                request_id=request_id,
                index=index,
                count=count,
                data=packed[index * PART_CHARACTERS : (index + 1) * PART_CHARACTERS],
            )
        )
        for index in range(count)
    ]


def joined_reply(parts: list[str]) -> _ReplyMessage:
    """The answer carried by all its parts, in order; CommandError when they do not make one."""
    try:
        expander = zlib.decompressobj()
        reply = expander.decompress(base64.b64decode("".join(parts), validate=True), _REPLY_BYTES)
        if expander.unconsumed_tail or not expander.eof:
            msg = "the answer is too long or incomplete"
            raise errors.CommandError(msg)
        return _reply_decoder.decode(reply)
    except (binascii.Error, zlib.error, msgspec.DecodeError) as exc:
        msg = f"the answer's parts do not make one: {exc}"
        raise errors.CommandError(msg) from None


def _failure_of(exc: Exception) -> _FailureMessage:
    if isinstance(exc, errors.CommandRejected):
        return _FailureMessage(type=type(exc).__name__, message=str(exc), code=exc.code, description=exc.description)
    return _FailureMessage(type=type(exc).__name__, message=str(exc))


def _exception_of(failure: _FailureMessage) -> errors.OcppBridgeError:
    """The holder's exception rebuilt as the same ``ocpp_bridge.errors`` type; CommandError for anything else."""
    kind = getattr(errors, failure.type, None)
    if kind is errors.CommandRejected:
        return errors.CommandRejected(failure.code or "GenericError", failure.description or failure.message)
    if isinstance(kind, type) and issubclass(kind, errors.OcppBridgeError):
        return kind(failure.message)
    return errors.CommandError(f"{failure.type}: {failure.message}")


# -- bookkeeping both relays share -----------------------------------------------------------------------------


async def mark_stations(session: AsyncSession, condition: ColumnElement[bool], values: dict[str, Any]) -> int:
    """Update the charging stations matching ``condition``; when any changed, bump the catalogue revision once
    and stamp their locations with it, so every process's map picks the change up. Returns how many changed.

    The rows are locked first in primary-key order (`live_writer.lock_stations`), as every station writer does."""
    matching = (await session.execute(select(ChargingStation.id).where(condition))).scalars().all()
    if not matching:
        return 0
    location_ids: list[Any] = []
    for part in chunks(await lock_stations(session, matching)):
        statement = (
            update(ChargingStation)
            .where(ChargingStation.id.in_(part), condition)
            .values(**values)
            .returning(ChargingStation.location_id)
            .execution_options(synchronize_session=False)
        )
        location_ids.extend((await session.execute(statement)).scalars())
    if location_ids:
        revision = await bump_revision(session)
        when = utc_now()
        for location_id in sorted(set(location_ids)):  # one lock order for every writer
            await touch_location(session, location_id, revision, when)
    return len(location_ids)


def _released() -> dict[str, Any]:
    return {"held_by": None, "connected": False}


class _StationBookkeeping:
    """Which chargers this process holds, kept in ``charging_stations``.

    While the relay runs, connects and disconnects go through a ``LiveStateWriter`` (shared with the backend
    in a Voltway process) and reach the database within its flush interval, one transaction for all of them;
    before ``start`` and after ``stop`` each is written at once.
    """

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        process_id: str,
        *,
        live_writer: LiveStateWriter | None = None,
    ) -> None:
        if not process_id or len(process_id) > _MAX_PROCESS_ID:
            msg = f"a process id has 1 to {_MAX_PROCESS_ID} characters, got {process_id!r}"
            raise ValueError(msg)
        self.session_factory = session_factory
        self.process_id = process_id
        self.central: CentralSystem | None = None
        self.live = live_writer or LiveStateWriter(session_factory)
        self._owns_live = live_writer is None
        self.owed: OwedCommands | None = None  # what a charger attaching here is sent at once
        self.retry_first_seconds = RETRY_FIRST_SECONDS
        self.retry_max_seconds = RETRY_MAX_SECONDS
        self._deliveries: dict[str, tuple[asyncio.Task[None], asyncio.Event]] = {}
        self._attach_waiters: dict[str, set[asyncio.Event]] = {}
        self._owed_tasks: set[asyncio.Task[None]] = set()

    # -- durable commands ------------------------------------------------------------------------------------

    def deliver_later(self, charger_id: str, owed: Owed) -> None:
        """Send ``owed`` in the background until the charger answers or it is no longer wanted.

        Each attempt goes through ``CentralSystem.send_command``, so it reaches whichever process holds the charger
        then. A delivery of the same key already running here is woken to send again at once instead of waiting
        out its backoff (a repeated stop re-sends)."""
        running = self._deliveries.get(owed.key)
        if running is not None and not running[0].done():
            running[1].set()
            return
        again = asyncio.Event()
        task = asyncio.create_task(self._deliver(charger_id, owed, again), name=f"deliver {owed.key}")
        self._deliveries[owed.key] = (task, again)
        task.add_done_callback(lambda done: self._delivered(owed.key, done))

    def _delivered(self, key: str, task: asyncio.Task[None]) -> None:
        if self._deliveries.get(key, (None,))[0] is task:
            del self._deliveries[key]
        if not task.cancelled() and task.exception() is not None:
            logger.error("command relay %s: delivery %s failed", self.process_id, key, exc_info=task.exception())

    @property
    def deliveries(self) -> int:
        """Durable commands this process is still trying to deliver."""
        return len(self._deliveries)

    async def delivered(self) -> None:
        """Wait until this process delivers no durable command any more (answered, or no longer wanted)."""
        while self._deliveries:
            await asyncio.gather(*(task for task, _ in list(self._deliveries.values())), return_exceptions=True)

    async def _deliver(self, charger_id: str, owed: Owed, again: asyncio.Event) -> None:
        _durable.set(True)  # this task's context only
        pause = self.retry_first_seconds
        attempt = 0
        while await self._still_wanted(owed):
            central = self.central
            attempt += 1
            if central is not None:
                again.clear()
                try:
                    await central.send_command(charger_id, owed.request)
                except _FINAL_ERRORS as exc:
                    logger.warning("command relay %s: %s on %s refused: %s", self.process_id, owed.key, charger_id, exc)
                    return
                except errors.CommandError as exc:  # offline, no answer, holder gone: try again
                    logger.warning(
                        "command relay %s: %s on %s failed (attempt %d), retrying in %.1f s: %s",
                        self.process_id, owed.key, charger_id, attempt, pause, exc,
                    )  # fmt: skip
                else:
                    return
            await self._pause(charger_id, again, pause)
            pause = min(pause * 2, self.retry_max_seconds)

    async def _still_wanted(self, owed: Owed) -> bool:
        """Whether to keep delivering; when that cannot be read (the database unreachable), keep trying."""
        try:
            return await owed.wanted()
        except Exception as exc:
            logger.warning(
                "command relay %s: cannot tell whether %s is still wanted: %s", self.process_id, owed.key, exc
            )
            return True

    async def _pause(self, charger_id: str, again: asyncio.Event, seconds: float) -> None:
        """Wait out a backoff, cut short when the charger attaches here or the same command is requested again."""
        attached = asyncio.Event()
        self._attach_waiters.setdefault(charger_id, set()).add(attached)
        waits = [asyncio.ensure_future(again.wait()), asyncio.ensure_future(attached.wait())]
        try:
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()
            waiters = self._attach_waiters.get(charger_id)
            if waiters is not None:
                waiters.discard(attached)
                if not waiters:
                    del self._attach_waiters[charger_id]

    async def _cancel_deliveries(self) -> None:
        tasks = [task for task, _ in self._deliveries.values()] + list(self._owed_tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _attached_here(self, charger_id: str) -> None:
        """Wake deliveries waiting for this charger and send it what it still owes."""
        for waiter in self._attach_waiters.get(charger_id, ()):
            waiter.set()
        if self.owed is not None:
            task = asyncio.create_task(self._send_owed(charger_id), name=f"owed to {charger_id}")
            self._owed_tasks.add(task)
            task.add_done_callback(self._owed_tasks.discard)

    async def _send_owed(self, charger_id: str) -> None:
        assert self.owed is not None
        try:
            owed = await self.owed(charger_id)
        except Exception:
            logger.exception("command relay %s: could not read what %s is owed", self.process_id, charger_id)
            return
        for command in owed:
            logger.info("command relay %s: %s attached, sending %s", self.process_id, charger_id, command.key)
            self.deliver_later(charger_id, command)

    # -- connections -----------------------------------------------------------------------------------------

    async def charger_attached(self, charger_id: str, ocpp_version: str) -> None:
        """This process now holds the charger's socket: it shows online within the writer's flush interval."""
        self._attached_here(charger_id)
        if self.live.running:
            self.live.attached(charger_id, self.process_id, ocpp_version)
            return
        async with self.session_factory() as session, session.begin():
            await mark_stations(
                session,
                ChargingStation.ocpp_id == charger_id,
                {"held_by": self.process_id, "connected": True, "last_seen": utc_now(), "ocpp_version": ocpp_version},
            )

    async def charger_detached(self, charger_id: str) -> None:
        """The socket closed; a newer connection that another process already holds is left alone."""
        if self.live.running:
            self.live.detached(charger_id, self.process_id)
            return
        async with self.session_factory() as session, session.begin():
            await mark_stations(
                session,
                and_(ChargingStation.ocpp_id == charger_id, ChargingStation.held_by == self.process_id),
                {**_released(), "last_seen": utc_now()},
            )

    async def _start_live(self) -> None:
        if self._owns_live:
            await self.live.start()

    async def _settle_live(self) -> None:
        """Write the connection changes still buffered; the relay's own writer stops here."""
        if self._owns_live:
            await self.live.stop()
        else:
            await self.live.flush()

    async def _release_own(self, session: AsyncSession) -> int:
        return await mark_stations(session, ChargingStation.held_by == self.process_id, _released())


class LocalCommandRelay(_StationBookkeeping):
    """The embedded single-process relay: the connection bookkeeping only, as no other process holds chargers."""

    async def start(self, central: CentralSystem) -> None:
        self.central = central
        await self._start_live()

    async def stop(self) -> None:
        """Mark the chargers this process held offline."""
        await self._cancel_deliveries()
        await self._settle_live()
        async with self.session_factory() as session, session.begin():
            await self._release_own(session)
        self.central = None

    async def forward_command(self, charger_id: str, request: CommandRequest, reply_timeout: float) -> CommandResult:
        """No other process exists to hold the charger."""
        msg = f"{charger_id} is not connected"
        raise errors.ChargerNotConnected(msg)


class PostgresCommandRelay(_StationBookkeeping):
    """Commands between processes sharing one PostgreSQL, over LISTEN/NOTIFY on one dedicated connection.

    Each process listens on ``channel_for(process_id)``. A command goes to the holder's channel with this
    process's channel to answer on; the holder runs it through ``CentralSystem.execute_relayed_command``
    and notifies the result, or the error's class name and message, which is raised here as the same type.
    """

    def __init__(
        self,
        database_url: str,
        session_factory: async_sessionmaker[AsyncSession],
        process_id: str,
        *,
        beat_seconds: float = 5.0,
        stale_after_seconds: float = 20.0,
        live_writer: LiveStateWriter | None = None,
    ) -> None:
        super().__init__(session_factory, process_id, live_writer=live_writer)
        if not 0 < beat_seconds < stale_after_seconds:
            msg = "beat_seconds must be positive and shorter than stale_after_seconds"
            raise ValueError(msg)
        self.dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.beat_seconds = beat_seconds
        self.stale_after_seconds = stale_after_seconds
        self.channel = channel_for(process_id)
        self._connection: Any = None  # asyncpg.Connection
        self._notify_lock = asyncio.Lock()
        self._waiting: dict[str, asyncio.Future[_ReplyMessage]] = {}
        self._taken: dict[str, asyncio.Event] = {}
        self._parts: dict[str, list[str | None]] = {}
        self._running: set[asyncio.Task[None]] = set()
        self._beat_task: asyncio.Task[None] | None = None
        self._relisten_task: asyncio.Task[None] | None = None
        self._listen_lock = asyncio.Lock()

    # -- lifecycle -------------------------------------------------------------------------------------------

    async def start(self, central: CentralSystem) -> None:
        """Register this process, listen on its channel, and beat (and reap dead processes) in the background."""
        if self._beat_task is not None:
            return
        self.central = central
        await self._start_live()
        await self._register()
        await self._listen()
        await self._reap(orphans=True)
        self._beat_task = asyncio.create_task(self._beat_forever(), name=f"bridge relay beat {self.process_id}")

    async def stop(self) -> None:
        """Stop listening, leave the process table and mark the chargers this process held offline."""
        task, self._beat_task = self._beat_task, None
        for background in (task, self._relisten_task):
            if background is not None:
                background.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await background
        await self._cancel_deliveries()
        for running in list(self._running):
            running.cancel()
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(errors.CommandError("the command relay stopped"))
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            with contextlib.suppress(asyncpg.PostgresError, OSError):
                await connection.remove_listener(self.channel, self._on_notification)
            await connection.close()
        await self._settle_live()
        async with self.session_factory() as session, session.begin():
            await session.execute(delete(BridgeProcess).where(BridgeProcess.id == self.process_id))
            await self._release_own(session)
        self.central = None

    async def _register(self) -> None:
        statement = pg_insert(BridgeProcess).values(
            id=self.process_id, host=socket.gethostname()[:255], started_at=func.now(), last_beat=func.now()
        )
        statement = statement.on_conflict_do_update(
            index_elements=[BridgeProcess.id], set_={"host": statement.excluded.host, "last_beat": func.now()}
        )
        async with self.session_factory() as session, session.begin():
            await session.execute(statement)

    async def _listen(self) -> None:
        """Open the listening connection unless one is open (the beat and a lost connection may both ask)."""
        async with self._listen_lock:
            if self._connection is not None and not self._connection.is_closed():
                return
            connection = await asyncpg.connect(self.dsn)
            await connection.add_listener(self.channel, self._on_notification)
            connection.add_termination_listener(self._on_connection_lost)
            self._connection = connection

    def _on_connection_lost(self, connection: Any) -> None:
        """The listening connection closed (PostgreSQL unreachable, restarted, a proxy cut): commands sent here
        meanwhile are lost, so listen again at once instead of at the next beat, and fail the commands waiting for
        an answer that can no longer arrive (a durable delivery sends them again)."""
        if connection is not self._connection or self._beat_task is None:
            return  # replaced already, or the relay is stopping
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(errors.CommandError("the relay's connection to PostgreSQL was lost"))
        if self._relisten_task is None or self._relisten_task.done():
            self._relisten_task = asyncio.create_task(self._relisten(), name=f"bridge relay listen {self.process_id}")

    async def _relisten(self) -> None:
        pause = RETRY_FIRST_SECONDS
        while self._beat_task is not None and (self._connection is None or self._connection.is_closed()):
            try:
                await self._listen()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
                logger.warning("command relay %s: cannot listen yet (%s), retrying", self.process_id, exc)
                await asyncio.sleep(pause)
                pause = min(pause * 2, self.beat_seconds)
            else:
                logger.warning("command relay %s: listening again after a lost connection", self.process_id)

    async def _beat_forever(self) -> None:
        while True:
            await asyncio.sleep(self.beat_seconds)
            try:
                if self._connection is None or self._connection.is_closed():
                    logger.warning("command relay %s: listening connection lost, reconnecting", self.process_id)
                    await self._listen()
                await self._beat()
                await self._reap()
            except Exception:
                logger.exception("command relay %s: beat failed", self.process_id)

    async def _beat(self) -> None:
        async with self.session_factory() as session, session.begin():
            alive = (
                await session.execute(
                    update(BridgeProcess)
                    .where(BridgeProcess.id == self.process_id)
                    .values(last_beat=func.now())
                    .returning(BridgeProcess.id)
                )
            ).scalar_one_or_none()
        if alive is None:
            # Taken for dead (a long stall) and reaped: come back and claim the chargers still connected here.
            logger.warning("command relay %s: was reaped while alive, registering again", self.process_id)
            await self._register()
            for info in self.central.chargers() if self.central is not None else []:
                await self.charger_attached(info.charger_id, info.ocpp_version)

    async def _reap(self, *, orphans: bool = False) -> None:
        """Delete processes that stopped beating and mark their chargers offline, in one transaction.

        With ``orphans``, chargers held by a process that has no row at all are released too, unless they
        were attached recently (their process may have registered after this transaction's snapshot).
        """
        stale = timedelta(seconds=self.stale_after_seconds)
        async with self.session_factory() as session, session.begin():
            dead = (
                (
                    await session.execute(
                        select(BridgeProcess.id)
                        .where(BridgeProcess.last_beat < func.now() - stale, BridgeProcess.id != self.process_id)
                        .with_for_update(skip_locked=True)
                    )
                )
                .scalars()
                .all()
            )
            if dead:
                await session.execute(delete(BridgeProcess).where(BridgeProcess.id.in_(dead)))
            condition: ColumnElement[bool] = ChargingStation.held_by.in_(dead)
            if orphans:
                orphaned = and_(
                    ChargingStation.held_by.is_not(None),
                    ChargingStation.held_by.not_in(select(BridgeProcess.id)),
                    # last_seen is stamped by this application's clock, so it is compared with that clock
                    or_(ChargingStation.last_seen.is_(None), ChargingStation.last_seen < utc_now() - stale),
                )
                condition = or_(condition, orphaned) if dead else orphaned
            elif not dead:
                return
            released = await mark_stations(session, condition, _released())
        if dead or released:
            logger.warning(
                "command relay %s: released %d chargers of dead processes %s", self.process_id, released, dead
            )

    # -- commands --------------------------------------------------------------------------------------------

    async def forward_command(self, charger_id: str, request: CommandRequest, reply_timeout: float) -> CommandResult:
        """Run ``request`` on the live process holding ``charger_id`` and return its typed result."""
        central = self.central
        if central is None or self._connection is None:
            msg = "the command relay is not started"
            raise errors.CommandError(msg)
        holder = await self._live_holder(charger_id)
        if holder is None:
            msg = f"{charger_id} is not connected to any live process"
            raise errors.ChargerNotConnected(msg)
        if holder == self.process_id:  # the socket is ours after all (a connection change in flight)
            return await central.execute_relayed_command(charger_id, request, reply_timeout)
        request_id = uuid.uuid4().hex
        payload = _encoder.encode(
            _CommandMessage(
                request_id=request_id,
                reply_to=self.channel,
                charger_id=charger_id,
                command=msgspec.Raw(encode_request(request)),
                timeout=reply_timeout,
            )
        )
        if len(payload) > NOTIFY_LIMIT_BYTES:
            msg = f"the command is {len(payload)} bytes, over the {NOTIFY_LIMIT_BYTES}-byte limit of the relay"
            raise errors.InvalidCommand(msg)
        future: asyncio.Future[_ReplyMessage] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = future
        taken = self._taken[request_id] = asyncio.Event()
        try:
            try:
                await self._notify(channel_for(holder), payload)
            except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
                msg = f"could not reach process {holder} holding {charger_id}: {exc}"
                raise errors.CommandError(msg) from exc
            if _durable.get():
                await self._wait_taken(taken, future, charger_id, holder)
            try:
                async with asyncio.timeout(reply_timeout + REPLY_MARGIN_SECONDS):
                    reply = await self._reply_while_held(future, charger_id, holder)
            except TimeoutError:
                msg = f"no answer from process {holder} holding {charger_id} within {reply_timeout}s"
                raise errors.CommandTimeout(msg) from None
        finally:
            self._waiting.pop(request_id, None)
            self._taken.pop(request_id, None)
            self._parts.pop(request_id, None)
        if reply.error is not None:
            raise _exception_of(reply.error)
        return decode_result(bytes(reply.result))

    @staticmethod
    async def _wait_taken(
        taken: asyncio.Event, future: asyncio.Future[_ReplyMessage], charger_id: str, holder: str
    ) -> None:
        """Wait until the holder says it took the command up (or already answered); CommandError when it did not
        within TAKEN_SECONDS, as the command then never reached it."""
        waits: set[asyncio.Future[Any]] = {asyncio.ensure_future(taken.wait()), future}
        try:
            done, _ = await asyncio.wait(waits, timeout=TAKEN_SECONDS, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                if wait is not future:
                    wait.cancel()
        if not done:
            msg = f"process {holder} holding {charger_id} did not take the command up within {TAKEN_SECONDS} s"
            raise errors.CommandError(msg)

    async def _reply_while_held(
        self, future: asyncio.Future[_ReplyMessage], charger_id: str, holder: str
    ) -> _ReplyMessage:
        """The holder's answer; ChargerNotConnected as soon as another process (or none) holds the charger, so a
        command relayed to a process that died does not wait out the whole timeout once the charger has moved."""
        while True:
            done, _ = await asyncio.wait({future}, timeout=HOLDER_CHECK_SECONDS)
            if done:
                return future.result()
            now = await self._live_holder(charger_id)
            if now != holder:
                msg = f"{charger_id} left process {holder} before answering (now held by {now or 'none'})"
                raise errors.ChargerNotConnected(msg)

    async def _live_holder(self, charger_id: str) -> str | None:
        """The process holding the charger if it is still beating; None when nobody (alive) does."""
        stale = timedelta(seconds=self.stale_after_seconds)
        async with self.session_factory() as session:
            holder: str | None = (
                await session.execute(
                    select(ChargingStation.held_by)
                    .join(BridgeProcess, BridgeProcess.id == ChargingStation.held_by)
                    .where(ChargingStation.ocpp_id == charger_id, BridgeProcess.last_beat >= func.now() - stale)
                )
            ).scalar_one_or_none()
        return holder

    async def _notify(self, channel: str, payload: bytes) -> None:
        connection = self._connection
        if connection is None:
            msg = "the command relay is not started"
            raise errors.CommandError(msg)
        async with self._notify_lock:  # one asyncpg connection runs one query at a time
            await connection.execute("SELECT pg_notify($1, $2)", channel, payload.decode("utf-8"))

    def _on_notification(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        """Listener callback: never waits, so replies keep flowing while commands run."""
        try:
            message = _decoder.decode(payload)
        except msgspec.DecodeError:
            logger.warning("command relay %s: ignored a malformed notification: %.200s", self.process_id, payload)
            return
        if isinstance(message, _ReplyMessage):
            future = self._waiting.get(message.request_id)
            if future is not None and not future.done():
                future.set_result(message)
            return
        if isinstance(message, _TakenMessage):
            taken = self._taken.get(message.request_id)
            if taken is not None:
                taken.set()
            return
        if isinstance(message, _ReplyPartMessage):
            self._part_received(message)
            return
        task = asyncio.create_task(self._run_relayed(message))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    def _part_received(self, part: _ReplyPartMessage) -> None:
        """Collect the parts of a long answer; the last one to arrive completes it."""
        future = self._waiting.get(part.request_id)
        if future is None or future.done() or not 0 <= part.index < part.count <= REPLY_PARTS:
            return
        parts = self._parts.setdefault(part.request_id, [None] * part.count)
        if len(parts) != part.count:
            return
        parts[part.index] = part.data
        if any(data is None for data in parts):
            return
        del self._parts[part.request_id]
        try:
            future.set_result(joined_reply([data for data in parts if data is not None]))
        except errors.CommandError as exc:
            future.set_exception(exc)

    async def _run_relayed(self, message: _CommandMessage) -> None:
        """Run a command from another process on a charger held here and notify the answer back."""
        if not _CHANNEL.fullmatch(message.reply_to):
            logger.warning("command relay %s: refused to answer on channel %r", self.process_id, message.reply_to)
            return
        try:
            await self._notify(message.reply_to, _encoder.encode(_TakenMessage(request_id=message.request_id)))
        except Exception:
            logger.exception(
                "command relay %s: could not tell %s a command was taken", self.process_id, message.reply_to
            )
        reply: _ReplyMessage
        try:
            if self.central is None:
                msg = "the command relay is stopping"
                raise errors.ChargerNotConnected(msg)
            request = decode_request(bytes(message.command))
            result = await self.central.execute_relayed_command(message.charger_id, request, message.timeout)
            reply = _ReplyMessage(request_id=message.request_id, result=msgspec.Raw(encode_result(result)))
        except Exception as exc:
            reply = _ReplyMessage(request_id=message.request_id, error=_failure_of(exc))
        payload = _encoder.encode(reply)
        notifications = reply_parts(message.request_id, payload)
        if not notifications:
            too_large = errors.InvalidCommandResult(
                f"the charger's answer is {len(payload)} bytes, too long for the relay even compressed in"
                f" {REPLY_PARTS} parts"
            )
            notifications = [
                _encoder.encode(_ReplyMessage(request_id=message.request_id, error=_failure_of(too_large)))
            ]
        try:
            for notification in notifications:
                await self._notify(message.reply_to, notification)
        except Exception:
            logger.exception("command relay %s: could not send an answer to %s", self.process_id, message.reply_to)


__all__ = [
    "LocalCommandRelay",
    "Owed",
    "OwedCommands",
    "PostgresCommandRelay",
    "Wanted",
    "channel_for",
    "mark_stations",
]
