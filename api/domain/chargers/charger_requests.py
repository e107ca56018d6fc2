"""Progress of what was asked of a charger and answered over time, per request id: log uploads
(LogStatusNotification), customer information (NotifyCustomerInformation, in parts), display messages
(NotifyDisplayMessages), device-model and monitoring reports (NotifyReport / NotifyMonitoringReport parts) and
firmware publishing (PublishFirmwareStatusNotification)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import ChargerRequest
from api.db.types import utc_now
from api.schema import AppStruct

RequestKind = Literal[
    "log", "customer-information", "display-messages", "report", "monitoring-report", "publish-firmware"
]
REQUEST_KINDS: tuple[str, ...] = RequestKind.__args__  # type: ignore[attr-defined]
_HISTORY_LIMIT = 50


async def _request(session: AsyncSession, station_id: uuid.UUID, kind: str, request_id: int) -> ChargerRequest:
    """The stored request, created on its first message (a charger may report a request it was not asked here)."""
    found = (
        await session.execute(
            select(ChargerRequest).where(
                ChargerRequest.charging_station_id == station_id,
                ChargerRequest.kind == kind,
                ChargerRequest.request_id == request_id,
            )
        )
    ).scalar_one_or_none()
    if found is None:
        found = ChargerRequest(
            charging_station_id=station_id, kind=kind, request_id=request_id, parts=0, data="", detail={}
        )
        session.add(found)
    return found


async def record_status(
    session: AsyncSession,
    station_id: uuid.UUID,
    kind: str,
    request_id: int,
    status: str,
    at: datetime,
    *,
    complete: bool,
    extra: dict[str, Any] | None = None,
) -> None:
    """A status step (Uploading, Uploaded, Published...) appended to the request's history."""
    request = await _request(session, station_id, kind, request_id)
    history = [*list((request.detail or {}).get("history", [])), {"status": status, "at": at.isoformat()}]
    request.detail = {**(request.detail or {}), **(extra or {}), "history": history[-_HISTORY_LIMIT:]}
    request.status = status
    request.complete = complete
    request.updated_at = utc_now()


async def record_part(
    session: AsyncSession,
    station_id: uuid.UUID,
    kind: str,
    request_id: int,
    seq_no: int | None,
    *,
    to_be_continued: bool,
    data: str | None = None,
    items: list[Any] | None = None,
) -> None:
    """One part of a multi-part answer (``tbc``/``seqNo``); text parts are joined in ``seqNo`` order, items kept.
    Without a ``seq_no`` (NotifyDisplayMessages has none) a part continues an answer still incomplete."""
    request = await _request(session, station_id, kind, request_id)
    if seq_no is None:
        seq_no = 0 if request.complete or not request.parts else request.parts
    detail = dict(request.detail or {})
    if seq_no == 0:  # a new answer to the same request id replaces the previous one
        detail = {}
    if data is not None:
        parts = {**detail.get("parts", {}), str(seq_no): data}
        detail["parts"] = parts
        request.data = "".join(parts[key] for key in sorted(parts, key=int))
    if items is not None:
        detail["items"] = [*(detail.get("items", []) if seq_no else []), *items]
    request.detail = detail
    request.parts = (request.parts if seq_no else 0) + 1
    request.complete = not to_be_continued
    request.status = "Received" if not to_be_continued else "Receiving"
    request.updated_at = utc_now()


class ChargerRequestView(AppStruct):
    kind: str
    request_id: int
    status: str | None
    complete: bool
    parts: int
    data: str
    detail: dict[str, Any]
    created_at: datetime
    updated_at: datetime


def _view(row: ChargerRequest) -> ChargerRequestView:
    return ChargerRequestView(
        kind=row.kind,
        request_id=row.request_id,
        status=row.status,
        complete=row.complete,
        parts=row.parts,
        data=row.data,
        detail=msgspec.convert(row.detail or {}, dict[str, Any]),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def list_requests(
    session: AsyncSession, station_id: uuid.UUID, kind: str | None = None, limit: int = 100
) -> list[ChargerRequestView]:
    """Newest first."""
    query = select(ChargerRequest).where(ChargerRequest.charging_station_id == station_id)
    if kind is not None:
        query = query.where(ChargerRequest.kind == kind)
    rows = (await session.execute(query.order_by(ChargerRequest.updated_at.desc()).limit(limit))).scalars().all()
    return [_view(row) for row in rows]


async def get_request(
    session: AsyncSession, station_id: uuid.UUID, kind: str, request_id: int
) -> ChargerRequestView | None:
    row = (
        await session.execute(
            select(ChargerRequest).where(
                ChargerRequest.charging_station_id == station_id,
                ChargerRequest.kind == kind,
                ChargerRequest.request_id == request_id,
            )
        )
    ).scalar_one_or_none()
    return None if row is None else _view(row)
