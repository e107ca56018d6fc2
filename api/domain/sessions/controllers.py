"""Sessions API: start, watch (poll, WebSocket, SSE), stop, history, receipts; guest sessions; devices."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import uuid
from collections.abc import AsyncGenerator
from decimal import Decimal
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, WebSocket, delete, get, post, websocket
from litestar.datastructures import State
from litestar.exceptions import WebSocketDisconnect
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, QueryParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage
from litestar.status_codes import HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT
from sqlalchemy import select

from api.db.models import ChargingSession, Device, Evse, Location, User
from api.db.types import utc_now
from api.deps import ClientAddress, CurrentPrincipal, DbSession
from api.domain.drivers.limits import check_room_for_device
from api.domain.sessions.adjustments import adjustments_of, given_back
from api.domain.sessions.guests import (
    NO_CARD_PAYMENTS,
    GuestChargingUnavailable,
    GuestStartLimits,
    guest_receipt_url,
)
from api.domain.sessions.receipts import build_receipt, check_print_token, receipt_html
from api.domain.sessions.schemas import (
    DeviceRegistration,
    DeviceView,
    GuestSessionStarted,
    Receipt,
    SessionPage,
    SessionQuote,
    SessionView,
    StartGuestSession,
    StartSession,
)
from api.domain.sessions.service import SessionService
from api.domain.sessions.updates import SessionUpdates
from api.domain.stations.controllers import pick_locale
from api.errors import FieldError, InvalidInput, NotFound, Unauthorized
from api.idempotency import checked_idempotency_key
from api.openapi_contract import operation_requiring_headers, problems
from api.security.guards import signed_in, verify_access_token

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="idempotency-key",
        required=False,
        description="Required: any unique string per start attempt; the same key returns the same session.",
        # checked by the handler, in its own words: 1 to 128 characters, not only spaces
        schema_extra={"max_length": 128, "pattern": r"^[^\x00-\x08\x0a-\x1f\x7f]*[^\x00-\x20\x7f\x85\xa0]"},
    ),
]
SSE_KEEPALIVE_SECONDS = 15.0


def _sessions(state: State) -> SessionService:
    service: SessionService = state.sessions
    return service


def _guest_limits(state: State) -> GuestStartLimits:
    """This process's guest start limits, made on first use from the settings."""
    limits: GuestStartLimits | None = getattr(state, "guest_start_limits", None)
    if limits is None:
        limits = GuestStartLimits.from_settings(state.settings)
        state.guest_start_limits = limits
    return limits


async def _locale(db_session: Any, user_id: uuid.UUID, request: Request[Any, Any, Any]) -> str:
    """The driver's profile language, else the request's Accept-Language."""
    user = await db_session.get(User, user_id)
    return pick_locale(user.locale if user is not None else None, request.headers.get("accept-language"))


async def _receipt(service: SessionService, db_session: Any, record: ChargingSession) -> Receipt:
    location = await db_session.get(Location, record.location_id)
    evse = await db_session.get(Evse, record.evse_id)
    row = await service._row(db_session, record)
    adjustments = (await adjustments_of(db_session, [record.id])).get(record.id, [])
    return build_receipt(record, location, evse, row, service.settings, utc_now(), adjustments)


async def _stream(
    updates: SessionUpdates, session_id: FromPath[uuid.UUID], first: bytes
) -> AsyncGenerator[bytes | None, None]:
    """The current state, then every update until the session ends (None: nothing new for a while)."""
    async with updates.subscribe(session_id) as queue:
        yield first
        while True:
            try:
                item = await asyncio.wait_for(queue.get(), SSE_KEEPALIVE_SECONDS)
            except TimeoutError:
                yield None
                continue
            if item is None:
                return
            yield item


