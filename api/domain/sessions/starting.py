"""Starting a session from the app: the quote, the checks, the session row (one open session per
EVSE, enforced by the database), the Idempotency-Key, the payment hold, the remote start through the bridge,
the failure of a start (the hold released); the stop is in `stopping`."""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import msgspec
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import (
    ChargingSession,
    ChargingStation,
    Connector,
    Evse,
    IdTokenRecord,
    Location,
    User,
)
from api.db.models.sessions import OPEN_STATUSES
from api.db.types import utc_now
from api.domain.operations.metrics.rollups import add_failed_start, counts_as_failed_start
from api.domain.payments.ports import Payer, PaymentHold
from api.domain.sessions.core import SessionCore
from api.domain.sessions.guests import (
    NO_CARD_PAYMENTS,
    NOTHING_TO_HOLD,
    GuestChargingUnavailable,
    guest_receipt_url,
    guest_secret,
)
from api.domain.sessions.schemas import SessionQuote
from api.domain.sessions.views import to_minor, view_of
from api.errors import (
    CardDeclined,
    ChargerOffline,
    Conflict,
    ConnectorBusy,
    EvseOutOfOrder,
    FieldError,
    IdempotencyKeyReused,
    InvalidInput,
    NotFound,
    PaymentRequired,
    RequestInProgress,
    ServiceUnavailable,
    SessionAlreadyActive,
)
from api.metrics import instruments as metrics
from ocpp_bridge import errors as ocpp_errors
from ocpp_bridge.commands import RemoteStart, RemoteStartResult
from pricing.errors import PricingError
from pricing.price_text import price_text
from pricing.quote import example_charging_time, example_quote, quote
from pricing.tariff import Tariff

logger = logging.getLogger(__name__)

_ZERO = Decimal(0)
_BUSY = {"Charging", "SuspendedEV", "SuspendedEVSE", "Finishing", "Occupied", "Reserved"}
_OUT_OF_ORDER = {"Faulted", "Unavailable"}


def _app_token() -> str:
    """An OCPP id token for one app session: 20 characters, the 1.6 idTag limit."""
    return "VW" + secrets.token_hex(9).upper()


def _guest_starter(email: str) -> uuid.UUID:
    """Who a guest start belongs to for its Idempotency-Key: the guest's email address."""
    return uuid.uuid5(uuid.NAMESPACE_URL, "mailto:" + email.strip().lower())


def _normalise_emi3(value: str) -> str:
    return value.replace("*", "").replace(" ", "").upper()


class Resolved(msgspec.Struct, kw_only=True):
    evse: Any
    station: Any
    location: Any
    max_power_w: int | None
    tariff_ids: list[str]


