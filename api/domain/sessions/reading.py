"""What the app reads about sessions: one session's view (live when this process holds its charger, else the
latest published update or the stored samples), a driver's or a guest's session, the active ones and the history
by cursor."""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from datetime import datetime

import msgspec
from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import ChargingSession
from api.db.models.sessions import OPEN_STATUSES
from api.db.types import utc_now
from api.domain.sessions.core import SessionCore
from api.domain.sessions.schemas import SessionView
from api.domain.sessions.views import payment_state, view_of
from api.errors import FieldError, InvalidInput, NotFound


class SessionReading(SessionCore):
    """Reading sessions for the app."""

    async def view(self, session: AsyncSession, record: ChargingSession) -> SessionView:
        row = await self._row(session, record)
        if record.transaction_id is not None:
            live = self._live.get(record.transaction_id)
            if live is not None:
                live.row.update({k: row[k] for k in ("status", "payment_status", "stop_reason", "updated_at")})
                return view_of(live.row, live.meter, utc_now())
            latest = self.updates.latest(record.id)
            if latest is not None and record.status in OPEN_STATUSES:
                published = msgspec.json.decode(latest, type=SessionView)
                return msgspec.structs.replace(published, status=record.status, payment=payment_state(row))
        meter = None if record.status == "completed" else await self._meter_from_store(session, record)
        return view_of(row, meter, utc_now())

    async def get_owned(self, session: AsyncSession, session_id: uuid.UUID, user_id: uuid.UUID) -> ChargingSession:
        record = await session.get(ChargingSession, session_id)
        if record is None or record.user_id != user_id:
            raise NotFound("No such session.")
        return record

    async def get_guest(self, session: AsyncSession, session_id: uuid.UUID, secret: str) -> ChargingSession:
        record = await session.get(ChargingSession, session_id)
        digest = hashlib.sha256(secret.encode()).hexdigest()
        if (
            record is None
            or record.guest_secret_hash is None
            or not secrets.compare_digest(record.guest_secret_hash, digest)
        ):
            raise NotFound("No such session, or the link is not valid.")
        return record

    async def active(self, session: AsyncSession, user_id: uuid.UUID) -> list[SessionView]:
        records = (
            await session.execute(
                select(ChargingSession)
                .where(ChargingSession.user_id == user_id, ChargingSession.status.in_(OPEN_STATUSES))
                .order_by(ChargingSession.created_at.desc())
            )
        ).scalars()
        return [await self.view(session, record) for record in records]

    async def history(
        self, session: AsyncSession, user_id: uuid.UUID, cursor: str | None, limit: int
    ) -> tuple[list[ChargingSession], str | None]:
        query = select(ChargingSession).where(ChargingSession.user_id == user_id)
        if cursor:
            try:
                created_text, _, id_text = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
                created, last_id = datetime.fromisoformat(created_text), uuid.UUID(id_text)
            except (ValueError, UnicodeDecodeError):
                raise InvalidInput([FieldError("cursor", "not a cursor this API gave out", source="query")]) from None
            query = query.where(
                or_(
                    ChargingSession.created_at < created,
                    and_(ChargingSession.created_at == created, ChargingSession.id < last_id),
                )
            )
        records = list(
            (
                await session.execute(
                    query.order_by(ChargingSession.created_at.desc(), ChargingSession.id.desc()).limit(limit + 1)
                )
            ).scalars()
        )
        next_cursor = None
        if len(records) > limit:
            records = records[:limit]
            last = records[-1]
            next_cursor = base64.urlsafe_b64encode(f"{last.created_at.isoformat()}|{last.id}".encode()).decode()
        return records, next_cursor
