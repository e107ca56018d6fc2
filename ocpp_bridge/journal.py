"""The message journal: each charger's last OCPP frames, both directions, kept in memory by the process holding its
socket, so support can see what a charger and the central system said to each other (and just before a drop).

Recording is on the hot path of every message, so it costs one tuple appended to a bounded list: the frame is kept as
the str/bytes the socket gave or took (referenced, not copied) with its arrival time. Decoding, matching results to
the Calls they answer and taking secrets out happen only when someone reads the journal. A list rather than a
``deque(maxlen=...)``: a deque takes 760 bytes from its first frame, a list grows with the frames (88 bytes for a
charger that just booted), which keeps an idle connection small; dropping the oldest costs some 40 ns more.

A charger's journal outlives its connection: it is kept while the charger is away, up to ``retained`` disconnected
chargers (the longest gone is dropped first), and continues when the charger connects again (to any process: a
journal lives where the socket was).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any, Final, Literal

import msgspec

Direction = Literal["charger->csms", "csms->charger"]
MessageType = Literal["Call", "CallResult", "CallError"]

FROM_CHARGER: Final[Direction] = "charger->csms"
TO_CHARGER: Final[Direction] = "csms->charger"
DEFAULT_SIZE: Final = 50
DEFAULT_RETAINED: Final = 1000  # disconnected chargers whose journal is kept
DEFAULT_FRAME_LIMIT: Final = 4096  # longer frames (device model reports, firmware chains) keep only their head
CONNECTION_EVENTS: Final = 10  # connects and drops remembered per charger
REDACTED: Final = "[redacted]"
_HEAD: Final = 200
_TYPES: Final[dict[int, MessageType]] = {2: "Call", 3: "CallResult", 4: "CallError"}
# the start of an OCPP-J frame: message type, unique id and, for a Call, the action
_FRAME_HEAD = re.compile(r'\s*\[\s*([234])\s*,\s*"((?:[^"\\]|\\.)*)"\s*(?:,\s*"((?:[^"\\]|\\.)*)")?')

# What never leaves the journal. Mirrors the log filter (api/logs.py) and the command audit: any field named like a
# password; the value of the charger password setting (1.6 AuthorizationKey, 2.0.1 SecurityCtrlr.BasicAuthPassword)
# wherever it is set, read or reported; certificates, signing requests and keys, and any PEM block.
_SECRET_SETTINGS: Final = frozenset({"AuthorizationKey", "BasicAuthPassword", "SecurityCtrlr.BasicAuthPassword"})
_SETTING_VALUES: Final = frozenset({"value", "attributeValue"})
_KEY_FIELDS: Final = frozenset(
    {"certificate", "certificatechain", "csr", "exirequest", "exiresponse", "privatekey", "signingcertificate"}
)
_PEM: Final = "-----BEGIN"
_SUSPECT = re.compile(r"password|authorizationkey|certificate|csr|privatekey|-----BEGIN", re.IGNORECASE)


class _Clipped:
    """A frame over the size limit: its head (for type, id and action) and its length."""

    __slots__ = ("head", "size")

    def __init__(self, head: str, size: int) -> None:
        self.head = head
        self.size = size


Frame = str | bytes | _Clipped


class JournalFrame(msgspec.Struct, frozen=True, kw_only=True):
    """One frame as read: ``action`` of a result is the action of the Call it answers (None once that Call has
    left the journal); ``payload`` is the Call's or result's payload, or a CallError's details, without secrets;
    ``truncated`` frames were too large to keep and show no payload."""

    at: datetime
    direction: Direction
    message_type: MessageType | None  # None: not an OCPP-J frame (answered with a CallError)
    unique_id: str | None
    action: str | None
    payload: Any = None
    error_code: str | None = None
    error_description: str | None = None
    size: int
    truncated: bool = False


class ConnectionEvent(msgspec.Struct, frozen=True, kw_only=True):
    at: datetime
    event: Literal["connected", "disconnected"]
    ocpp_version: str | None = None
    close_code: int | None = None
    close_reason: str | None = None


class JournalSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    """A charger's journal as read, oldest frame first."""

    charger_id: str
    connected: bool
    frames: tuple[JournalFrame, ...]
    connections: tuple[ConnectionEvent, ...] = ()


