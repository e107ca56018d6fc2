"""OCPP 2.0.1 handlers: each ``on_<action>`` turns a validated Call into an event and the backend's reply into
the CallResult payload."""

from __future__ import annotations

from typing import ClassVar

from ocpp_bridge.events import (
    AuthorizationRequested,
    ChargerBooted,
    DataTransferReceived,
    DiagnosticsStatusChanged,
    EventsNotified,
    FirmwareStatusChanged,
    HeartbeatReceived,
    IdToken,
    IdTokenInfo,
    MeterSample,
    MeterValuesReceived,
    NotifiedEvent,
    OcppVersion,
    ReportedVariable,
    ReportReceived,
    ReservationStatusChanged,
    SecurityEventReceived,
    StatusChanged,
    TransactionEnded,
    TransactionStarted,
    TransactionUpdated,
)
from ocpp_bridge.meter import samples_from_v201, to_utc
from ocpp_bridge.router import CallContext, Router, now, opt, unset_if_none
from ocpp_bridge.v201 import messages as m


def id_token_info(info: IdTokenInfo) -> m.IdTokenInfoType:
    return m.IdTokenInfoType(
        status=info.status,
        cache_expiry_date_time=unset_if_none(info.expiry_date),
        group_id_token=unset_if_none(
            None if info.parent_id_token is None else m.IdTokenType(id_token=info.parent_id_token, type_="Central")
        ),
    )


def _token(token: m.IdTokenType | None) -> IdToken | None:
    return None if token is None else IdToken(token.id_token, token.type_)


def _energy(samples: tuple[MeterSample, ...], *, last: bool) -> float | None:
    values = [s.energy_wh for s in samples if s.energy_wh is not None]
    if not values:
        return None
    return values[-1] if last else values[0]


