"""Operator API for authorisation at chargers: card expiry and groups, local lists, reservations."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from litestar import Controller, get, post, put
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody, QueryParameter

from api.deps import DbSession
from api.domain.chargers.bridge_problems import answer
from api.domain.chargers.local_list import LocalListKeeper, LocalListState, SyncOutcome
from api.domain.chargers.reservations import (
    InvalidReservation,
    ReservationError,
    ReservationOut,
    ReservationService,
    UnknownCharger,
    UnknownReservation,
)
from api.domain.drivers.id_tokens import TokenAuthorisation, TokenAuthorisationOut, set_token_authorisation
from api.errors import Conflict, FieldError, InvalidInput, NotFound, ServiceUnavailable
from api.openapi_contract import problems
from api.schema import AppStruct
from api.security.guards import admin_only


class ReservationCreate(AppStruct):
    charger_id: Annotated[str, msgspec.Meta(min_length=1, max_length=48)]
    id_token: Annotated[str, msgspec.Meta(min_length=1, max_length=20)]
    expires_at: datetime
    connector_id: Annotated[int, msgspec.Meta(ge=0)] = 0
    group_id: Annotated[str, msgspec.Meta(min_length=1, max_length=20)] | None = None


def _bridge(state: State) -> tuple[LocalListKeeper, ReservationService]:
    bridge = getattr(state, "bridge", None)
    if bridge is None:
        raise ServiceUnavailable("This process does not run the OCPP bridge (VOLTWAY_OCPP_ENABLED=false).")
    return bridge.local_lists, bridge.reservations


class AdminAuthorisationController(Controller):
    path = "/v1/admin"
    tags = ["Administration"]
    guards = [admin_only]
    security = [{"BearerToken": []}]

    @put("/tokens/{uid:str}/authorisation", summary="Set a card's status, expiry and group", responses=problems())
    async def set_token(
        self, uid: FromPath[str], data: JSONBody[TokenAuthorisation], db_session: DbSession
    ) -> TokenAuthorisationOut:
        """Chargers answer Expired after `expiresAt`; a `groupId` lets cards of one group end each other's
        transactions. Local lists and authorisation caches of connected chargers follow within seconds."""
        return await set_token_authorisation(db_session, uid, data)

    @post(
        "/chargers/{charger_id:str}/local-list/sync",
        status_code=200,
        summary="Send the full local authorisation list to a charger",
        responses=problems(409, 502, 503, 504),
    )
    async def sync_local_list(self, charger_id: FromPath[str], state: State) -> SyncOutcome:
        """A Full SendLocalList (in several messages when it exceeds what the charger takes in one); `status`
        NotSupported when the charger has no local list enabled."""
        keeper, _ = _bridge(state)
        try:
            return await answer(charger_id, keeper.sync_full(charger_id))
        except LookupError as exc:
            raise NotFound(str(exc)) from None

    @get(
        "/chargers/{charger_id:str}/local-list",
        summary="The local list version a charger holds",
        responses=problems(503),
    )
    async def local_list(self, charger_id: FromPath[str], state: State) -> LocalListState:
        """The version we recorded and, when the charger is connected, the one it reports."""
        keeper, _ = _bridge(state)
        try:
            return await keeper.state(charger_id, ask_charger=True)
        except LookupError as exc:
            raise NotFound(str(exc)) from None

    @get("/reservations", summary="Reservations, newest first", responses=problems(503))
    async def list_reservations(
        self,
        state: State,
        charger_id: Annotated[str | None, QueryParameter(query="chargerId")] = None,
        open_only: Annotated[bool, QueryParameter(query="open")] = False,
    ) -> list[ReservationOut]:
        _, reservations = _bridge(state)
        return await reservations.list(charger_id=charger_id, open_only=open_only)

    @post("/reservations", summary="Reserve a connector for a card", responses=problems(409, 502, 503, 504))
    async def reserve(self, data: JSONBody[ReservationCreate], state: State) -> ReservationOut:
        """ReserveNow to the charger (connector 0: any of its connectors); 409 when the charger refuses."""
        _, reservations = _bridge(state)
        try:
            return await answer(
                data.charger_id,
                reservations.reserve(
                    data.charger_id,
                    connector_id=data.connector_id,
                    id_token=data.id_token,
                    expires_at=data.expires_at,
                    group_id=data.group_id,
                ),
            )
        except UnknownCharger as exc:
            raise NotFound(str(exc)) from None
        except InvalidReservation as exc:
            raise InvalidInput([FieldError("expiresAt", str(exc))]) from None
        except ReservationError as exc:
            raise Conflict(str(exc)) from None

    @post(
        "/reservations/{reservation_id:int}/cancel",
        status_code=200,
        summary="Cancel a reservation",
        responses=problems(502, 503, 504),
    )
    async def cancel(self, reservation_id: FromPath[int], state: State) -> ReservationOut:
        _, reservations = _bridge(state)
        try:
            reservation = await reservations.get(reservation_id)
            return await answer(reservation.charger_id, reservations.cancel(reservation_id))
        except UnknownReservation as exc:
            raise NotFound(str(exc)) from None