class ChargerJournal:
    """One charger's frames; ``record`` is called by its session for every frame in or out."""

    __slots__ = ("charger_id", "connections", "frame_limit", "frames", "size", "sockets")

    def __init__(self, charger_id: str, size: int, frame_limit: int = DEFAULT_FRAME_LIMIT) -> None:
        self.charger_id = charger_id
        self.size = size
        self.frames: list[tuple[float, bool, Frame]] = []  # oldest first, at most ``size``
        self.frame_limit = frame_limit
        self.sockets = 0  # connections recording into it (two for a moment while a new one replaces the old)
        self.connections: list[ConnectionEvent] = []  # a list: an idle connection's journal is its memory too

    def record(self, at: float, from_charger: bool, data: str | bytes) -> None:
        """Keep one frame (``at`` in seconds since the epoch)."""
        frames = self.frames
        if len(data) > self.frame_limit:
            head = data[:_HEAD]
            text = head.decode("utf-8", "replace") if isinstance(head, bytes) else head
            frames.append((at, from_charger, _Clipped(text, len(data))))
        else:
            frames.append((at, from_charger, data))
        if len(frames) > self.size:
            del frames[0]

    def changed(self, event: ConnectionEvent) -> None:
        """A connect or drop, kept with the last few."""
        self.connections.append(event)
        del self.connections[:-CONNECTION_EVENTS]

    def snapshot(self, limit: int | None = None) -> JournalSnapshot:
        """The last ``limit`` frames (all when None), decoded and without secrets, oldest first."""
        frames = list(self.frames)
        calls: dict[tuple[bool, str], str] = {}  # (from the charger, unique id) -> action
        read: list[JournalFrame] = []
        for at, from_charger, data in frames:
            frame = _read(at, from_charger, data, calls)
            read.append(frame)
        if limit is not None:
            read = read[-limit:] if limit > 0 else []
        return JournalSnapshot(
            charger_id=self.charger_id,
            connected=self.sockets > 0,
            frames=tuple(read),
            connections=tuple(self.connections),
        )


class MessageJournal:
    """The journals of the chargers connected to this process and of the last ``retained`` that disconnected.

    ``size`` 0 keeps no journal at all (``attach`` returns None and nothing is recorded).
    """

    def __init__(
        self, size: int = DEFAULT_SIZE, *, retained: int = DEFAULT_RETAINED, frame_limit: int = DEFAULT_FRAME_LIMIT
    ) -> None:
        if size < 0 or retained < 0 or frame_limit < _HEAD:
            msg = f"journal size and retention must not be negative and the frame limit at least {_HEAD}"
            raise ValueError(msg)
        self.size = size
        self.retained = retained
        self.frame_limit = frame_limit
        self._live: dict[str, ChargerJournal] = {}
        self._gone: OrderedDict[str, ChargerJournal] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.size > 0

    def attach(self, charger_id: str, ocpp_version: str) -> ChargerJournal | None:
        """The journal a new connection records into: the charger's kept journal, continued, or a new one."""
        if not self.enabled:
            return None
        journal = self._live.get(charger_id) or self._gone.pop(charger_id, None)
        if journal is None:
            journal = ChargerJournal(charger_id, self.size, self.frame_limit)
        self._live[charger_id] = journal
        journal.sockets += 1
        journal.changed(ConnectionEvent(at=_now(), event="connected", ocpp_version=ocpp_version))
        return journal

    def detach(self, journal: ChargerJournal, close_code: int | None, close_reason: str | None) -> None:
        """The connection recording into ``journal`` closed: keep the journal among the disconnected ones (unless a
        newer connection of the charger records into it too)."""
        journal.changed(
            ConnectionEvent(at=_now(), event="disconnected", close_code=close_code, close_reason=close_reason or None)
        )
        journal.sockets = max(0, journal.sockets - 1)
        if journal.sockets or self._live.get(journal.charger_id) is not journal:
            return
        del self._live[journal.charger_id]
        if self.retained == 0:
            return
        self._gone[journal.charger_id] = journal
        while len(self._gone) > self.retained:
            self._gone.popitem(last=False)

    def get(self, charger_id: str) -> ChargerJournal | None:
        """The charger's journal if this process has one (connected here, or kept since it disconnected here)."""
        return self._live.get(charger_id) or self._gone.get(charger_id)

    def read(self, charger_id: str, limit: int | None = None) -> JournalSnapshot | None:
        journal = self.get(charger_id)
        return None if journal is None else journal.snapshot(limit)


