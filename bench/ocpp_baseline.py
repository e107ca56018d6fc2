"""The baseline central system: the ``ocpp`` library's own path (a ``v16.ChargePoint`` per connection, default
jsonschema validation on its thread pool, camelCase <-> snake_case conversion) served with ``websockets``.

Its handlers persist exactly what the bridge persists: they build the same event Structs from the library's
snake_case keyword arguments and hand them to the same ``CsmsService`` (same database, same batched meter
writer), the upgrade checks the same Basic credentials, and connects/disconnects go through the same
connection bookkeeping. Only the protocol layer differs.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from ocpp.routing import on
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.enums import Action
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from api.domain.chargers.backend import CsmsService
from api.domain.chargers.meter_writer import MeterSampleWriter
from api.domain.chargers.relay import LocalCommandRelay
from ocpp_bridge.events import (
    AuthorizationRequested,
    ChargerBooted,
    ChargerConnected,
    ChargerDisconnected,
    HeartbeatReceived,
    IdToken,
    IdTokenInfo,
    MeterSample,
    MeterValuesReceived,
    StatusChanged,
    TransactionEnded,
    TransactionStarted,
)
from ocpp_bridge.meter import Reading, build_sample, energy_wh, to_utc
from ocpp_bridge.server import basic_credentials, charger_id_from_path

logger = logging.getLogger(__name__)

_NEWER_REFUSALS = {"NoCredit", "NotAllowedTypeEVSE", "NotAtThisLocation", "NotAtThisTime", "Unknown"}


def _now() -> datetime:
    return datetime.now(UTC)


def _iso_now() -> str:
    return _now().isoformat().replace("+00:00", "Z")


def _time(text: str) -> datetime:
    return to_utc(datetime.fromisoformat(text))


def _id_tag_info(info: IdTokenInfo) -> dict[str, Any]:
    return {"status": "Invalid" if info.status in _NEWER_REFUSALS else info.status}


def samples_from_library(meter_values: list[dict[str, Any]]) -> tuple[MeterSample, ...]:
    """The library's snake_case meter values as the same normalised samples the bridge builds."""
    samples = []
    for meter_value in meter_values:
        readings: list[Reading] = []
        context: str | None = None
        for sampled in meter_value.get("sampled_value", ()):
            if sampled.get("format") == "SignedData":
                continue
            try:
                value = float(sampled["value"])
            except ValueError:
                continue
            if context is None:
                context = sampled.get("context")
            readings.append(
                (
                    sampled.get("measurand", "Energy.Active.Import.Register"),
                    sampled.get("phase"),
                    sampled.get("unit"),
                    value,
                )
            )
        samples.append(build_sample(_time(meter_value["timestamp"]), context, readings))
    return tuple(samples)


class LibraryChargePoint(ChargePoint):  # type: ignore[misc]
    """One charger's connection, handled by the ``ocpp`` library with the bridge's persistence."""

    def __init__(self, charger_id: str, connection: ServerConnection, csms: CsmsService) -> None:
        super().__init__(charger_id, connection)
        self.csms = csms

    def _base(self, message_id: str) -> dict[str, Any]:
        return {"charger_id": self.id, "ocpp_version": "1.6", "message_id": message_id, "received_at": _now()}

    @on(Action.boot_notification)  # type: ignore[untyped-decorator]
    async def on_boot_notification(
        self, charge_point_vendor: str, charge_point_model: str, call_unique_id: str, **kwargs: Any
    ) -> Any:
        reply = await self.csms.on_charger_booted(
            ChargerBooted(
                **self._base(call_unique_id),
                vendor=charge_point_vendor,
                model=charge_point_model,
                firmware_version=kwargs.get("firmware_version"),
                serial_number=kwargs.get("charge_point_serial_number") or kwargs.get("charge_box_serial_number"),
            )
        )
        return call_result.BootNotification(
            current_time=_iso_now(), interval=reply.interval or 300, status=reply.status
        )

    @on(Action.heartbeat)  # type: ignore[untyped-decorator]
    async def on_heartbeat(self, call_unique_id: str) -> Any:
        await self.csms.on_event(HeartbeatReceived(**self._base(call_unique_id)))
        return call_result.Heartbeat(current_time=_iso_now())

    @on(Action.status_notification)  # type: ignore[untyped-decorator]
    async def on_status_notification(
        self, connector_id: int, error_code: str, status: str, call_unique_id: str, **kwargs: Any
    ) -> Any:
        base = self._base(call_unique_id)
        timestamp = kwargs.get("timestamp")
        await self.csms.on_event(
            StatusChanged(
                **base,
                connector_id=connector_id,
                status=status,
                error_code=error_code,
                vendor_error_code=kwargs.get("vendor_error_code"),
                info=kwargs.get("info"),
                timestamp=base["received_at"] if timestamp is None else _time(timestamp),
            )
        )
        return call_result.StatusNotification()

    @on(Action.authorize)  # type: ignore[untyped-decorator]
    async def on_authorize(self, id_tag: str, call_unique_id: str) -> Any:
        info = await self.csms.on_authorization_requested(
            AuthorizationRequested(**self._base(call_unique_id), id_token=IdToken(id_tag))
        )
        return call_result.Authorize(id_tag_info=_id_tag_info(info))

    @on(Action.start_transaction)  # type: ignore[untyped-decorator]
    async def on_start_transaction(
        self, connector_id: int, id_tag: str, meter_start: int, timestamp: str, call_unique_id: str, **kwargs: Any
    ) -> Any:
        reply = await self.csms.on_transaction_started(
            TransactionStarted(
                **self._base(call_unique_id),
                connector_id=connector_id,
                id_token=IdToken(id_tag),
                meter_start_wh=energy_wh(meter_start),
                timestamp=_time(timestamp),
                reservation_id=kwargs.get("reservation_id"),
            )
        )
        info = reply.id_token_info or IdTokenInfo(status="Accepted")
        return call_result.StartTransaction(transaction_id=reply.transaction_id or 0, id_tag_info=_id_tag_info(info))

    @on(Action.meter_values)  # type: ignore[untyped-decorator]
    async def on_meter_values(
        self, connector_id: int, meter_value: list[dict[str, Any]], call_unique_id: str, **kwargs: Any
    ) -> Any:
        transaction_id = kwargs.get("transaction_id")
        await self.csms.on_event(
            MeterValuesReceived(
                **self._base(call_unique_id),
                connector_id=connector_id,
                transaction_id=None if transaction_id is None else str(transaction_id),
                samples=samples_from_library(meter_value),
            )
        )
        return call_result.MeterValues()

    @on(Action.stop_transaction)  # type: ignore[untyped-decorator]
    async def on_stop_transaction(
        self, meter_stop: int, timestamp: str, transaction_id: int, call_unique_id: str, **kwargs: Any
    ) -> Any:
        id_tag = kwargs.get("id_tag")
        token = None if id_tag is None else IdToken(id_tag)
        info = await self.csms.on_transaction_ended(
            TransactionEnded(
                **self._base(call_unique_id),
                transaction_id=str(transaction_id),
                id_token=token,
                meter_stop_wh=energy_wh(meter_stop),
                timestamp=_time(timestamp),
                reason=kwargs.get("reason") or "Local",
                samples=samples_from_library(kwargs.get("transaction_data") or []),
            )
        )
        if info is None or token is None:
            return call_result.StopTransaction()
        return call_result.StopTransaction(id_tag_info=_id_tag_info(info))


