"""A driver's RFID cards: registering, listing and blocking them.

The OCPP bridge's Authorize reads the same `id_tokens` rows (caching each verdict for two seconds), so a card added
here is accepted at chargers and a blocked one refused. Card uids are kept as chargers report them: upper-case hex
without separators.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import IdTokenRecord, User
from api.db.types import utc_now
from api.domain.drivers.limits import check_room_for_card
from api.errors import Conflict, FieldError, InvalidInput, NotFound, Unauthorized
from api.schema import AppStruct
from api.settings import Settings

ACCEPTED = "Accepted"
BLOCKED = "Blocked"
_SEPARATORS = re.compile(r"[\s:\-.]")
# The same rule for the API document: 4 to 10 bytes of hex, each digit maybe followed by separators (the
# whitespace str.strip() knows, colons, hyphens, dots; no control characters).
_SEPARATOR = r"[ :.\-\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*"
UID_PATTERN = rf"^{_SEPARATOR}(?:[0-9A-Fa-f]{_SEPARATOR}[0-9A-Fa-f]{_SEPARATOR}){{4,10}}$"
_HEX_UID = re.compile(r"[0-9A-F]{8,20}")


class IdTokenCreate(AppStruct):
    uid: Annotated[
        str,
        msgspec.Meta(
            min_length=8,
            max_length=64,
            pattern=UID_PATTERN,
            description="The card's uid in hex, 4 to 10 bytes; separators (:, -, ., spaces) are ignored",
            examples=["04:A2:2B:5A:7C:6E:80"],
        ),
    ]
    label: Annotated[str, msgspec.Meta(max_length=100, examples=["Blue key fob"])] | None = None


class IdTokenOut(AppStruct):
    """A card in OCPI Token terms: `uid`, `type`, `valid` (False once blocked or expired)."""

    id: uuid.UUID
    uid: str
    label: str | None
    valid: bool
    created_at: datetime
    type: Literal["RFID"] = "RFID"
    expires_at: datetime | None = None


def normalise_uid(raw: str) -> str:
    """`04:a2:2b:5a` -> `04A22B5A`; a uid must be 4 to 10 bytes of hex (OCPP idTokens are at most 20 characters)."""
    uid = _SEPARATORS.sub("", raw).upper()
    if not _HEX_UID.fullmatch(uid) or len(uid) % 2:
        raise InvalidInput([FieldError("uid", "must be the card's uid in hex: 4 to 10 bytes, e.g. 04A22B5A7C6E80")])
    return uid


def token_out(record: IdTokenRecord) -> IdTokenOut:
    return IdTokenOut(
        id=record.id,
        uid=record.uid,
        label=record.label,
        valid=record.status == ACCEPTED and (record.expires_at is None or record.expires_at > utc_now()),
        created_at=record.created_at,
        expires_at=record.expires_at,
    )


async def list_driver_tokens(session: AsyncSession, user_id: uuid.UUID) -> list[IdTokenOut]:
    query = select(IdTokenRecord).where(IdTokenRecord.user_id == user_id).order_by(IdTokenRecord.created_at)
    return [token_out(record) for record in (await session.execute(query)).scalars()]


async def add_driver_token(
    session: AsyncSession, settings: Settings, user_id: uuid.UUID, request: IdTokenCreate
) -> tuple[IdTokenOut, bool]:
    """Register a card for the driver; (token, created). Adding one's own card again changes nothing.

    An erased account gets no card: its cards were blocked on erasure, and a new one would be accepted for good.
    """
    uid = normalise_uid(request.uid)
    # Lock the account row (PostgreSQL), so an erasure running now cannot miss the card.
    user = await session.get(User, user_id, with_for_update=True)
    if user is None or user.erased_at is not None:
        raise Unauthorized("This account no longer exists.")
    label = request.label.strip() or None if request.label is not None else None
    existing = (await session.execute(select(IdTokenRecord).where(IdTokenRecord.uid == uid))).scalar_one_or_none()
    if existing is not None:
        if existing.user_id != user_id:
            raise Conflict("This card is already registered; if it is yours, contact support.")
        return token_out(existing), False
    await check_room_for_card(session, settings, user_id)
    record = IdTokenRecord(id=uuid.uuid4(), uid=uid, type="RFID", user_id=user_id, status=ACCEPTED, label=label)
    session.add(record)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise Conflict("This card is already registered; if it is yours, contact support.") from None
    return token_out(record), True


async def block_driver_token(session: AsyncSession, user_id: uuid.UUID, token_id: uuid.UUID) -> IdTokenOut:
    """Block a lost card for good; chargers refuse it within seconds. Unblocking is for support."""
    record = await session.get(IdTokenRecord, token_id)
    if record is None or record.user_id != user_id:
        raise NotFound("No card with this id on your account.")
    if record.status != BLOCKED:
        record.status = BLOCKED
        await session.commit()
    return token_out(record)


class TokenAuthorisation(AppStruct):
    """How chargers are to treat a card: its status, until when it is valid, and its group (OCPP groupIdToken)."""

    status: Literal["Accepted", "Blocked"] = "Accepted"
    expires_at: datetime | None = None
    group_id: Annotated[str, msgspec.Meta(min_length=1, max_length=20, examples=["FLEET-ACME"])] | None = None


class TokenAuthorisationOut(TokenAuthorisation, kw_only=True):
    uid: str = ""
    updated_at: datetime | None = None


async def set_token_authorisation(
    session: AsyncSession, uid: str, authorisation: TokenAuthorisation
) -> TokenAuthorisationOut:
    """Set a card's status, expiry and group; chargers' local lists and caches follow within seconds."""
    record = (await session.execute(select(IdTokenRecord).where(IdTokenRecord.uid == uid))).scalar_one_or_none()
    if record is None:
        raise NotFound(f"No card {uid!r}.")
    if authorisation.expires_at is not None and authorisation.expires_at.tzinfo is None:
        raise InvalidInput([FieldError("expiresAt", "must carry a time zone, e.g. 2027-01-31T23:59:59Z")])
    record.status = authorisation.status
    record.expires_at = authorisation.expires_at
    record.group_id = authorisation.group_id
    await session.commit()
    return TokenAuthorisationOut(
        uid=record.uid,
        status=authorisation.status,
        expires_at=record.expires_at,
        group_id=record.group_id,
        updated_at=record.updated_at,
    )