def _now() -> datetime:
    return datetime.now(UTC)


def _read(at: float, from_charger: bool, data: Frame, calls: dict[tuple[bool, str], str]) -> JournalFrame:
    direction = FROM_CHARGER if from_charger else TO_CHARGER
    moment = datetime.fromtimestamp(at, UTC)
    if isinstance(data, _Clipped):
        match = _FRAME_HEAD.match(data.head)
        if match is None:
            return JournalFrame(
                at=moment, direction=direction, message_type=None, unique_id=None, action=None, size=data.size,
                truncated=True,
            )  # fmt: skip
        message_type = _TYPES[int(match.group(1))]
        unique_id = match.group(2)
        action = match.group(3) if message_type == "Call" else calls.get((not from_charger, unique_id))
        if message_type == "Call" and action is not None:
            calls[(from_charger, unique_id)] = action
        return JournalFrame(
            at=moment, direction=direction, message_type=message_type, unique_id=unique_id, action=action,
            size=data.size, truncated=True,
        )  # fmt: skip
    size = len(data)
    try:
        items = msgspec.json.decode(data)
    except msgspec.DecodeError:
        items = None
    if not isinstance(items, list) or len(items) < 3 or items[0] not in _TYPES or not isinstance(items[1], str):
        return JournalFrame(
            at=moment, direction=direction, message_type=None, unique_id=None, action=None, size=size,
            payload=_text(data),
        )  # fmt: skip
    message_type = _TYPES[items[0]]
    unique_id = items[1]
    if message_type == "Call":
        action = items[2] if isinstance(items[2], str) else None
        if action is not None:
            calls[(from_charger, unique_id)] = action
        payload = items[3] if len(items) > 3 else None
        return JournalFrame(
            at=moment, direction=direction, message_type="Call", unique_id=unique_id, action=action, size=size,
            payload=redact(payload),
        )  # fmt: skip
    action = calls.get((not from_charger, unique_id))
    if message_type == "CallResult":
        return JournalFrame(
            at=moment, direction=direction, message_type="CallResult", unique_id=unique_id, action=action, size=size,
            payload=redact(items[2]),
        )  # fmt: skip
    return JournalFrame(
        at=moment, direction=direction, message_type="CallError", unique_id=unique_id, action=action, size=size,
        error_code=items[2] if isinstance(items[2], str) else None,
        error_description=items[3] if len(items) > 3 and isinstance(items[3], str) else None,
        payload=redact(items[4]) if len(items) > 4 else None,
    )  # fmt: skip


def _text(data: str | bytes) -> str:
    """The head of a frame that is not OCPP-J, as text; all of it redacted when it may hold a secret, as it cannot
    be taken apart."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    if _SUSPECT.search(text):
        return REDACTED
    return text if len(text) <= _HEAD else text[:_HEAD] + "..."


def _names_secret(item: dict[str, Any]) -> bool:
    """An object about the password setting: a 1.6 configuration key, or a 2.0.1 variable (set, got or reported)."""
    key = item.get("key")
    if isinstance(key, str) and key in _SECRET_SETTINGS:
        return True
    variable = item.get("variable")
    if isinstance(variable, dict):
        variable = variable.get("name")
    return isinstance(variable, str) and variable in _SECRET_SETTINGS


def redact(value: Any, *, secret: bool = False) -> Any:
    """``value`` (a decoded payload) with every secret replaced by ``[redacted]``; ``secret``: the value of a setting
    inside is the password."""
    if isinstance(value, dict):
        secret = secret or _names_secret(value)
        clean: dict[str, Any] = {}
        for name, item in value.items():
            lowered = name.lower()
            if "password" in lowered or lowered in _KEY_FIELDS or (secret and name in _SETTING_VALUES):
                clean[name] = REDACTED
            else:
                clean[name] = redact(item, secret=secret)
        return clean
    if isinstance(value, list):
        return [redact(item, secret=secret) for item in value]
    if isinstance(value, str) and _PEM in value:
        return REDACTED
    return value
