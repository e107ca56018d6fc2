"""How much one account may keep: devices, RFID cards, new assistant conversations per day.

Without caps one account registered thousands of devices; each cap is a setting and answers a 409 `limit-reached`
problem that says what to remove.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import ChatConversation, Device, IdTokenRecord
from api.db.types import utc_now
from api.errors import LimitReached
from api.settings import Settings


async def _count(session: AsyncSession, statement: Select[int]) -> int:
    return int(await session.scalar(statement) or 0)


async def check_room_for_device(session: AsyncSession, settings: Settings, user_id: uuid.UUID) -> None:
    cap = settings.max_devices_per_account
    if cap <= 0:
        return
    count = await _count(session, select(func.count()).select_from(Device).where(Device.user_id == user_id))
    if count >= cap:
        raise LimitReached(f"An account can register at most {cap} devices; remove one you no longer use first.")


async def check_room_for_card(session: AsyncSession, settings: Settings, user_id: uuid.UUID) -> None:
    cap = settings.max_cards_per_account
    if cap <= 0:
        return
    statement = select(func.count()).select_from(IdTokenRecord).where(IdTokenRecord.user_id == user_id)
    if await _count(session, statement) >= cap:
        raise LimitReached(f"An account can have at most {cap} RFID cards; contact support to remove old ones.")


async def check_room_for_conversation(session: AsyncSession, settings: Settings, user_id: uuid.UUID) -> None:
    cap = settings.max_conversations_per_day
    if cap <= 0:
        return
    statement = (
        select(func.count())
        .select_from(ChatConversation)
        .where(ChatConversation.user_id == user_id, ChatConversation.created_at > utc_now() - timedelta(days=1))
    )
    if await _count(session, statement) >= cap:
        raise LimitReached(
            f"An account can open at most {cap} conversations a day; continue an open one or contact support."
        )