class V201Router(Router):
    ocpp_version: ClassVar[OcppVersion] = "2.0.1"

    async def on_boot_notification(
        self, ctx: CallContext, req: m.BootNotificationRequest
    ) -> m.BootNotificationResponse:
        station = req.charging_station
        reply = await self.backend.on_charger_booted(
            ChargerBooted(
                **self.base(ctx),
                vendor=station.vendor_name,
                model=station.model,
                firmware_version=opt(station.firmware_version),
                serial_number=opt(station.serial_number),
                reason=req.reason,
            )
        )
        interval = reply.interval if reply.interval is not None else self.config.heartbeat_interval
        return m.BootNotificationResponse(status=reply.status, current_time=now(), interval=interval)

    async def on_heartbeat(self, ctx: CallContext, _req: m.HeartbeatRequest) -> m.HeartbeatResponse:
        await self.backend.on_event(HeartbeatReceived(**self.base(ctx)))
        return m.HeartbeatResponse(current_time=now())

    async def on_status_notification(
        self, ctx: CallContext, req: m.StatusNotificationRequest
    ) -> m.StatusNotificationResponse:
        await self.backend.on_event(
            StatusChanged(
                **self.base(ctx),
                connector_id=req.evse_id,
                evse_connector_id=req.connector_id,
                status=req.connector_status,
                timestamp=to_utc(req.timestamp),
            )
        )
        return m.StatusNotificationResponse()

    async def on_authorize(self, ctx: CallContext, req: m.AuthorizeRequest) -> m.AuthorizeResponse:
        token = IdToken(req.id_token.id_token, req.id_token.type_)
        info = await self.backend.on_authorization_requested(AuthorizationRequested(**self.base(ctx), id_token=token))
        return m.AuthorizeResponse(id_token_info=id_token_info(info))

    async def on_transaction_event(
        self, ctx: CallContext, req: m.TransactionEventRequest
    ) -> m.TransactionEventResponse:
        tx = req.transaction_info
        samples = samples_from_v201(opt(req.meter_value))
        token = _token(opt(req.id_token))
        evse = opt(req.evse)
        common = {
            "transaction_id": tx.transaction_id,
            "id_token": token,
            "timestamp": to_utc(req.timestamp),
            "trigger_reason": req.trigger_reason,
            "charging_state": opt(tx.charging_state),
            "seq_no": req.seq_no,
            "offline": bool(opt(req.offline)),
            "samples": samples,
        }
        info: IdTokenInfo | None
        if req.event_type == "Started":
            reply = await self.backend.on_transaction_started(
                TransactionStarted(
                    **self.base(ctx),
                    **common,  # type: ignore[arg-type]
                    connector_id=0 if evse is None else evse.id_,
                    meter_start_wh=_energy(samples, last=False),
                    reservation_id=opt(req.reservation_id),
                    remote_start_id=opt(tx.remote_start_id),
                )
            )
            info = reply.id_token_info
        elif req.event_type == "Updated":
            info = await self.backend.on_transaction_updated(
                TransactionUpdated(
                    **self.base(ctx),
                    **common,  # type: ignore[arg-type]
                    connector_id=None if evse is None else evse.id_,
                )
            )
        else:
            info = await self.backend.on_transaction_ended(
                TransactionEnded(
                    **self.base(ctx),
                    **common,  # type: ignore[arg-type]
                    connector_id=None if evse is None else evse.id_,
                    meter_stop_wh=_energy(samples, last=True),
                    reason=opt(tx.stopped_reason),
                )
            )
        if info is None or token is None:
            return m.TransactionEventResponse()
        return m.TransactionEventResponse(id_token_info=id_token_info(info))

    async def on_meter_values(self, ctx: CallContext, req: m.MeterValuesRequest) -> m.MeterValuesResponse:
        await self.backend.on_event(
            MeterValuesReceived(**self.base(ctx), connector_id=req.evse_id, samples=samples_from_v201(req.meter_value))
        )
        return m.MeterValuesResponse()

    async def on_data_transfer(self, ctx: CallContext, req: m.DataTransferRequest) -> m.DataTransferResponse:
        reply = await self.backend.on_data_transfer(
            DataTransferReceived(
                **self.base(ctx), vendor_id=req.vendor_id, data_message_id=opt(req.message_id), data=opt(req.data)
            )
        )
        return m.DataTransferResponse(status=reply.status, data=unset_if_none(reply.data))

    async def on_security_event_notification(
        self, ctx: CallContext, req: m.SecurityEventNotificationRequest
    ) -> m.SecurityEventNotificationResponse:
        await self.backend.on_event(
            SecurityEventReceived(
                **self.base(ctx), kind=req.type_, timestamp=to_utc(req.timestamp), tech_info=opt(req.tech_info)
            )
        )
        return m.SecurityEventNotificationResponse()

    async def on_firmware_status_notification(
        self, ctx: CallContext, req: m.FirmwareStatusNotificationRequest
    ) -> m.FirmwareStatusNotificationResponse:
        await self.backend.on_event(
            FirmwareStatusChanged(**self.base(ctx), status=req.status, request_id=opt(req.request_id))
        )
        return m.FirmwareStatusNotificationResponse()

    async def on_log_status_notification(
        self, ctx: CallContext, req: m.LogStatusNotificationRequest
    ) -> m.LogStatusNotificationResponse:
        await self.backend.on_event(
            DiagnosticsStatusChanged(**self.base(ctx), status=req.status, request_id=opt(req.request_id))
        )
        return m.LogStatusNotificationResponse()

    async def on_notify_event(self, ctx: CallContext, req: m.NotifyEventRequest) -> m.NotifyEventResponse:
        events = tuple(
            NotifiedEvent(
                event_id=item.event_id,
                timestamp=to_utc(item.timestamp),
                trigger=item.trigger,
                component=item.component.name,
                variable=item.variable.name,
                actual_value=item.actual_value,
                event_notification_type=item.event_notification_type,
                evse_id=None if (evse := opt(item.component.evse)) is None else evse.id_,
                cleared=bool(opt(item.cleared)),
                tech_code=opt(item.tech_code),
                tech_info=opt(item.tech_info),
            )
            for item in req.event_data
        )
        await self.backend.on_event(
            EventsNotified(
                **self.base(ctx),
                generated_at=to_utc(req.generated_at),
                seq_no=req.seq_no,
                to_be_continued=bool(opt(req.tbc)),
                events=events,
            )
        )
        return m.NotifyEventResponse()

    async def on_notify_report(self, ctx: CallContext, req: m.NotifyReportRequest) -> m.NotifyReportResponse:
        variables = []
        for item in opt(req.report_data) or ():
            actual = next((a for a in item.variable_attribute if opt(a.type_) in (None, "Actual")), None)
            evse = opt(item.component.evse)
            variables.append(
                ReportedVariable(
                    component=item.component.name,
                    variable=item.variable.name,
                    value=None if actual is None else opt(actual.value),
                    mutability=None if actual is None else opt(actual.mutability),
                    evse_id=None if evse is None else evse.id_,
                    instance=opt(item.variable.instance),
                )
            )
        await self.backend.on_event(
            ReportReceived(
                **self.base(ctx),
                request_id=req.request_id,
                generated_at=to_utc(req.generated_at),
                seq_no=req.seq_no,
                to_be_continued=bool(opt(req.tbc)),
                variables=tuple(variables),
            )
        )
        return m.NotifyReportResponse()

    async def on_reservation_status_update(
        self, ctx: CallContext, req: m.ReservationStatusUpdateRequest
    ) -> m.ReservationStatusUpdateResponse:
        await self.backend.on_event(
            ReservationStatusChanged(
                **self.base(ctx), reservation_id=req.reservation_id, status=req.reservation_update_status
            )
        )
        return m.ReservationStatusUpdateResponse()
