"""Local authorisation lists and authorisation caches of chargers, kept in step with our id tokens.

A charger that supports it holds a local list (OCPP 1.6 LocalAuthListManagement, 2.0.1 block D) so it can
authorise cards offline. We send the whole list on demand (`sync_full`: a Full SendLocalList, then Differential
parts when the list exceeds what the charger takes in one message) and, once a charger holds a list, a Differential
update whenever tokens are added, blocked, expire or change group (`upkeep`). A VersionMismatch or Failed answer
gets the full list again. Chargers with an authorisation cache get ClearCache when a token is blocked, so a
cached Accepted cannot outlive the block. Per charger we record the list version it holds.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime

import msgspec
from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import ChargerLocalList, ChargingStation, IdTokenRecord
from api.db.types import utc_now
from api.domain.chargers.authorisation import TokenRecord, verdict
from api.schema import FrozenAppStruct
from ocpp_bridge import commands, errors

logger = logging.getLogger(__name__)

SendCommand = Callable[[str, commands.CommandRequest], Awaitable[commands.CommandResult]]
HeldChargers = Callable[[], dict[str, str]]  # charger id -> OCPP version, of the chargers this process holds
DEFAULT_ITEMS_PER_MESSAGE = 100
CAPABILITY_TTL_SECONDS = 600.0
_V16_KEYS = ("LocalAuthListEnabled", "SendLocalListMaxLength", "LocalAuthListMaxLength", "AuthorizationCacheEnabled")
_V201_KEYS = (
    "LocalAuthListCtrlr.Enabled",
    "LocalAuthListCtrlr.ItemsPerMessage",
    "LocalAuthListCtrlr.Entries",
    "AuthCacheCtrlr.Enabled",
)


class Capabilities(msgspec.Struct, frozen=True):
    """What a charger told us about its local list and cache."""

    local_list: bool
    items_per_message: int = DEFAULT_ITEMS_PER_MESSAGE
    max_entries: int | None = None
    cache: bool = False


class SyncOutcome(FrozenAppStruct, frozen=True):
    """The result of sending a local list: ``status`` is the charger's last answer (or NotSupported)."""

    charger_id: str
    status: str
    version: int
    entries: int
    messages: int


class LocalListState(FrozenAppStruct, frozen=True):
    charger_id: str
    version: int
    entries: int
    synced_at: datetime | None
    last_status: str | None
    charger_version: int | None = None  # what the charger itself says (GetLocalListVersion), when connected


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


def _number(value: str | None) -> int | None:
    try:
        return int((value or "").strip())
    except ValueError:
        return None


def capabilities_of(result: commands.ConfigurationResult, ocpp_version: str) -> Capabilities:
    values = {item.key: item.value for item in result.values}
    if ocpp_version == "1.6":
        enabled, per_message, entries, cache = (values.get(key) for key in _V16_KEYS)
        max_entries = _number(entries)
    else:
        enabled, per_message, _, cache = (values.get(key) for key in _V201_KEYS)
        max_entries = None  # 2.0.1 reports the list's capacity as a maxLimit, not a value
    return Capabilities(
        local_list=_truthy(enabled),
        items_per_message=max(1, _number(per_message) or DEFAULT_ITEMS_PER_MESSAGE),
        max_entries=max_entries,
        cache=_truthy(cache),
    )


def entry_of(uid: str, kind: str, record: TokenRecord, now: datetime) -> commands.LocalListEntry:
    info = verdict(record, now).info
    return commands.LocalListEntry(
        id_token=uid, id_token_type=kind, status=info.status, expiry_date=info.expiry_date, group_id=record.group_id
    )


def fits(uid: str, ocpp_version: str) -> bool:
    """Whether the version's messages can carry the id (1.6 idTag: 20 characters, 2.0.1 idToken: 36)."""
    return len(uid) <= (20 if ocpp_version == "1.6" else 36)


_TOKEN_COLUMNS = (
    IdTokenRecord.uid,
    IdTokenRecord.type,
    IdTokenRecord.status,
    IdTokenRecord.user_id,
    IdTokenRecord.expires_at,
    IdTokenRecord.group_id,
)
_LISTED = IdTokenRecord.type != "Central"  # app tokens live for one session: never in a list or cache