class SessionController(Controller):
    path = "/v1/sessions"
    tags = ["Sessions"]
    guards = [signed_in]
    security = [{"BearerToken": []}]

    @post(
        "",
        status_code=HTTP_202_ACCEPTED,
        summary="Start charging",
        responses=problems(402, 404, 409, 503),
        operation_class=operation_requiring_headers("idempotency-key"),
    )
    async def start(
        self,
        data: JSONBody[StartSession],
        idempotency_key: IdempotencyKey,
        principal: CurrentPrincipal,
        state: State,
        db_session: DbSession,
        request: Request[Any, Any, Any],
    ) -> SessionView:
        """Checks the connector and the payment method, places the payment hold and sends the remote start.

        The session is `starting` until the charger reports the transaction (then `charging`), or `failed` with a
        reason. 409 `connector-busy` (also when another driver was faster), `evse-out-of-order`, `charger-offline`,
        or `session-already-active` (the driver already charges at this EVSE or has as many sessions as allowed;
        `sessionId` names it). 402 `payment-required` (no payment method) or `card-declined` (the reason in
        words). The same Idempotency-Key with the same body returns the same session; with another body 422
        `idempotency-key-reused`; while the first request with it is still being processed 409
        `request-in-progress`.
        """
        key = checked_idempotency_key(idempotency_key)
        service = _sessions(state)
        locale = await _locale(db_session, principal.user_id, request)
        await db_session.close()  # hand the connection back: the start uses its own
        record, _ = await service.start(
            user_id=principal.user_id,
            idempotency_key=key,
            evse_uid=data.evse_uid,
            emi3_evse_id=data.emi3_evse_id,
            location_id=data.location_id,
            locale=locale,
        )
        return await service.view(db_session, record)

    @get("", summary="Session history, newest first")
    async def history(
        self,
        principal: CurrentPrincipal,
        state: State,
        db_session: DbSession,
        cursor: Annotated[str | None, QueryParameter(required=False, description="nextCursor of the previous page")],
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
    ) -> SessionPage:
        service = _sessions(state)
        records, next_cursor = await service.history(db_session, principal.user_id, cursor, limit)
        return SessionPage(items=[await service.view(db_session, r) for r in records], next_cursor=next_cursor)

    @get("/active", summary="The signed-in driver's running sessions")
    async def active(self, principal: CurrentPrincipal, state: State, db_session: DbSession) -> list[SessionView]:
        return await _sessions(state).active(db_session, principal.user_id)

    @get("/export.csv", summary="Session history as CSV", media_type="text/csv")
    async def export_csv(self, principal: CurrentPrincipal, state: State, db_session: DbSession) -> Response[str]:
        service = _sessions(state)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(
            [
                "session_id",
                "status",
                "location",
                "evse",
                "started_at",
                "ended_at",
                "energy_kwh",
                "amount",
                "currency",
                "refunded",
                "net_amount",
            ]
        )
        cursor: str | None = None
        while True:
            records, cursor = await service.history(db_session, principal.user_id, cursor, 100)
            given = await adjustments_of(db_session, [record.id for record in records])
            for record in records:
                view = await service.view(db_session, record)
                amount = view.cost.amount if view.cost else Decimal(0)
                back = given_back(given.get(record.id, []))
                writer.writerow(
                    [
                        view.id,
                        view.status,
                        view.location_name or "",
                        view.emi3_evse_id or view.evse_uid,
                        view.started_at.isoformat() if view.started_at else "",
                        view.ended_at.isoformat() if view.ended_at else "",
                        view.energy_kwh,
                        amount,
                        record.currency,
                        back,
                        amount - back,
                    ]
                )
            if cursor is None:
                break
        return Response(
            out.getvalue(),
            media_type="text/csv",
            headers={"content-disposition": 'attachment; filename="voltway-sessions.csv"'},
        )

    @get("/{session_id:uuid}", summary="One session: status, energy, power, cost")
    async def get_session(
        self, session_id: FromPath[uuid.UUID], principal: CurrentPrincipal, state: State, db_session: DbSession
    ) -> SessionView:
        service = _sessions(state)
        return await service.view(db_session, await service.get_owned(db_session, session_id, principal.user_id))

    @post(
        "/{session_id:uuid}/stop",
        status_code=HTTP_202_ACCEPTED,
        summary="Stop charging",
        responses=problems(409, 502, 504),
    )
    async def stop(
        self, session_id: FromPath[uuid.UUID], principal: CurrentPrincipal, state: State, db_session: DbSession
    ) -> SessionView:
        """Idempotent. The session is `stopping` until the charger reports the end; then it is billed."""
        service = _sessions(state)
        record = await service.get_owned(db_session, session_id, principal.user_id)
        await service.stop(record.id)
        await db_session.refresh(record)
        return await service.view(db_session, record)

    @get("/{session_id:uuid}/receipt", summary="Itemised receipt of a billed session", responses=problems(409))
    async def receipt(
        self, session_id: FromPath[uuid.UUID], principal: CurrentPrincipal, state: State, db_session: DbSession
    ) -> Receipt:
        service = _sessions(state)
        record = await service.get_owned(db_session, session_id, principal.user_id)
        return await _receipt(service, db_session, record)

    @get(
        "/{session_id:uuid}/receipt.html", summary="Printable receipt", media_type="text/html", responses=problems(409)
    )
    async def receipt_page(
        self, session_id: FromPath[uuid.UUID], principal: CurrentPrincipal, state: State, db_session: DbSession
    ) -> Response[str]:
        service = _sessions(state)
        record = await service.get_owned(db_session, session_id, principal.user_id)
        return Response(receipt_html(await _receipt(service, db_session, record)), media_type="text/html")

    @get("/{session_id:uuid}/events", summary="Live updates as server-sent events")
    async def events(
        self, session_id: FromPath[uuid.UUID], principal: CurrentPrincipal, state: State, db_session: DbSession
    ) -> ServerSentEvent:
        """An `update` event with the session (as GET returns it) now and within a second of every change; the
        stream ends when the session is over."""
        service = _sessions(state)
        record = await service.get_owned(db_session, session_id, principal.user_id)
        first = msgspec.json.encode(await service.view(db_session, record))
        await db_session.close()

        async def messages() -> AsyncGenerator[ServerSentEventMessage, None]:
            async for item in _stream(service.updates, session_id, first):
                if item is None:
                    yield ServerSentEventMessage(comment="keep-alive")
                else:
                    yield ServerSentEventMessage(data=item.decode(), event="update")

        return ServerSentEvent(messages())


