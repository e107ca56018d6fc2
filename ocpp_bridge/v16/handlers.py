"""OCPP 1.6J handlers: each ``on_<action>`` turns a validated Call into an event and the backend's reply into
the CallResult payload."""

from __future__ import annotations

from typing import ClassVar

from msgspec import UNSET

from ocpp_bridge import errors
from ocpp_bridge.events import (
    AuthorizationRequested,
    CertificateSigningRequested,
    ChargerBooted,
    DataTransferReceived,
    DiagnosticsStatusChanged,
    FirmwareStatusChanged,
    HeartbeatReceived,
    IdToken,
    IdTokenInfo,
    MeterValuesReceived,
    OcppVersion,
    SecurityEventReceived,
    StatusChanged,
    TransactionEnded,
    TransactionStarted,
)
from ocpp_bridge.meter import energy_wh, samples_from_v16, to_utc
from ocpp_bridge.router import CallContext, Router, now, opt
from ocpp_bridge.v16 import messages as m

_NEWER_REFUSALS = {"NoCredit", "NotAllowedTypeEVSE", "NotAtThisLocation", "NotAtThisTime", "Unknown"}


def id_tag_info(info: IdTokenInfo) -> m.IdTagInfo:
    """1.6 knows fewer authorization statuses than 2.0.1: the newer refusals become Invalid."""
    status = "Invalid" if info.status in _NEWER_REFUSALS else info.status
    return m.IdTagInfo(
        status=status,  # type: ignore[arg-type]
        expiry_date=UNSET if info.expiry_date is None else info.expiry_date,
        parent_id_tag=UNSET if info.parent_id_token is None else info.parent_id_token,
    )


class V16Router(Router):
    ocpp_version: ClassVar[OcppVersion] = "1.6"

    async def on_boot_notification(
        self, ctx: CallContext, req: m.BootNotificationRequest
    ) -> m.BootNotificationResponse:
        serial = req.charge_point_serial_number
        if serial is UNSET:
            serial = req.charge_box_serial_number
        reply = await self.backend.on_charger_booted(
            ChargerBooted(
                **self.base(ctx),
                vendor=req.charge_point_vendor,
                model=req.charge_point_model,
                firmware_version=opt(req.firmware_version),
                serial_number=opt(serial),
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
                connector_id=req.connector_id,
                status=req.status,
                error_code=req.error_code,
                vendor_error_code=opt(req.vendor_error_code),
                info=opt(req.info),
                timestamp=ctx.received_at if req.timestamp is UNSET else to_utc(req.timestamp),
            )
        )
        return m.StatusNotificationResponse()

    async def on_authorize(self, ctx: CallContext, req: m.AuthorizeRequest) -> m.AuthorizeResponse:
        info = await self.backend.on_authorization_requested(
            AuthorizationRequested(**self.base(ctx), id_token=IdToken(req.id_tag))
        )
        return m.AuthorizeResponse(id_tag_info=id_tag_info(info))

    async def on_start_transaction(
        self, ctx: CallContext, req: m.StartTransactionRequest
    ) -> m.StartTransactionResponse:
        reply = await self.backend.on_transaction_started(
            TransactionStarted(
                **self.base(ctx),
                connector_id=req.connector_id,
                id_token=IdToken(req.id_tag),
                meter_start_wh=energy_wh(req.meter_start),
                timestamp=to_utc(req.timestamp),
                reservation_id=opt(req.reservation_id),
            )
        )
        if reply.transaction_id is None:
            msg = "the backend allocated no transaction id"
            raise errors.InternalError(msg)
        info = reply.id_token_info or IdTokenInfo(status="Accepted")
        return m.StartTransactionResponse(id_tag_info=id_tag_info(info), transaction_id=reply.transaction_id)

    async def on_meter_values(self, ctx: CallContext, req: m.MeterValuesRequest) -> m.MeterValuesResponse:
        await self.backend.on_event(
            MeterValuesReceived(
                **self.base(ctx),
                connector_id=req.connector_id,
                transaction_id=None if req.transaction_id is UNSET else str(req.transaction_id),
                samples=samples_from_v16(req.meter_value),
            )
        )
        return m.MeterValuesResponse()

    async def on_stop_transaction(self, ctx: CallContext, req: m.StopTransactionRequest) -> m.StopTransactionResponse:
        token = None if req.id_tag is UNSET else IdToken(req.id_tag)
        info = await self.backend.on_transaction_ended(
            TransactionEnded(
                **self.base(ctx),
                transaction_id=str(req.transaction_id),
                id_token=token,
                meter_stop_wh=energy_wh(req.meter_stop),
                timestamp=to_utc(req.timestamp),
                reason="Local" if req.reason is UNSET else req.reason,
                samples=samples_from_v16(req.transaction_data or ()),
            )
        )
        if info is None or token is None:
            return m.StopTransactionResponse()
        return m.StopTransactionResponse(id_tag_info=id_tag_info(info))

    async def on_data_transfer(self, ctx: CallContext, req: m.DataTransferRequest) -> m.DataTransferResponse:
        reply = await self.backend.on_data_transfer(
            DataTransferReceived(
                **self.base(ctx),
                vendor_id=req.vendor_id,
                data_message_id=opt(req.message_id),
                data=opt(req.data),
            )
        )
        return m.DataTransferResponse(status=reply.status, data=UNSET if reply.data is None else reply.data)

    async def on_diagnostics_status_notification(
        self, ctx: CallContext, req: m.DiagnosticsStatusNotificationRequest
    ) -> m.DiagnosticsStatusNotificationResponse:
        await self.backend.on_event(DiagnosticsStatusChanged(**self.base(ctx), status=req.status))
        return m.DiagnosticsStatusNotificationResponse()

    async def on_firmware_status_notification(
        self, ctx: CallContext, req: m.FirmwareStatusNotificationRequest
    ) -> m.FirmwareStatusNotificationResponse:
        await self.backend.on_event(FirmwareStatusChanged(**self.base(ctx), status=req.status))
        return m.FirmwareStatusNotificationResponse()

    # 1.6 security extension (OCPP 1.6 Security Whitepaper)

    async def on_security_event_notification(
        self, ctx: CallContext, req: m.SecurityEventNotificationRequest
    ) -> m.SecurityEventNotificationResponse:
        await self.backend.on_event(
            SecurityEventReceived(
                **self.base(ctx),
                kind=req.type_,
                timestamp=to_utc(req.timestamp),
                tech_info=opt(req.tech_info),
            )
        )
        return m.SecurityEventNotificationResponse()

    async def on_log_status_notification(
        self, ctx: CallContext, req: m.LogStatusNotificationRequest
    ) -> m.LogStatusNotificationResponse:
        await self.backend.on_event(
            DiagnosticsStatusChanged(**self.base(ctx), status=req.status, request_id=opt(req.request_id))
        )
        return m.LogStatusNotificationResponse()

    async def on_signed_firmware_status_notification(
        self, ctx: CallContext, req: m.SignedFirmwareStatusNotificationRequest
    ) -> m.SignedFirmwareStatusNotificationResponse:
        await self.backend.on_event(
            FirmwareStatusChanged(**self.base(ctx), status=req.status, request_id=opt(req.request_id))
        )
        return m.SignedFirmwareStatusNotificationResponse()

    async def on_sign_certificate(self, ctx: CallContext, req: m.SignCertificateRequest) -> m.SignCertificateResponse:
        reply = await self.backend.on_certificate_signing_requested(
            CertificateSigningRequested(**self.base(ctx), csr=req.csr)
        )
        return m.SignCertificateResponse(status=reply.status)
