"""Stores what 2.0.1 chargers (and 1.6 ones with the security extension) report about themselves; the backend
hands these events over with one call."""

from __future__ import annotations

import uuid

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.domain.chargers.charger_events import store_events, store_monitors
from api.domain.chargers.charger_requests import record_part, record_status
from api.domain.chargers.device_model import store_report
from ocpp_bridge.events import (
    CustomerInformationReceived,
    DiagnosticsStatusChanged,
    DisplayMessagesReported,
    EventsNotified,
    MonitoringReportReceived,
    PublishFirmwareStatusChanged,
    ReportReceived,
)

DeviceModelEvent = (
    ReportReceived
    | EventsNotified
    | MonitoringReportReceived
    | CustomerInformationReceived
    | DisplayMessagesReported
    | PublishFirmwareStatusChanged
)
DEVICE_MODEL_EVENTS = (
    ReportReceived,
    EventsNotified,
    MonitoringReportReceived,
    CustomerInformationReceived,
    DisplayMessagesReported,
    PublishFirmwareStatusChanged,
)
# LogStatusNotification steps after which nothing more comes for the request
_LOG_FINAL = {"Uploaded", "UploadFailure", "BadMessage", "NotSupportedOperation", "PermissionDenied", "Idle"}
_PUBLISH_FINAL = {"Published", "PublishFailed", "InvalidChecksum", "ChecksumVerified", "DownloadFailed", "Idle"}


def _camel_case(fields: dict[str, object]) -> dict[str, object]:
    """Stored the way the admin API shows it."""
    return {name.split("_")[0] + "".join(p.title() for p in name.split("_")[1:]): v for name, v in fields.items()}


async def record_device_event(
    session_factory: async_sessionmaker[AsyncSession],
    station_id: uuid.UUID,
    event: DeviceModelEvent | DiagnosticsStatusChanged,
) -> None:
    async with session_factory() as session, session.begin():
        await _record(session, station_id, event)


async def _record(
    session: AsyncSession, station_id: uuid.UUID, event: DeviceModelEvent | DiagnosticsStatusChanged
) -> None:
    if isinstance(event, ReportReceived):
        await store_report(session, station_id, event)
        await record_part(
            session, station_id, "report", event.request_id, event.seq_no, to_be_continued=event.to_be_continued
        )
    elif isinstance(event, EventsNotified):
        await store_events(session, station_id, event)
    elif isinstance(event, MonitoringReportReceived):
        await store_monitors(session, station_id, event)
        await record_part(
            session,
            station_id,
            "monitoring-report",
            event.request_id,
            event.seq_no,
            to_be_continued=event.to_be_continued,
        )
    elif isinstance(event, CustomerInformationReceived):
        await record_part(
            session,
            station_id,
            "customer-information",
            event.request_id,
            event.seq_no,
            to_be_continued=event.to_be_continued,
            data=event.data,
        )
    elif isinstance(event, DisplayMessagesReported):
        await record_part(
            session,
            station_id,
            "display-messages",
            event.request_id,
            None,
            to_be_continued=event.to_be_continued,
            items=[_camel_case(message) for message in msgspec.to_builtins(event.messages)],
        )
    elif isinstance(event, PublishFirmwareStatusChanged):
        await record_status(
            session,
            station_id,
            "publish-firmware",
            event.request_id or 0,
            event.status,
            event.received_at,
            complete=event.status in _PUBLISH_FINAL,
            extra={"locations": list(event.locations)} if event.locations else None,
        )
    elif event.request_id is not None:  # LogStatusNotification
        await record_status(
            session,
            station_id,
            "log",
            event.request_id,
            event.status,
            event.received_at,
            complete=event.status in _LOG_FINAL,
        )
