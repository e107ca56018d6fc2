"""OCPP 2.0.1 handlers: each ``on_<action>`` turns a validated Call into an event and the backend's reply into
the CallResult payload."""

from __future__ import annotations

from typing import Any, ClassVar

from msgspec import UNSET, UnsetType

from ocpp_bridge import smart_charging
from ocpp_bridge.events import (
    AuthorizationRequested,
    CertificateSigningRequested,
    CertificateStatusRequested,
    ChargerBooted,
    ChargingLimitCleared,
    ChargingLimitNotified,
    ChargingProfilesReported,
    ContractCertificatesPresented,
    CustomerInformationReceived,
    DataTransferReceived,
    DiagnosticsStatusChanged,
    DisplayMessage,
    DisplayMessagesReported,
    EvCertificateRequested,
    EVChargingNeedsNotified,
    EVChargingScheduleNotified,
    EventsNotified,
    FirmwareStatusChanged,
    HeartbeatReceived,
    IdToken,
    IdTokenInfo,
    MeterSample,
    MeterValuesReceived,
    MonitoringReportReceived,
    NotifiedEvent,
    OcppVersion,
    OcspRequestData,
    PublishFirmwareStatusChanged,
    ReportedAttribute,
    ReportedMonitor,
    ReportedVariable,
    ReportReceived,
    ReservationStatusChanged,
    SecurityEventReceived,
    StatusChanged,
    TransactionEnded,
    TransactionStarted,
    TransactionUpdated,
    VariableCharacteristics,
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


def _number(value: int | UnsetType | None) -> float | None:
    return None if value is None or isinstance(value, UnsetType) else float(value)


def _ev_parameters(needs: m.ChargingNeedsType) -> dict[str, Any]:
    """The EV's AC or DC charging parameters, in Wh, W, A and V."""
    ac = opt(needs.ac_charging_parameters)
    if ac is not None:
        return {
            "energy_amount_wh": float(ac.energy_amount),
            "ev_max_current_a": float(ac.ev_max_current),
            "ev_min_current_a": float(ac.ev_min_current),
            "ev_max_voltage_v": float(ac.ev_max_voltage),
        }
    dc = opt(needs.dc_charging_parameters)
    if dc is None:
        return {}
    return {
        "energy_amount_wh": _number(dc.energy_amount),
        "ev_max_power_w": _number(dc.ev_max_power),
        "ev_max_current_a": float(dc.ev_max_current),
        "ev_max_voltage_v": float(dc.ev_max_voltage),
        "state_of_charge": opt(dc.state_of_charge),
        "ev_energy_capacity_wh": _number(dc.ev_energy_capacity),
        "full_soc": opt(dc.full_soc),
        "bulk_soc": opt(dc.bulk_soc),
    }


def reported_attributes(attributes: list[m.VariableAttributeType]) -> tuple[ReportedAttribute, ...]:
    return tuple(
        ReportedAttribute(
            type=opt(a.type_) or "Actual",
            value=opt(a.value),
            mutability=opt(a.mutability),
            persistent=opt(a.persistent),
            constant=opt(a.constant),
        )
        for a in attributes
    )


def characteristics(found: m.VariableCharacteristicsType | None) -> VariableCharacteristics | None:
    if found is None:
        return None
    return VariableCharacteristics(
        data_type=found.data_type,
        supports_monitoring=found.supports_monitoring,
        unit=opt(found.unit),
        min_limit=opt(found.min_limit),
        max_limit=opt(found.max_limit),
        values_list=opt(found.values_list),
    )


def display_message(info: m.MessageInfoType) -> DisplayMessage:
    display = opt(info.display)
    evse = None if display is None else opt(display.evse)
    return DisplayMessage(
        message_id=info.id_,
        priority=info.priority,
        content=info.message.content,
        format=info.message.format_,
        language=opt(info.message.language),
        state=opt(info.state),
        start_date_time=None if (start := opt(info.start_date_time)) is None else to_utc(start),
        end_date_time=None if (end := opt(info.end_date_time)) is None else to_utc(end),
        transaction_id=opt(info.transaction_id),
        evse_id=None if evse is None else evse.id_,
    )


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
        presented, certificate = opt(req.iso15118_certificate_hash_data), opt(req.certificate)
        if presented is not None or certificate is not None:
            return await self._authorize_contract(ctx, token, presented or [], certificate)
        info = await self.backend.on_authorization_requested(AuthorizationRequested(**self.base(ctx), id_token=token))
        return m.AuthorizeResponse(id_token_info=id_token_info(info))

    async def _authorize_contract(
        self, ctx: CallContext, token: IdToken, presented: list[m.OCSPRequestDataType], certificate: str | None
    ) -> m.AuthorizeResponse:
        """ISO 15118 Plug & Charge: a contract certificate that is not valid refuses the id token (C07)."""
        certificates = tuple(_ocsp_data(item) for item in presented)
        status = await self.backend.on_contract_certificates_presented(
            ContractCertificatesPresented(
                **self.base(ctx), id_token=token, certificates=certificates, certificate=certificate
            )
        )
        if status not in ("Accepted", "NoCertificateAvailable"):
            return m.AuthorizeResponse(id_token_info=m.IdTokenInfoType(status="Invalid"), certificate_status=status)
        info = await self.backend.on_authorization_requested(AuthorizationRequested(**self.base(ctx), id_token=token))
        return m.AuthorizeResponse(id_token_info=id_token_info(info), certificate_status=status)

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
                cause=opt(item.cause),
                transaction_id=opt(item.transaction_id),
                variable_monitoring_id=opt(item.variable_monitoring_id),
                component_instance=opt(item.component.instance),
                variable_instance=opt(item.variable.instance),
                connector_id=None if (evse := opt(item.component.evse)) is None else opt(evse.connector_id),
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
                    component_instance=opt(item.component.instance),
                    connector_id=None if evse is None else opt(evse.connector_id),
                    attributes=reported_attributes(item.variable_attribute),
                    characteristics=characteristics(opt(item.variable_characteristics)),
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

    # smart charging (block K)

    async def on_report_charging_profiles(
        self, ctx: CallContext, req: m.ReportChargingProfilesRequest
    ) -> m.ReportChargingProfilesResponse:
        await self.backend.on_event(
            ChargingProfilesReported(
                **self.base(ctx),
                request_id=req.request_id,
                evse_id=req.evse_id,
                charging_limit_source=req.charging_limit_source,
                to_be_continued=bool(opt(req.tbc)),
                profiles=tuple(smart_charging.from_v201(p) for p in req.charging_profile),
            )
        )
        return m.ReportChargingProfilesResponse()

    async def on_notify_charging_limit(
        self, ctx: CallContext, req: m.NotifyChargingLimitRequest
    ) -> m.NotifyChargingLimitResponse:
        await self.backend.on_event(
            ChargingLimitNotified(
                **self.base(ctx),
                charging_limit_source=req.charging_limit.charging_limit_source,
                is_grid_critical=opt(req.charging_limit.is_grid_critical),
                evse_id=opt(req.evse_id),
                schedules=tuple(smart_charging.schedule_from_v201(s) for s in opt(req.charging_schedule) or ()),
            )
        )
        return m.NotifyChargingLimitResponse()

    async def on_cleared_charging_limit(
        self, ctx: CallContext, req: m.ClearedChargingLimitRequest
    ) -> m.ClearedChargingLimitResponse:
        await self.backend.on_event(
            ChargingLimitCleared(
                **self.base(ctx), charging_limit_source=req.charging_limit_source, evse_id=opt(req.evse_id)
            )
        )
        return m.ClearedChargingLimitResponse()

    async def on_notify_evcharging_needs(
        self, ctx: CallContext, req: m.NotifyEVChargingNeedsRequest
    ) -> m.NotifyEVChargingNeedsResponse:
        """Stored for load management; Processing: no schedule is computed at once, one may follow later."""
        needs = req.charging_needs
        await self.backend.on_event(
            EVChargingNeedsNotified(
                **self.base(ctx),
                evse_id=req.evse_id,
                requested_energy_transfer=needs.requested_energy_transfer,
                departure_time=opt(needs.departure_time),
                max_schedule_tuples=opt(req.max_schedule_tuples),
                **_ev_parameters(needs),
            )
        )
        return m.NotifyEVChargingNeedsResponse(status="Processing")

    async def on_notify_evcharging_schedule(
        self, ctx: CallContext, req: m.NotifyEVChargingScheduleRequest
    ) -> m.NotifyEVChargingScheduleResponse:
        await self.backend.on_event(
            EVChargingScheduleNotified(
                **self.base(ctx),
                evse_id=req.evse_id,
                time_base=to_utc(req.time_base),
                schedule=smart_charging.schedule_from_v201(req.charging_schedule),
            )
        )
        return m.NotifyEVChargingScheduleResponse(status="Accepted")

    # certificates (blocks A and M)

    async def on_sign_certificate(self, ctx: CallContext, req: m.SignCertificateRequest) -> m.SignCertificateResponse:
        reply = await self.backend.on_certificate_signing_requested(
            CertificateSigningRequested(**self.base(ctx), csr=req.csr, certificate_type=opt(req.certificate_type))
        )
        return m.SignCertificateResponse(status=reply.status, status_info=_status_info(reply.reason))

    async def on_get_certificate_status(
        self, ctx: CallContext, req: m.GetCertificateStatusRequest
    ) -> m.GetCertificateStatusResponse:
        reply = await self.backend.on_certificate_status_requested(
            CertificateStatusRequested(**self.base(ctx), certificate=_ocsp_data(req.ocsp_request_data))
        )
        return m.GetCertificateStatusResponse(
            status=reply.status, ocsp_result=unset_if_none(reply.ocsp_result), status_info=_status_info(reply.reason)
        )

    async def on_get15118_evcertificate(
        self, ctx: CallContext, req: m.Get15118EVCertificateRequest
    ) -> m.Get15118EVCertificateResponse:
        reply = await self.backend.on_ev_certificate_requested(
            EvCertificateRequested(
                **self.base(ctx),
                schema_version=req.iso15118_schema_version,
                action=req.action,
                exi_request=req.exi_request,
            )
        )
        return m.Get15118EVCertificateResponse(
            status=reply.status, exi_response=reply.exi_response, status_info=_status_info(reply.reason)
        )

    async def on_notify_monitoring_report(
        self, ctx: CallContext, req: m.NotifyMonitoringReportRequest
    ) -> m.NotifyMonitoringReportResponse:
        monitors: list[ReportedMonitor] = []
        for item in opt(req.monitor) or ():
            evse = opt(item.component.evse)
            monitors.extend(
                ReportedMonitor(
                    monitor_id=monitor.id_,
                    component=item.component.name,
                    variable=item.variable.name,
                    kind=monitor.type_,
                    value=monitor.value,
                    severity=monitor.severity,
                    transaction=monitor.transaction,
                    component_instance=opt(item.component.instance),
                    variable_instance=opt(item.variable.instance),
                    evse_id=None if evse is None else evse.id_,
                    connector_id=None if evse is None else opt(evse.connector_id),
                )
                for monitor in item.variable_monitoring
            )
        await self.backend.on_event(
            MonitoringReportReceived(
                **self.base(ctx),
                request_id=req.request_id,
                generated_at=to_utc(req.generated_at),
                seq_no=req.seq_no,
                to_be_continued=bool(opt(req.tbc)),
                monitors=tuple(monitors),
            )
        )
        return m.NotifyMonitoringReportResponse()

    async def on_notify_customer_information(
        self, ctx: CallContext, req: m.NotifyCustomerInformationRequest
    ) -> m.NotifyCustomerInformationResponse:
        await self.backend.on_event(
            CustomerInformationReceived(
                **self.base(ctx),
                request_id=req.request_id,
                generated_at=to_utc(req.generated_at),
                seq_no=req.seq_no,
                to_be_continued=bool(opt(req.tbc)),
                data=req.data,
            )
        )
        return m.NotifyCustomerInformationResponse()

    async def on_notify_display_messages(
        self, ctx: CallContext, req: m.NotifyDisplayMessagesRequest
    ) -> m.NotifyDisplayMessagesResponse:
        await self.backend.on_event(
            DisplayMessagesReported(
                **self.base(ctx),
                request_id=req.request_id,
                to_be_continued=bool(opt(req.tbc)),
                messages=tuple(display_message(info) for info in opt(req.message_info) or ()),
            )
        )
        return m.NotifyDisplayMessagesResponse()

    async def on_publish_firmware_status_notification(
        self, ctx: CallContext, req: m.PublishFirmwareStatusNotificationRequest
    ) -> m.PublishFirmwareStatusNotificationResponse:
        await self.backend.on_event(
            PublishFirmwareStatusChanged(
                **self.base(ctx),
                status=req.status,
                request_id=opt(req.request_id),
                locations=tuple(opt(req.location) or ()),
            )
        )
        return m.PublishFirmwareStatusNotificationResponse()

    async def on_reservation_status_update(
        self, ctx: CallContext, req: m.ReservationStatusUpdateRequest
    ) -> m.ReservationStatusUpdateResponse:
        await self.backend.on_event(
            ReservationStatusChanged(
                **self.base(ctx), reservation_id=req.reservation_id, status=req.reservation_update_status
            )
        )
        return m.ReservationStatusUpdateResponse()


def _status_info(reason: str | None) -> m.StatusInfoType | UnsetType:
    return UNSET if reason is None else m.StatusInfoType(reason_code=reason[:20])


def _ocsp_data(data: m.OCSPRequestDataType) -> OcspRequestData:
    return OcspRequestData(
        hash_algorithm=data.hash_algorithm,
        issuer_name_hash=data.issuer_name_hash,
        issuer_key_hash=data.issuer_key_hash,
        serial_number=data.serial_number,
        responder_url=data.responder_url,
    )