class ReceiptLinkController(Controller):
    path = "/v1/receipts"
    tags = ["Sessions"]

    @get(
        "/{session_id:uuid}",
        summary="Printable receipt from its link (no sign-in needed)",
        media_type="text/html",
        responses=problems(409),
    )
    async def receipt_page(
        self, session_id: FromPath[uuid.UUID], token: FromQuery[str], state: State, db_session: DbSession
    ) -> Response[str]:
        """The receipt's `printUrl`: opens in a browser without an Authorization header for 30 days; 404 for a
        link that is altered, for another session or expired."""
        service = _sessions(state)
        check_print_token(service.settings, session_id, token, utc_now())
        record = await db_session.get(ChargingSession, session_id)
        if record is None:
            raise NotFound("No such receipt, or the link is not valid.")
        return Response(receipt_html(await _receipt(service, db_session, record)), media_type="text/html")


class SessionQuoteController(Controller):
    path = "/v1/sessions/quote"
    tags = ["Sessions"]

    @get("", summary="Price and payment hold before starting (no sign-in needed)", responses=problems(404))
    async def quote(
        self,
        state: State,
        request: Request[Any, Any, Any],
        evse_uid: Annotated[
            str | None, QueryParameter(name="evseUid", required=False, description="the EVSE uid shown on the map")
        ] = None,
        emi3_evse_id: Annotated[
            str | None,
            QueryParameter(name="emi3EvseId", required=False, description="the eMI3 EVSE id printed on the charger"),
        ] = None,
        location_id: Annotated[
            uuid.UUID | None,
            QueryParameter(name="locationId", required=False, description="the station, to tell EVSE uids apart"),
        ] = None,
    ) -> SessionQuote:
        """One of `evseUid` or `emi3EvseId` is required (422 `invalid-input` without either); `locationId` tells
        apart EVSEs of different stations that share a uid. 404 for an EVSE that is not on the map."""
        locale = pick_locale(None, request.headers.get("accept-language"))
        return await _sessions(state).quote_for(evse_uid, emi3_evse_id, location_id, locale)