class SessionStart(SessionCore):
    """Quote, start, hold, remote start, failure and stop of app sessions."""

    # ----- quote --------------------------------------------------------------------------------------------

    async def _resolve(
        self, session: AsyncSession, evse_uid: str | None, emi3: str | None, location_id: Any
    ) -> Resolved:
        if not evse_uid and not emi3:
            raise InvalidInput([FieldError("evseUid", "give the EVSE uid shown on the map, or emi3EvseId")])
        query = (
            select(Evse, ChargingStation, Location)
            .join(Location, Location.id == Evse.location_id)
            .outerjoin(ChargingStation, ChargingStation.id == Evse.charging_station_id)
        )
        if emi3:
            query = query.where(func.upper(func.replace(Evse.emi3_evse_id, "*", "")) == _normalise_emi3(emi3))
        else:
            query = query.where(Evse.uid == evse_uid)
        if location_id is not None:
            query = query.where(Evse.location_id == location_id)
        rows = (await session.execute(query.limit(3))).all()
        field = "emi3EvseId" if emi3 else "evseUid"
        if not rows:
            raise NotFound(f"No charger with {field} {emi3 or evse_uid!r}.")
        if len(rows) > 1:
            raise InvalidInput(
                [FieldError(field, "this id is used at several locations; add locationId or use emi3EvseId")]
            )
        evse, station, location = rows[0]
        connectors = (await session.execute(select(Connector).where(Connector.evse_id == evse.id))).scalars().all()
        powers = [c.max_electric_power for c in connectors if c.max_electric_power]
        tariff_ids = [t for c in connectors for t in (c.tariff_ids or [])]
        return Resolved(
            evse=evse,
            station=station,
            location=location,
            max_power_w=max(powers) if powers else None,
            tariff_ids=tariff_ids,
        )

    def _hold_amount(
        self, tariff: Tariff | None, location: Location, max_power_w: int | None, now: datetime
    ) -> Decimal:
        """The quote for a generous session, capped per currency: what the card is asked to hold."""
        if tariff is None:
            return _ZERO
        power = Decimal(max_power_w or 22000) / 1000
        try:
            expected = quote(
                tariff,
                energy_kwh=Decimal(self.settings.payment_hold_energy_kwh),
                duration=timedelta(minutes=self.settings.payment_hold_minutes),
                power_kw=power,
                start=now,
                time_zone=location.time_zone,
                idle_fee=self.idle_fee,
            )
        except PricingError:
            logger.exception("no quote for the hold; using the cap")
            return dict(self.settings.payment_hold_caps).get(tariff.currency, _ZERO)
        cap = dict(self.settings.payment_hold_caps).get(tariff.currency)
        return min(expected.hold_amount, cap) if cap is not None else expected.hold_amount

    async def quote_for(self, evse_uid: str | None, emi3: str | None, location_id: Any, locale: str) -> SessionQuote:
        now = utc_now()
        async with self._session_factory() as session:
            resolved = await self._resolve(session, evse_uid, emi3, location_id)
        tariff = self._tariff(resolved.location, resolved.tariff_ids, now)
        hold = self._hold_amount(tariff, resolved.location, resolved.max_power_w, now)
        energy = Decimal(20)
        power = Decimal(resolved.max_power_w or 22000) / 1000
        charging_time = example_charging_time(energy, power)  # 20 kWh at the connector's power, whole minutes
        example = None
        if tariff is not None:
            example = example_quote(
                tariff,
                energy_kwh=energy,
                power_kw=power,
                start=now,
                time_zone=resolved.location.time_zone,
                idle_fee=self.idle_fee,
            ).amount_due
        return SessionQuote(
            evse_uid=resolved.evse.uid,
            emi3_evse_id=resolved.evse.emi3_evse_id,
            currency=tariff.currency if tariff else None,
            price_text=price_text(tariff, locale, idle_fee=self.idle_fee) if tariff else None,
            hold_amount=hold,
            example_energy_kwh=energy,
            example_charging_minutes=int(charging_time.total_seconds()) // 60,
            example_cost=example,
            payment_provider=self.payments.name,
        )

    # ----- start --------------------------------------------------------------------------------------------

    async def start(
        self,
        *,
        user_id: uuid.UUID | None,
        idempotency_key: str | None,
        evse_uid: str | None,
        emi3_evse_id: str | None,
        location_id: uuid.UUID | None,
        locale: str,
        guest_email: str | None = None,
        payment_method: str | None = None,
        admit_evse: Callable[[uuid.UUID], None] | None = None,
    ) -> tuple[ChargingSession, str | None]:
        """Create the session, hold the payment, send the remote start; returns the session (and a guest secret).

        A guest start (no `user_id`) needs a provider that holds money on a card and an authorised hold;
        `admit_evse` may refuse it once the EVSE is known (its rate limit)."""
        if self.send_command is None:
            raise ServiceUnavailable("This process does not run the OCPP bridge (VOLTWAY_OCPP_ENABLED=false).")
        if user_id is None and not self.payments.requires_payment_method:
            raise GuestChargingUnavailable(NO_CARD_PAYMENTS)
        fields: list[str | None] = [evse_uid, emi3_evse_id, str(location_id) if location_id else None]
        if user_id is None:
            fields += [guest_email, payment_method]
        request_hash = hashlib.sha256(msgspec.json.encode(fields)).hexdigest()
        starter = user_id if user_id is not None else _guest_starter(guest_email or "")
        keyed = (starter, idempotency_key) if idempotency_key else None
        if keyed in self._starting:
            raise RequestInProgress("The first request with this Idempotency-Key is still being processed; ask again.")
        if keyed is not None:
            self._starting.add(keyed)
        try:
            return await self._start(
                user_id,
                idempotency_key,
                request_hash,
                evse_uid,
                emi3_evse_id,
                location_id,
                locale,
                guest_email,
                payment_method,
                admit_evse,
            )
        finally:
            if keyed is not None:
                self._starting.discard(keyed)

    async def _start(
        self,
        user_id: uuid.UUID | None,
        idempotency_key: str | None,
        request_hash: str,
        evse_uid: str | None,
        emi3_evse_id: str | None,
        location_id: uuid.UUID | None,
        locale: str,
        guest_email: str | None,
        payment_method: str | None,
        admit_evse: Callable[[uuid.UUID], None] | None,
    ) -> tuple[ChargingSession, str | None]:
        now = utc_now()
        async with self._session_factory() as session:
            if idempotency_key:
                existing = await self._by_key(session, user_id, idempotency_key, guest_email)
                if existing is not None:
                    return self._replayed(existing, request_hash), self._secret_of(existing)
            resolved = await self._resolve(session, evse_uid, emi3_evse_id, location_id)
            evse, station, location = resolved.evse, resolved.station, resolved.location
            evse_id = evse.id
            if admit_evse is not None:
                admit_evse(evse_id)
            if user_id is not None:
                await self._check_open_sessions(session, user_id, evse_id)
            if station is None or evse.ocpp_evse_id is None:
                raise Conflict("This charger is not connected to this network and cannot be started from the app.")
            if not station.connected or station.held_by is None:
                raise ChargerOffline("The charger is offline. Try another charger or try again later.")
            ocpp_status = evse.ocpp_status or ""
            if ocpp_status in _OUT_OF_ORDER or evse.status in ("OUTOFORDER", "INOPERATIVE"):
                raise EvseOutOfOrder("This connector is out of order. Please use another one.")
            if ocpp_status in _BUSY or evse.status in ("CHARGING", "BLOCKED", "RESERVED"):
                raise ConnectorBusy("This connector is in use. Please use another one.")
            payer = (
                await self._user_payer(session, user_id)
                if user_id is not None
                else Payer(email=guest_email, payment_method=payment_method)
            )
            if self.payments.requires_payment_method and not await self.payments.has_usable_method(payer):
                raise PaymentRequired("Add a payment method before you start charging.")
            tariff = self._tariff(location, resolved.tariff_ids, now)
            hold = self._hold_amount(tariff, location, resolved.max_power_w, now)
            currency = tariff.currency if tariff is not None else "EUR"
            if user_id is None and to_minor(hold, currency) <= 0:
                raise GuestChargingUnavailable(NOTHING_TO_HOLD)
            new_id = uuid.uuid4()
            secret = guest_secret(self.settings.secret_key, new_id) if user_id is None else None
            token = _app_token()
            record = ChargingSession(
                id=new_id,
                user_id=user_id,
                guest_email=guest_email,
                guest_secret_hash=hashlib.sha256(secret.encode()).hexdigest() if secret else None,
                source="app" if user_id is not None else "guest",
                idempotency_key=idempotency_key,
                request_hash=request_hash,
                location_id=location.id,
                evse_id=evse.id,
                charging_station_id=station.id,
                connector_id=evse.ocpp_evse_id,
                id_token=token,
                status="starting",
                **self._price_terms(tariff, location, locale),
                payment_method=payment_method,
                created_at=now,
                updated_at=now,
            )
            ocpp_id = station.ocpp_id
            try:
                async with self._lock(user_id or record.id):  # a driver's starts count and insert one at a time
                    if user_id is not None:  # again, now that no start of this driver can slip in between
                        await session.execute(select(User.id).where(User.id == user_id).with_for_update())
                        await self._check_open_sessions(session, user_id, evse_id)
                    session.add(record)
                    session.add(IdTokenRecord(uid=token, type="Central", user_id=user_id, status="Accepted"))
                    await session.commit()
            except IntegrityError:
                await session.rollback()
                if idempotency_key:
                    existing = await self._by_key(session, user_id, idempotency_key, guest_email)
                    if existing is not None:
                        return self._replayed(existing, request_hash), self._secret_of(existing)
                if user_id is not None:
                    await self._check_open_sessions(session, user_id, evse_id)
                raise ConnectorBusy("Someone else has just started charging at this connector.") from None
            session_id = record.id
            metrics.session_started(record.source)
        held = await self._hold(session_id, payer, hold, currency, location.name or location.address)
        if held.status == "declined":
            raise CardDeclined(held.decline_reason or "The card was declined.")
        if user_id is None and held.status != "authorized":  # a guest never charges without money held
            await self._fail(session_id, "The payment could not be authorised: nothing was held on the card.")
            raise GuestChargingUnavailable(NOTHING_TO_HOLD)
        self._spawn(self._remote_start(session_id, ocpp_id, token, record.connector_id), f"remote start {session_id}")
        if secret is not None and guest_email and self.mail_guest is not None:  # a new guest session, not a replay
            link = guest_receipt_url(self.settings.base_url, session_id, secret)
            await self.mail_guest(
                session_id,
                guest_email,
                "Your charging session",
                f"Your charging session has been requested.\nFollow it and get the receipt here: {link}\n",
            )
        async with self._session_factory() as session:
            fresh = await session.get(ChargingSession, session_id)
            assert fresh is not None
            return fresh, secret

    async def _by_key(
        self, session: AsyncSession, user_id: uuid.UUID | None, key: str, guest_email: str | None
    ) -> ChargingSession | None:
        """The session this driver, or this guest (by email address), already started with this key."""
        query = select(ChargingSession).where(ChargingSession.idempotency_key == key)
        if user_id is not None:
            query = query.where(ChargingSession.user_id == user_id)
        else:
            query = query.where(
                ChargingSession.user_id.is_(None),
                ChargingSession.source == "guest",
                ChargingSession.guest_email == guest_email,
            )
        found: ChargingSession | None = (await session.execute(query.limit(1))).scalar_one_or_none()
        return found

    def _secret_of(self, record: ChargingSession) -> str | None:
        """A replayed guest start hands out the same access token as the first answer."""
        return guest_secret(self.settings.secret_key, record.id) if record.user_id is None else None

    @staticmethod
    def _replayed(existing: ChargingSession, request_hash: str) -> ChargingSession:
        if existing.request_hash is not None and existing.request_hash != request_hash:
            raise IdempotencyKeyReused(
                f"This Idempotency-Key already started session {existing.id} with a different request; "
                "send a new key for a new start."
            )
        if existing.status == "failed" and existing.payment_status == "declined":
            raise CardDeclined(existing.failure_reason or "The card was declined.")
        return existing

    async def _check_open_sessions(self, session: AsyncSession, user_id: uuid.UUID, evse_id: uuid.UUID) -> None:
        """Refuse a start at an EVSE where the driver already charges, or beyond the driver's active-session limit."""
        rows = (
            await session.execute(
                select(ChargingSession.id, ChargingSession.evse_id, ChargingSession.source, Evse.uid)
                .join(Evse, Evse.id == ChargingSession.evse_id)
                .where(ChargingSession.user_id == user_id, ChargingSession.status.in_(OPEN_STATUSES))
                .order_by(ChargingSession.created_at)
            )
        ).all()
        for row in rows:
            if row.evse_id == evse_id:
                raise SessionAlreadyActive(
                    f"You already have a session at this EVSE: session {row.id}. Follow or stop that one.", row.id
                )
        limit = self.settings.max_active_sessions_per_driver
        app_sessions = [row for row in rows if row.source == "app"]
        if limit and len(app_sessions) >= limit:
            first = app_sessions[0]
            raise SessionAlreadyActive(
                f"You already have an active session: session {first.id} at EVSE {first.uid}. Stop it before "
                f"starting another (at most {limit} at a time).",
                first.id,
            )

    async def _hold(
        self, session_id: uuid.UUID, payer: Payer, amount: Decimal, currency: str, where: str
    ) -> PaymentHold:
        minor = to_minor(amount, currency)
        if minor <= 0:
            return PaymentHold(status="not_required", currency=currency)  # a free connector: nothing to hold
        try:
            hold = await self.payments.authorize(
                payer,
                amount_minor=minor,
                currency=currency,
                idempotency_key=f"hold-{session_id}",
                description=f"Charging at {where}"[:200],
            )
        except Exception as exc:
            logger.exception("payment hold failed")
            await self._fail(session_id, "The payment could not be authorised: the payment service did not answer.")
            raise ServiceUnavailable("The payment service is not reachable; nothing was charged.") from exc
        async with self._session_factory() as session, session.begin():
            values: dict[str, Any] = {
                "payment_reference": hold.reference or None,
                "hold_minor": hold.amount_minor,
                "payment_status": {"authorized": "held", "declined": "declined"}.get(hold.status, "none"),
                "updated_at": utc_now(),
            }
            await session.execute(update(ChargingSession).where(ChargingSession.id == session_id).values(**values))
        if hold.status == "declined":
            await self._fail(session_id, f"Payment declined: {hold.decline_reason or 'the card was declined'}")
        return hold

    async def _remote_start(self, session_id: uuid.UUID, ocpp_id: str, token: str, connector_id: int) -> None:
        assert self.send_command is not None
        remote_start_id = secrets.randbelow(2**31)
        async with self._session_factory() as session, session.begin():  # a 2.0.1 start may name only this id
            await session.execute(
                update(ChargingSession).where(ChargingSession.id == session_id).values(remote_start_id=remote_start_id)
            )
        try:
            result = await self.send_command(
                ocpp_id,
                RemoteStart(id_token=token, connector_id=connector_id, remote_start_id=remote_start_id),
            )
        except (ocpp_errors.ChargerNotConnected, ocpp_errors.ChargerDisconnected):
            await self._fail(session_id, "The charger went offline before it could start.")
            return
        except ocpp_errors.CommandTimeout:
            await self._fail(session_id, "The charger did not answer the start request.")
            return
        except ocpp_errors.OcppBridgeError as exc:
            await self._fail(session_id, f"The charger could not be started: {exc}")
            return
        status = result.status if isinstance(result, RemoteStartResult) else getattr(result, "status", "Rejected")
        if status != "Accepted":
            reason = getattr(result, "reason", None)
            await self._fail(session_id, "The charger refused to start" + (f" ({reason})." if reason else "."))

    # ----- failure, stop ------------------------------------------------------------------------------------

    async def _fail(self, session_id: uuid.UUID, reason: str) -> bool:
        """starting -> failed, the hold released; False when the session had moved on meanwhile."""
        async with self._lock(session_id):
            async with self._session_factory() as session, session.begin():
                record = await session.get(ChargingSession, session_id, with_for_update=True)
                if record is None or record.status != "starting":
                    return False
                record.status = "failed"
                record.failure_reason = reason[:300]
                metrics.session_failed(reason)
                record.ended_at = utc_now()
                record.updated_at = utc_now()
                if counts_as_failed_start(reason):
                    await add_failed_start(session, record)
                if self.roaming is not None:
                    await self.roaming.session_changed(session, record)
                await session.execute(
                    update(IdTokenRecord).where(IdTokenRecord.uid == record.id_token).values(status="Expired")
                )
                hold = PaymentHold(
                    status="authorized" if record.payment_status == "held" else "not_required",
                    reference=record.payment_reference or "",
                    amount_minor=record.hold_minor,
                    currency=record.currency,
                )
                row = await self._row(session, record)
                user_id = record.user_id
                asked_charger = record.remote_start_id is not None
                station_id = record.charging_station_id
            if asked_charger and self.start_outcomes is not None:
                self.start_outcomes.start_settled(station_id, succeeded=False, reason=reason)
            if hold.status == "authorized":
                try:
                    await self.payments.release(hold, idempotency_key=f"release-{session_id}")
                    async with self._session_factory() as session, session.begin():
                        await session.execute(
                            update(ChargingSession)
                            .where(ChargingSession.id == session_id)
                            .values(payment_status="released")
                        )
                    row["payment_status"] = "released"
                except Exception:
                    logger.exception("could not release the hold of session %s", session_id)
        self.updates.publish(session_id, msgspec.json.encode(view_of(row, None, utc_now())), final=True)
        self.notifier.send_later(
            session_id=session_id,
            user_id=user_id,
            kind="session_failed",
            title="Charging did not start",
            body=reason,
        )
        return True
