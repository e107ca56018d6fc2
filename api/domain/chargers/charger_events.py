"""Device-model events (2.0.1 NotifyEvent) and variable monitors (NotifyMonitoringReport) as stored, and their
admin views."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import ChargerDeviceEvent, ChargerMonitor
from api.domain.chargers.device_model import insert_for
from api.schema import AppStruct
from ocpp_bridge.events import EventsNotified, MonitoringReportReceived


async def store_events(session: AsyncSession, station_id: uuid.UUID, event: EventsNotified) -> None:
    """Every event of a NotifyEvent; a replayed message does not store its events twice."""
    rows = {
        (item.event_id, item.timestamp): {
            "charging_station_id": station_id,
            "event_id": item.event_id,
            "timestamp": item.timestamp,
            "trigger": item.trigger,
            "cause": item.cause,
            "actual_value": item.actual_value,
            "tech_code": item.tech_code,
            "tech_info": item.tech_info,
            "cleared": item.cleared,
            "transaction_id": item.transaction_id,
            "component": item.component,
            "component_instance": item.component_instance,
            "evse_id": item.evse_id,
            "connector_id": item.connector_id,
            "variable": item.variable,
            "variable_instance": item.variable_instance,
            "variable_monitoring_id": item.variable_monitoring_id,
            "notification_type": item.event_notification_type,
            "received_at": event.received_at,
        }
        for item in event.events
    }
    if rows:
        statement = insert_for(session)(ChargerDeviceEvent).on_conflict_do_nothing(
            index_elements=["charging_station_id", "event_id", "timestamp"]
        )
        await session.execute(statement, list(rows.values()))


async def store_monitors(session: AsyncSession, station_id: uuid.UUID, event: MonitoringReportReceived) -> None:
    rows = {
        monitor.monitor_id: {
            "charging_station_id": station_id,
            "monitor_id": monitor.monitor_id,
            "component": monitor.component,
            "component_instance": monitor.component_instance,
            "evse_id": monitor.evse_id,
            "connector_id": monitor.connector_id,
            "variable": monitor.variable,
            "variable_instance": monitor.variable_instance,
            "kind": monitor.kind,
            "value": monitor.value,
            "severity": monitor.severity,
            "transaction": monitor.transaction,
            "request_id": event.request_id,
            "reported_at": event.received_at,
        }
        for monitor in event.monitors
    }
    if rows:
        statement = insert_for(session)(ChargerMonitor)
        statement = statement.on_conflict_do_update(
            index_elements=["charging_station_id", "monitor_id"],
            set_={
                name: getattr(statement.excluded, name)
                for name in rows[next(iter(rows))]
                if name not in ("charging_station_id", "monitor_id")
            },
        )
        await session.execute(statement, list(rows.values()))


class DeviceEventView(AppStruct):
    event_id: int
    timestamp: datetime
    trigger: str
    actual_value: str
    component: str
    variable: str
    notification_type: str
    cleared: bool
    cause: int | None = None
    tech_code: str | None = None
    tech_info: str | None = None
    transaction_id: str | None = None
    component_instance: str | None = None
    variable_instance: str | None = None
    evse_id: int | None = None
    connector_id: int | None = None
    variable_monitoring_id: int | None = None


class DeviceEventPage(AppStruct):
    items: list[DeviceEventView]
    total: int
    next_cursor: str | None = None


async def list_events(session: AsyncSession, station_id: uuid.UUID, *, offset: int, limit: int) -> DeviceEventPage:
    """Newest first."""
    where = ChargerDeviceEvent.charging_station_id == station_id
    total = (await session.execute(select(func.count(ChargerDeviceEvent.id)).where(where))).scalar_one()
    rows = (
        (
            await session.execute(
                select(ChargerDeviceEvent)
                .where(where)
                .order_by(ChargerDeviceEvent.timestamp.desc(), ChargerDeviceEvent.id.desc())
                .offset(offset)
                .limit(limit)
            )
        )
        .scalars()
        .all()
    )
    items = [
        DeviceEventView(
            event_id=row.event_id,
            timestamp=row.timestamp,
            trigger=row.trigger,
            actual_value=row.actual_value,
            component=row.component,
            variable=row.variable,
            notification_type=row.notification_type,
            cleared=row.cleared,
            cause=row.cause,
            tech_code=row.tech_code,
            tech_info=row.tech_info,
            transaction_id=row.transaction_id,
            component_instance=row.component_instance,
            variable_instance=row.variable_instance,
            evse_id=row.evse_id,
            connector_id=row.connector_id,
            variable_monitoring_id=row.variable_monitoring_id,
        )
        for row in rows
    ]
    more = offset + len(items) < total
    return DeviceEventPage(items=items, total=total, next_cursor=str(offset + len(items)) if more else None)


class MonitorView(AppStruct):
    monitor_id: int
    component: str
    variable: str
    kind: str
    value: float
    severity: int
    transaction: bool
    reported_at: datetime
    component_instance: str | None = None
    variable_instance: str | None = None
    evse_id: int | None = None
    connector_id: int | None = None


async def list_monitors(session: AsyncSession, station_id: uuid.UUID) -> list[MonitorView]:
    rows = (
        (
            await session.execute(
                select(ChargerMonitor)
                .where(ChargerMonitor.charging_station_id == station_id)
                .order_by(ChargerMonitor.monitor_id)
            )
        )
        .scalars()
        .all()
    )
    return [
        MonitorView(
            monitor_id=row.monitor_id,
            component=row.component,
            variable=row.variable,
            kind=row.kind,
            value=row.value,
            severity=row.severity,
            transaction=row.transaction,
            reported_at=row.reported_at,
            component_instance=row.component_instance,
            variable_instance=row.variable_instance,
            evse_id=row.evse_id,
            connector_id=row.connector_id,
        )
        for row in rows
    ]