# Close codes of the live socket (RFC 6455 leaves 4000-4999 to applications): HTTP's 401 and 404 plus 4000.
LIVE_UNAUTHORIZED = 4401
LIVE_NOT_FOUND = 4404


@websocket("/v1/sessions/{session_id:uuid}/live", tags=["Sessions"])
async def session_live(socket: WebSocket[Any, Any, Any], session_id: FromPath[uuid.UUID]) -> None:
    """Live updates over a WebSocket; the access token goes in the `token` query parameter. Each message is the
    session as GET returns it; the server closes the socket when the session is over (1000).

    The upgrade is always accepted, so that a refusal reaches the app as a close code it can act on (a refused
    handshake is an HTTP 403 to every client): 4401 for a missing, invalid, expired or revoked token (sign in
    again), 4404 for a session that does not exist or is not the caller's."""
    state = socket.app.state
    await socket.accept()
    try:
        principal = await verify_access_token(socket, socket.query_params.get("token", ""))
    except Unauthorized:
        await socket.close(code=LIVE_UNAUTHORIZED, reason="send a valid access token as the token query parameter")
        return
    service: SessionService = state.sessions
    async with state.session_factory() as db_session:
        try:
            record = await service.get_owned(db_session, session_id, principal.user_id)
        except NotFound:
            await socket.close(code=LIVE_NOT_FOUND, reason="no such session")
            return
        first = msgspec.json.encode(await service.view(db_session, record))

    async def until_closed() -> None:
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                await socket.receive_data(mode="text")

    reader = asyncio.create_task(until_closed())
    try:
        async for item in _stream(service.updates, session_id, first):
            if reader.done():
                return
            if item is not None:
                await socket.send_data(item.decode(), mode="text")
        await socket.close(code=1000, reason="session over")
    except WebSocketDisconnect:
        return
    finally:
        reader.cancel()