class LibraryCentralSystem:
    """The baseline server: same database backend and bookkeeping as ``BridgeRuntime``, library protocol layer."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        host: str = "127.0.0.1",
        heartbeat_interval: int = 300,
        compression: bool = False,
    ) -> None:
        self.meters = MeterSampleWriter(session_factory)
        self.csms = CsmsService(session_factory, heartbeat_interval=heartbeat_interval, meter_writer=self.meters)
        self.relay = LocalCommandRelay(session_factory, f"baseline-{id(self):x}"[:64])
        self.host = host
        self.compression = compression
        self._server: Server | None = None

    @property
    def port(self) -> int:
        assert self._server is not None
        port: int = next(iter(self._server.sockets)).getsockname()[1]
        return port

    async def start(self) -> None:
        await self.csms.start()
        self._server = await serve(
            self._serve_charger,
            self.host,
            0,
            process_request=self._check_upgrade,
            subprotocols=["ocpp1.6"],  # type: ignore[list-item]
            compression="deflate" if self.compression else None,
            max_size=256 * 1024,
            ping_interval=60.0,
            ping_timeout=30.0,
            close_timeout=2.0,
        )

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close(close_connections=True)
            await self._server.wait_closed()
            self._server = None
        await self.relay.stop()
        await self.csms.stop()

    async def _check_upgrade(self, connection: ServerConnection, request: Request) -> Response | None:
        charger_id = charger_id_from_path(request.path)
        if charger_id is None:
            return connection.respond(HTTPStatus.NOT_FOUND, "Connect to /ocpp/{charge point identity}\n")
        credentials = basic_credentials(request.headers)
        if credentials is None or credentials[0] != charger_id:
            return connection.respond(HTTPStatus.UNAUTHORIZED, "Unknown charger or wrong password\n")
        try:
            accepted = await self.csms.check_credentials(charger_id, credentials[1])
        except Exception:
            logger.exception("charger %s: credential check failed", charger_id)
            return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "Credential check unavailable\n")
        if not accepted:
            return connection.respond(HTTPStatus.UNAUTHORIZED, "Unknown charger or wrong password\n")
        return None

    async def _serve_charger(self, websocket: ServerConnection) -> None:
        charger_id = charger_id_from_path(websocket.request.path if websocket.request else "")
        if charger_id is None or websocket.subprotocol != "ocpp1.6":
            await websocket.close(1002, "Unsupported subprotocol")
            return
        remote = websocket.remote_address
        await self.csms.on_event(
            ChargerConnected(
                charger_id=charger_id,
                ocpp_version="1.6",
                remote_address=None if remote is None else str(remote[0]),
                at=_now(),
            )
        )
        await self.relay.charger_attached(charger_id, "1.6")
        charge_point = LibraryChargePoint(charger_id, websocket, self.csms)
        try:
            await charge_point.start()
        except ConnectionClosed:
            pass
        finally:
            await self.relay.charger_detached(charger_id)
            await self.csms.on_event(
                ChargerDisconnected(
                    charger_id=charger_id,
                    ocpp_version="1.6",
                    at=_now(),
                    close_code=websocket.close_code,
                    close_reason=websocket.close_reason or "",
                )
            )
