"""Notifications to drivers about their sessions, through a provider port (log or webhook; push services plug in
behind the same port). Each kind is sent at most once per session: the row is written first, so a restart or a
second process never sends it twice."""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any, Protocol

import httpx
import msgspec
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import Device, Notification
from api.db.types import utc_now

logger = logging.getLogger(__name__)

KINDS = ("charging_complete", "idle_fee_soon", "session_failed", "receipt_ready")


class Message(msgspec.Struct, frozen=True, kw_only=True):
    """What a provider delivers to one device."""

    notification_id: uuid.UUID
    kind: str
    title: str
    body: str
    data: dict[str, Any]
    device_platform: str
    device_token: str


class NotificationProvider(Protocol):
    name: str

    async def deliver(self, messages: list[Message]) -> None:
        """Deliver to every device; raise to mark the notification undelivered."""
        ...


class LogNotificationProvider:
    """Writes each notification to the log (development, or when a gateway reads the logs)."""

    name = "log"

    async def deliver(self, messages: list[Message]) -> None:
        for message in messages:
            logger.info(
                "notification %s: %s",
                message.kind,
                message.title,
                extra={"notification_id": str(message.notification_id), "device": message.device_token[:12]},
            )


class WebhookNotificationProvider:
    """POSTs each notification as JSON to a push gateway of the operator's (one request per device)."""

    name = "webhook"

    def __init__(self, url: str, *, timeout: float = 5.0) -> None:
        self.url = url
        self._timeout = timeout

    async def deliver(self, messages: list[Message]) -> None:
        async with httpx.AsyncClient(timeout=self._timeout) as client:
            for message in messages:
                response = await client.post(
                    self.url, content=msgspec.json.encode(message), headers={"content-type": "application/json"}
                )
                response.raise_for_status()


class Notifier:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession], provider: NotificationProvider) -> None:
        self._session_factory = session_factory
        self.provider = provider
        self._tasks: set[asyncio.Task[None]] = set()

    def send_later(
        self,
        *,
        session_id: uuid.UUID,
        user_id: uuid.UUID | None,
        kind: str,
        title: str,
        body: str,
        data: dict[str, Any] | None = None,
    ) -> None:
        task = asyncio.create_task(self.send(session_id, user_id, kind, title, body, data or {}))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def send(
        self, session_id: uuid.UUID, user_id: uuid.UUID | None, kind: str, title: str, body: str, data: dict[str, Any]
    ) -> None:
        notification_id = uuid.uuid4()
        payload = {"sessionId": str(session_id), **data}
        try:
            async with self._session_factory() as session, session.begin():
                session.add(
                    Notification(
                        id=notification_id,
                        session_id=session_id,
                        user_id=user_id,
                        kind=kind,
                        title=title,
                        body=body,
                        data=payload,
                    )
                )
        except IntegrityError:
            return  # already sent (by this or another process)
        if user_id is None:
            return
        async with self._session_factory() as session:
            devices = (await session.execute(select(Device).where(Device.user_id == user_id))).scalars().all()
            messages = [
                Message(
                    notification_id=notification_id,
                    kind=kind,
                    title=title,
                    body=body,
                    data=payload,
                    device_platform=device.platform,
                    device_token=device.token,
                )
                for device in devices
            ]
            error: str | None = None
            if messages:
                try:
                    await self.provider.deliver(messages)
                except Exception as exc:
                    logger.warning("notification %s not delivered: %s", kind, exc)
                    error = str(exc)[:300]
            row = await session.get(Notification, notification_id)
            if row is not None:
                row.delivered_at = utc_now() if messages and error is None else None
                row.error = error if messages else "no device registered"
                await session.commit()

    async def drain(self) -> None:
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