class GuestSessionController(Controller):
    """Ad-hoc charging without an account (EU AFIR): pay by card from the charger's QR code."""

    path = "/v1/guest/sessions"
    tags = ["Guest charging"]

    @post(
        "",
        status_code=HTTP_202_ACCEPTED,
        summary="Start charging as a guest",
        responses=problems(402, 404, 409, 503),
        operation_class=operation_requiring_headers("idempotency-key"),
    )
    async def start(
        self,
        data: JSONBody[StartGuestSession],
        state: State,
        db_session: DbSession,
        request: Request[Any, Any, Any],
        idempotency_key: IdempotencyKey,
        client_address: ClientAddress,
    ) -> GuestSessionStarted:
        """The card comes as the payment provider's payment method id (its card form keeps card data away from
        us); the session starts only once the payment is held on it. Returns an access token for this session and
        the receipt link that is also mailed.

        402 `guest-charging-unavailable` where the network takes no card payments in the app (the `none`
        provider) or the charger has no price to hold; 402 `card-declined`. The Idempotency-Key works as for
        `POST /v1/sessions` (per email address). 429 with `Retry-After` after too many guest starts from one
        address or at one EVSE within an hour."""
        key = checked_idempotency_key(idempotency_key)
        service = _sessions(state)
        if not service.payments.requires_payment_method:
            raise GuestChargingUnavailable(NO_CARD_PAYMENTS)
        if not data.payment_method_id:
            raise InvalidInput([FieldError("paymentMethodId", "the card, as a payment method id of the provider")])
        limits = _guest_limits(state)
        limits.admit_address(client_address)
        locale = pick_locale(None, request.headers.get("accept-language"))
        record, secret = await service.start(
            user_id=None,
            idempotency_key=key,
            evse_uid=data.evse_uid,
            emi3_evse_id=data.emi3_evse_id,
            location_id=data.location_id,
            locale=locale,
            guest_email=data.email.strip(),
            payment_method=data.payment_method_id,
            admit_evse=limits.admit_evse,
        )
        assert secret is not None
        receipt_url = guest_receipt_url(state.settings.base_url, record.id, secret)
        return GuestSessionStarted(
            session=await service.view(db_session, record), access_token=secret, receipt_url=receipt_url
        )

    @get("/{session_id:uuid}", summary="A guest session")
    async def get_session(
        self, session_id: FromPath[uuid.UUID], token: FromQuery[str], state: State, db_session: DbSession
    ) -> SessionView:
        service = _sessions(state)
        return await service.view(db_session, await service.get_guest(db_session, session_id, token))

    @post(
        "/{session_id:uuid}/stop",
        status_code=HTTP_202_ACCEPTED,
        summary="Stop a guest session",
        responses=problems(409, 502, 504),
    )
    async def stop(
        self, session_id: FromPath[uuid.UUID], token: FromQuery[str], state: State, db_session: DbSession
    ) -> SessionView:
        service = _sessions(state)
        record = await service.get_guest(db_session, session_id, token)
        await service.stop(record.id)
        await db_session.refresh(record)
        return await service.view(db_session, record)

    @get("/{session_id:uuid}/receipt", summary="Receipt of a guest session", responses=problems(409))
    async def receipt(
        self, session_id: FromPath[uuid.UUID], token: FromQuery[str], state: State, db_session: DbSession
    ) -> Receipt:
        service = _sessions(state)
        return await _receipt(service, db_session, await service.get_guest(db_session, session_id, token))

    @get(
        "/{session_id:uuid}/receipt.html",
        summary="Printable receipt of a guest session",
        media_type="text/html",
        responses=problems(409),
    )
    async def receipt_page(
        self, session_id: FromPath[uuid.UUID], token: FromQuery[str], state: State, db_session: DbSession
    ) -> Response[str]:
        service = _sessions(state)
        record = await service.get_guest(db_session, session_id, token)
        return Response(receipt_html(await _receipt(service, db_session, record)), media_type="text/html")


class DeviceController(Controller):
    path = "/v1/me/devices"
    tags = ["Sessions"]
    guards = [signed_in]
    security = [{"BearerToken": []}]

    @post("", summary="Register a device for notifications")
    async def register(
        self, data: JSONBody[DeviceRegistration], principal: CurrentPrincipal, state: State, db_session: DbSession
    ) -> DeviceView:
        """Charging complete, idle fee in 5 minutes, session failed, receipt ready. Registering the same token
        again returns the same device; 409 `limit-reached` past VOLTWAY_MAX_DEVICES_PER_ACCOUNT."""
        token = data.token.strip()
        device = (
            await db_session.execute(select(Device).where(Device.user_id == principal.user_id, Device.token == token))
        ).scalar_one_or_none()
        if device is None:
            await check_room_for_device(db_session, state.settings, principal.user_id)
            device = Device(user_id=principal.user_id, platform=data.platform, token=token, name=data.name)
            db_session.add(device)
            await db_session.commit()
        return DeviceView(id=device.id, platform=device.platform, name=device.name, created_at=device.created_at)

    @get("", summary="Registered devices")
    async def list_devices(self, principal: CurrentPrincipal, db_session: DbSession) -> list[DeviceView]:
        devices = (await db_session.execute(select(Device).where(Device.user_id == principal.user_id))).scalars()
        return [DeviceView(id=d.id, platform=d.platform, name=d.name, created_at=d.created_at) for d in devices]

    @delete("/{device_id:uuid}", status_code=HTTP_204_NO_CONTENT, summary="Stop notifications to a device")
    async def remove(self, device_id: FromPath[uuid.UUID], principal: CurrentPrincipal, db_session: DbSession) -> None:
        device = await db_session.get(Device, device_id)
        if device is None or device.user_id != principal.user_id:
            raise NotFound("No such device.")
        await db_session.delete(device)
        await db_session.commit()


__all__ = [
    "DeviceController",
    "GuestSessionController",
    "SessionController",
    "SessionQuoteController",
    "session_live",
]