class LocalListKeeper:
    """Sends local lists and cache clears; `upkeep` runs on a timer in every process that holds charger sockets."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        send_command: SendCommand,
        held: HeldChargers | None = None,
        *,
        master_pass_group_id: str = "",
    ) -> None:
        self._session_factory = session_factory
        self._master_pass_group_id = master_pass_group_id
        self._master_pass_told: set[str] = set()  # 2.0.1 chargers told the master pass group on this connection
        self._send = send_command
        self._held = held or dict
        self._capabilities: dict[str, tuple[float, Capabilities]] = {}
        self._watermark = utc_now()

    # ----- capabilities ----------------------------------------------------------------------------------------

    async def capabilities(self, charger_id: str, ocpp_version: str) -> Capabilities:
        now = utc_now().timestamp()
        cached = self._capabilities.get(charger_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        keys = _V16_KEYS if ocpp_version == "1.6" else _V201_KEYS
        try:
            result = await self._send(charger_id, commands.GetConfiguration(keys=keys))
        except (errors.CommandRejected, errors.InvalidCommandResult, errors.CommandTimeout):
            found = Capabilities(local_list=False)
        else:
            if not isinstance(result, commands.ConfigurationResult):
                found = Capabilities(local_list=False)
            else:
                found = capabilities_of(result, ocpp_version)
        self._capabilities[charger_id] = (now + CAPABILITY_TTL_SECONDS, found)
        return found

    def forget(self, charger_id: str) -> None:
        """Ask again next time (e.g. its configuration changed)."""
        self._capabilities.pop(charger_id, None)

    # ----- full and differential lists -------------------------------------------------------------------------

    async def _station(self, session: AsyncSession, charger_id: str) -> tuple[uuid.UUID, str | None]:
        row = (
            await session.execute(
                select(ChargingStation.id, ChargingStation.ocpp_version).where(ChargingStation.ocpp_id == charger_id)
            )
        ).one_or_none()
        if row is None:
            raise LookupError(f"No charger {charger_id!r}.")
        return row[0], row[1]

    async def _state(self, session: AsyncSession, station_id: uuid.UUID) -> ChargerLocalList:
        state = await session.get(ChargerLocalList, station_id)
        if state is None:
            state = ChargerLocalList(  # blocks since the last upkeep still clear its cache
                charging_station_id=station_id, version=0, entries=0, synced_at=None, cache_checked_at=self._watermark
            )
            session.add(state)
            await session.flush()
        return state

    async def _send_parts(
        self, charger_id: str, first_type: str, version: int, entries: list[commands.LocalListEntry], per_message: int
    ) -> tuple[str, int, int]:
        """Send in parts of at most `per_message` entries, each with the next version; (status, version, sent)."""
        parts = [entries[i : i + per_message] for i in range(0, len(entries), per_message)] or [[]]
        status = "Accepted"
        sent = 0
        for index, part in enumerate(parts):
            update_type = first_type if index == 0 else "Differential"
            result = await self._send(
                charger_id,
                commands.SendLocalList(version=version + index, update_type=update_type, entries=tuple(part)),  # type: ignore[arg-type]
            )
            sent += 1
            status = getattr(result, "status", "Failed")
            if status != "Accepted":
                return status, version + index - 1, sent
        return status, version + len(parts) - 1, sent

    async def sync_full(self, charger_id: str, ocpp_version: str | None = None) -> SyncOutcome:
        """Send the whole list to the charger; its version is one above the one we recorded."""
        async with self._session_factory() as session, session.begin():
            station_id, stored_version = await self._station(session, charger_id)
            ocpp_version = ocpp_version or stored_version or "1.6"
            state = await self._state(session, station_id)
            base = state.version
        found = await self.capabilities(charger_id, ocpp_version)
        if not found.local_list:
            await self._record(station_id, status="NotSupported", version=0, entries=0, synced=None)
            return SyncOutcome(charger_id=charger_id, status="NotSupported", version=0, entries=0, messages=0)
        read_at = utc_now()
        async with self._session_factory() as session:
            rows = (await session.execute(select(*_TOKEN_COLUMNS).where(_LISTED).order_by(IdTokenRecord.uid))).all()
        entries = [
            entry_of(row[0], row[1], TokenRecord(*row[2:]), read_at) for row in rows if fits(row[0], ocpp_version)
        ]
        entries.sort(key=lambda entry: entry.status != "Accepted")  # when the list is capped, valid cards first
        if found.max_entries is not None and len(entries) > found.max_entries:
            logger.warning("local list of %s capped at %d of %d tokens", charger_id, found.max_entries, len(entries))
            entries = entries[: found.max_entries]
        status, version, sent = await self._send_parts(charger_id, "Full", base + 1, entries, found.items_per_message)
        accepted = status == "Accepted"
        await self._record(
            station_id,
            status=status,
            version=version if accepted else base,
            entries=len(entries) if accepted else None,
            synced=read_at if accepted else None,
        )
        return SyncOutcome(
            charger_id=charger_id,
            status=status,
            version=version if accepted else base,
            entries=len(entries),
            messages=sent,
        )

    async def _record(
        self, station_id: uuid.UUID, *, status: str, version: int, entries: int | None, synced: datetime | None
    ) -> None:
        values: dict[str, object] = {"version": version, "last_status": status, "requested_at": None}
        if entries is not None:
            values["entries"] = entries
        if synced is not None:
            values["synced_at"] = synced
        async with self._session_factory() as session, session.begin():
            await self._state(session, station_id)
            await session.execute(
                update(ChargerLocalList).where(ChargerLocalList.charging_station_id == station_id).values(**values)
            )

    async def push_changes(self, charger_id: str, ocpp_version: str) -> SyncOutcome | None:
        """A Differential update of the tokens changed since the charger's last update; the full list again when
        the charger answers VersionMismatch or Failed. None when it holds no list of ours or nothing changed."""
        read_at = utc_now()
        async with self._session_factory() as session, session.begin():
            station_id, _ = await self._station(session, charger_id)
            state = await self._state(session, station_id)
            if state.version <= 0 or state.synced_at is None:
                return None
            since, base, count = state.synced_at, state.version, state.entries
            rows = (
                await session.execute(
                    select(*_TOKEN_COLUMNS).where(
                        _LISTED,
                        or_(
                            IdTokenRecord.updated_at > since,
                            and_(IdTokenRecord.expires_at > since, IdTokenRecord.expires_at <= read_at),
                        ),
                    )
                )
            ).all()
        if not rows:
            return None
        found = await self.capabilities(charger_id, ocpp_version)
        if not found.local_list:
            return None
        entries = [
            entry_of(row[0], row[1], TokenRecord(*row[2:]), read_at) for row in rows if fits(row[0], ocpp_version)
        ]
        status, version, sent = await self._send_parts(
            charger_id, "Differential", base + 1, entries, found.items_per_message
        )
        if status in ("VersionMismatch", "Failed"):
            logger.info("local list of %s answered %s: sending the full list", charger_id, status)
            return await self.sync_full(charger_id, ocpp_version)
        accepted = status == "Accepted"
        await self._record(
            station_id,
            status=status,
            version=version if accepted else base,
            entries=count + len(entries) if accepted else None,  # an upper bound: some were in the list already
            synced=read_at if accepted else None,
        )
        return SyncOutcome(charger_id=charger_id, status=status, version=version, entries=len(entries), messages=sent)

    async def state(self, charger_id: str, *, ask_charger: bool = False) -> LocalListState:
        async with self._session_factory() as session, session.begin():
            station_id, _ = await self._station(session, charger_id)
            state = await self._state(session, station_id)
            found = LocalListState(
                charger_id=charger_id,
                version=state.version,
                entries=state.entries,
                synced_at=state.synced_at,
                last_status=state.last_status,
            )
        if ask_charger:
            try:
                result = await self._send(charger_id, commands.GetLocalListVersion())
            except errors.OcppBridgeError:
                return found
            if isinstance(result, commands.ListVersionResult):
                found = msgspec.structs.replace(found, charger_version=result.version)
        return found

    async def request_full(self, charger_id: str) -> None:
        """Ask whichever process holds the charger to send it the full list at its next upkeep."""
        async with self._session_factory() as session, session.begin():
            station_id, _ = await self._station(session, charger_id)
            await self._state(session, station_id)
            await session.execute(
                update(ChargerLocalList)
                .where(ChargerLocalList.charging_station_id == station_id)
                .values(requested_at=utc_now())
            )

    # ----- cache -----------------------------------------------------------------------------------------------

    async def clear_cache_if_blocked(self, charger_id: str, ocpp_version: str) -> bool:
        """ClearCache when a token was blocked (or expired) since we last looked, if the charger has a cache."""
        read_at = utc_now()
        async with self._session_factory() as session, session.begin():
            station_id, _ = await self._station(session, charger_id)
            state = await self._state(session, station_id)
            since = state.cache_checked_at or read_at
            blocked = (
                await session.execute(
                    select(IdTokenRecord.uid)
                    .where(
                        _LISTED,
                        or_(
                            and_(IdTokenRecord.status != "Accepted", IdTokenRecord.updated_at > since),
                            and_(IdTokenRecord.expires_at > since, IdTokenRecord.expires_at <= read_at),
                        ),
                    )
                    .limit(1)
                )
            ).first()
            state.cache_checked_at = read_at
        if blocked is None:
            return False
        found = await self.capabilities(charger_id, ocpp_version)
        if not found.cache:
            return False
        result = await self._send(charger_id, commands.ClearCache())
        return getattr(result, "status", "") == "Accepted"

    # ----- on a timer ------------------------------------------------------------------------------------------

    async def upkeep(self) -> None:
        """For the chargers this process holds: full lists asked for, differential updates, cache clears."""
        held = self._held()
        self._master_pass_told &= held.keys()  # a charger that reconnects is told again
        if not held:
            return
        await self.tell_master_pass(held)
        now = utc_now()
        async with self._session_factory() as session:
            lists = (
                await session.execute(
                    select(ChargingStation.ocpp_id, ChargerLocalList.version, ChargerLocalList.requested_at).join(
                        ChargerLocalList, ChargerLocalList.charging_station_id == ChargingStation.id
                    )
                )
            ).all()
            # index range scans only (an OR of them would read the whole table every few seconds)
            changed = await self._first(session, IdTokenRecord.updated_at > self._watermark) or await self._first(
                session, IdTokenRecord.expires_at > self._watermark, IdTokenRecord.expires_at <= now
            )
            blocked = changed and await self._first(
                session, IdTokenRecord.updated_at > self._watermark, IdTokenRecord.status != "Accepted"
            )
        requested = {ocpp_id for ocpp_id, _, asked in lists if asked is not None and ocpp_id in held}
        for charger_id in sorted(requested):
            await self._quietly(self.sync_full(charger_id, held[charger_id]), charger_id)
        if changed:
            holding_lists = {ocpp_id for ocpp_id, version, _ in lists if version > 0 and ocpp_id in held}
            for charger_id in sorted(holding_lists - requested):
                await self._quietly(self.push_changes(charger_id, held[charger_id]), charger_id)
        if blocked:  # a cached Accepted must not outlive a block: every cache here is cleared
            for charger_id, version in held.items():
                await self._quietly(self.clear_cache_if_blocked(charger_id, version), charger_id)
        self._watermark = now

    @staticmethod
    async def _first(session: AsyncSession, *conditions: ColumnElement[bool]) -> bool:
        found = await session.execute(select(IdTokenRecord.uid).where(*conditions).limit(1))
        return found.first() is not None

    async def tell_master_pass(self, held: dict[str, str]) -> None:
        """2.0.1 chargers apply the master pass themselves (C16): set AuthCtrlr.MasterPassGroupId on each."""
        if not self._master_pass_group_id:
            return
        for charger_id, ocpp_version in held.items():
            if ocpp_version == "1.6" or charger_id in self._master_pass_told:
                continue
            self._master_pass_told.add(charger_id)
            request = commands.ChangeConfiguration(key="AuthCtrlr.MasterPassGroupId", value=self._master_pass_group_id)
            await self._quietly(self._send(charger_id, request), charger_id)

    @staticmethod
    async def _quietly(work: Awaitable[object], charger_id: str) -> None:
        try:
            await work
        except (errors.OcppBridgeError, LookupError) as exc:
            logger.info("authorisation upkeep of %s: %s", charger_id, exc)
