"""Reading the network view: six statements whatever the network's size (chargers with their location and
organisation, their EVSEs, the open sessions, the transactions without a session, and what the filters can choose
from), grouped and counted here."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import ChargingSession, ChargingStation, ChargingTransaction, Evse, Location
from api.db.models.organisation import BusinessUnit, Region
from api.db.models.sessions import OPEN_STATUSES
from api.domain.operations.network.schemas import (
    AUTH_OF_SOURCE,
    OCPI_TO_NETWORK,
    ActiveSession,
    ChargerRow,
    Connectivity,
    EvseRow,
    GroupRef,
    GroupTotals,
    LocationGroup,
    NetworkChoices,
    NetworkStatus,
    NetworkView,
    StatusCounts,
    charger_status,
    evse_status,
)
from api.domain.operations.scope import SiteScope

NO_REGION = "No region"
NO_BUSINESS_UNIT = "No business unit"


class NetworkFilters(msgspec.Struct, frozen=True, kw_only=True):
    """What the caller narrowed the view to; None: no narrowing."""

    region_id: uuid.UUID | None = None
    business_unit_id: uuid.UUID | None = None
    location_id: uuid.UUID | None = None
    status: NetworkStatus | None = None  # chargers that are offline, or have an EVSE in this status
    connectivity: Connectivity | None = None
    model: str | None = None  # exact, case-insensitive
    q: str | None = None  # part of a charger id, location name, city or EVSE id, case-insensitive


def _status_condition(status: NetworkStatus) -> ColumnElement[bool]:
    if status == "offline":
        return ChargingStation.connected.is_(False)
    known = list(OCPI_TO_NETWORK)
    matching = [ocpi for ocpi, network in OCPI_TO_NETWORK.items() if network == status]
    evse_status_matches = Evse.status.in_(matching) if status != "unknown" else Evse.status.not_in(known)
    has_evse = exists().where(Evse.charging_station_id == ChargingStation.id, evse_status_matches)
    return and_(ChargingStation.connected.is_(True), has_evse)


def _text_condition(text: str) -> ColumnElement[bool]:
    needle = text.strip().lower()
    evse_matches = exists().where(
        Evse.charging_station_id == ChargingStation.id,
        or_(
            func.lower(Evse.uid).contains(needle, autoescape=True),
            func.lower(Evse.emi3_evse_id).contains(needle, autoescape=True),
        ),
    )
    return or_(
        func.lower(ChargingStation.ocpp_id).contains(needle, autoescape=True),
        func.lower(Location.name).contains(needle, autoescape=True),
        func.lower(Location.city).contains(needle, autoescape=True),
        evse_matches,
    )


def conditions(scope: SiteScope, filters: NetworkFilters) -> list[ColumnElement[bool]]:
    """The WHERE clause (on chargers joined with their location) of the caller's scope and filters."""
    found = [scope.where(Location.id)]
    if filters.region_id is not None:
        found.append(Location.region_id == filters.region_id)
    if filters.business_unit_id is not None:
        found.append(Location.business_unit_id == filters.business_unit_id)
    if filters.location_id is not None:
        found.append(Location.id == filters.location_id)
    if filters.connectivity is not None:
        found.append(ChargingStation.connected.is_(filters.connectivity == "online"))
    if filters.model:
        found.append(func.lower(ChargingStation.model) == filters.model.strip().lower())
    if filters.status is not None:
        found.append(_status_condition(filters.status))
    if filters.q and filters.q.strip():
        found.append(_text_condition(filters.q))
    return found


def _chargers(where: list[ColumnElement[bool]]) -> Select[Any]:
    return (
        select(
            ChargingStation.id,
            ChargingStation.ocpp_id,
            ChargingStation.connected,
            ChargingStation.held_by,
            ChargingStation.last_seen,
            ChargingStation.vendor,
            ChargingStation.model,
            ChargingStation.firmware_version,
            ChargingStation.ocpp_version,
            ChargingStation.registration_status,
            Location.id,
            Location.name,
            Location.address,
            Location.city,
            Region.id,
            Region.name,
            BusinessUnit.id,
            BusinessUnit.name,
        )
        .join(Location, Location.id == ChargingStation.location_id)
        .outerjoin(Region, Region.id == Location.region_id)
        .outerjoin(BusinessUnit, BusinessUnit.id == Location.business_unit_id)
        .where(*where)
    )


def _charger_ids(where: list[ColumnElement[bool]]) -> Select[Any]:
    return select(ChargingStation.id).join(Location, Location.id == ChargingStation.location_id).where(*where)


def _hint(token: str | None) -> str | None:
    """The end of a card's or token's id: enough for an operator to recognise it, not to copy it."""
    if not token:
        return None
    return "…" + token[-4:] if len(token) > 4 else token


def _kwh(energy_wh: float | None) -> Decimal:
    return Decimal(repr(round((energy_wh or 0.0) / 1000, 3)))


def _kw(power_w: float | None) -> Decimal | None:
    return None if power_w is None else Decimal(repr(round(power_w / 1000, 2)))


def _seconds(started_at: datetime | None, now: datetime) -> int:
    return 0 if started_at is None else max(0, int((now - started_at).total_seconds()))


async def _sessions(session: AsyncSession, ids: Select[Any], now: datetime) -> dict[uuid.UUID, ActiveSession]:
    """The open session (or the charger's own running transaction) on each EVSE of the chosen chargers."""
    found: dict[uuid.UUID, ActiveSession] = {}
    transaction = ChargingTransaction
    rows = await session.execute(
        select(
            ChargingSession.id,
            ChargingSession.evse_id,
            ChargingSession.status,
            ChargingSession.source,
            ChargingSession.id_token,
            ChargingSession.started_at,
            ChargingSession.created_at,
            ChargingSession.ocpi_cdr_token,
            transaction.ocpp_transaction_id,
            transaction.energy_wh,
            transaction.power_w,
            transaction.soc_percent,
        )
        .outerjoin(transaction, transaction.id == ChargingSession.transaction_id)
        .where(ChargingSession.status.in_(OPEN_STATUSES), ChargingSession.charging_station_id.in_(ids))
    )
    for sid, evse_id, status, source, token, started, created, cdr_token, ocpp_tx, energy, power, soc in rows:
        method = AUTH_OF_SOURCE.get(source, "app")
        partner = None
        if method == "roaming" and isinstance(cdr_token, dict):
            partner = "-".join(str(cdr_token.get(key, "")) for key in ("country_code", "party_id")).strip("-") or None
        found[evse_id] = ActiveSession(
            session_id=sid,
            status=status,
            auth_method=method,
            id_token_hint=_hint(token) if method in ("rfid", "roaming") else None,
            roaming_partner=partner,
            transaction_id=ocpp_tx,
            started_at=started,
            duration_seconds=_seconds(started or created, now),
            energy_kwh=_kwh(energy),
            power_kw=_kw(power),
            soc_percent=soc,
        )
    orphans = await session.execute(
        select(
            transaction.evse_id,
            transaction.ocpp_transaction_id,
            transaction.id_token,
            transaction.started_at,
            transaction.energy_wh,
            transaction.power_w,
            transaction.soc_percent,
        ).where(
            transaction.status == "active",
            transaction.evse_id.is_not(None),
            transaction.charging_station_id.in_(ids),
            ~exists().where(ChargingSession.transaction_id == transaction.id),
        )
    )
    for evse_id, ocpp_tx, token, started, energy, power, soc in orphans:
        found.setdefault(
            evse_id,
            ActiveSession(
                session_id=None,
                status="charging",
                auth_method="charger",
                id_token_hint=_hint(token),
                roaming_partner=None,
                transaction_id=ocpp_tx,
                started_at=started,
                duration_seconds=_seconds(started, now),
                energy_kwh=_kwh(energy),
                power_kw=_kw(power),
                soc_percent=soc,
            ),
        )
    return found


def _counts(chargers: Iterable[ChargerRow]) -> StatusCounts:
    counts = StatusCounts()
    by_status: Counter[str] = Counter()
    for charger in chargers:
        counts.chargers += 1
        counts.chargers_online += charger.connected
        counts.evses += len(charger.evses)
        by_status.update(evse.status for evse in charger.evses)
    counts.evses_by_status = dict(sorted(by_status.items()))
    counts.online_share = round(counts.chargers_online / counts.chargers, 4) if counts.chargers else 0.0
    return counts


def _group_totals(locations: Sequence[LocationGroup], ref_of: Any, missing: str) -> list[GroupTotals]:
    members: dict[uuid.UUID | None, list[LocationGroup]] = {}
    names: dict[uuid.UUID | None, str] = {None: missing}
    for group in locations:
        ref: GroupRef | None = ref_of(group)
        key = ref.id if ref is not None else None
        if ref is not None:
            names[key] = ref.name
        members.setdefault(key, []).append(group)
    totals = [
        GroupTotals(id=key, name=names[key], totals=_counts(c for g in groups for c in g.chargers))
        for key, groups in members.items()
    ]
    return sorted(totals, key=lambda item: (item.id is None, item.name.lower()))


async def _choices(session: AsyncSession, scope: SiteScope) -> NetworkChoices:
    """Regions, business units, locations and models of the chargers in the caller's sites."""
    rows = await session.execute(
        select(Location.id, Location.name, Location.address, Region.id, Region.name, BusinessUnit.id, BusinessUnit.name)
        .outerjoin(Region, Region.id == Location.region_id)
        .outerjoin(BusinessUnit, BusinessUnit.id == Location.business_unit_id)
        .where(scope.where(Location.id), exists().where(ChargingStation.location_id == Location.id))
    )
    regions: dict[uuid.UUID, str] = {}
    units: dict[uuid.UUID, str] = {}
    locations: list[GroupRef] = []
    for location_id, name, address, region_id, region_name, unit_id, unit_name in rows:
        locations.append(GroupRef(id=location_id, name=name or address))
        if region_id is not None:
            regions[region_id] = region_name
        if unit_id is not None:
            units[unit_id] = unit_name
    models = await session.execute(
        select(ChargingStation.model)
        .distinct()
        .join(Location, Location.id == ChargingStation.location_id)
        .where(scope.where(Location.id), ChargingStation.model.is_not(None))
    )

    def refs(names: dict[uuid.UUID, str]) -> list[GroupRef]:
        return sorted((GroupRef(id=key, name=name) for key, name in names.items()), key=lambda ref: ref.name.lower())

    return NetworkChoices(
        regions=refs(regions),
        business_units=refs(units),
        locations=sorted(locations, key=lambda ref: ref.name.lower()),
        models=sorted(models.scalars(), key=str.lower),
    )


async def network_view(session: AsyncSession, scope: SiteScope, filters: NetworkFilters, now: datetime) -> NetworkView:
    """Every charger the scope allows and the filters keep, with its EVSEs and their running sessions."""
    where = conditions(scope, filters)
    ids = _charger_ids(where)
    charger_rows = (await session.execute(_chargers(where))).all()
    evse_rows = (
        await session.execute(
            select(
                Evse.id,
                Evse.charging_station_id,
                Evse.uid,
                Evse.emi3_evse_id,
                Evse.ocpp_evse_id,
                Evse.status,
                Evse.ocpp_status,
                Evse.error_code,
                Evse.status_updated_at,
            ).where(Evse.charging_station_id.in_(ids))
        )
    ).all()
    running = await _sessions(session, ids, now) if evse_rows else {}
    connected_of = {row[0]: bool(row[2]) for row in charger_rows}
    evses_of: dict[uuid.UUID, list[EvseRow]] = {}
    for evse_id, station_id, uid, emi3, number, status, ocpp_status, error, updated in evse_rows:
        evses_of.setdefault(station_id, []).append(
            EvseRow(
                evse_id=evse_id,
                uid=uid,
                emi3_evse_id=emi3,
                connector_id=number,
                status=evse_status(connected_of.get(station_id, False), status),
                ocpi_status=status,
                ocpp_status=ocpp_status,
                error_code=error,
                status_updated_at=updated,
                session=running.get(evse_id),
            )
        )
    locations: dict[uuid.UUID, LocationGroup] = {}
    for row in charger_rows:
        (station_id, ocpp_id, connected, held_by, last_seen, vendor, model, firmware, version, registration) = row[:10]
        location_id, name, address, city, region_id, region_name, unit_id, unit_name = row[10:]
        evses = sorted(evses_of.get(station_id, []), key=lambda evse: (evse.connector_id or 0, evse.uid))
        charger = ChargerRow(
            charger_id=ocpp_id,
            status=charger_status(bool(connected), [evse.status for evse in evses]),
            connected=bool(connected),
            held_by=held_by if connected else None,
            last_seen=last_seen,
            vendor=vendor,
            model=model,
            firmware_version=firmware,
            ocpp_version=version,
            registration_status=registration,
            evses=evses,
        )
        group = locations.get(location_id)
        if group is None:
            group = locations[location_id] = LocationGroup(
                location_id=location_id,
                name=name,
                address=address,
                city=city,
                region=GroupRef(id=region_id, name=region_name) if region_id is not None else None,
                business_unit=GroupRef(id=unit_id, name=unit_name) if unit_id is not None else None,
                totals=StatusCounts(),
                chargers=[],
            )
        group.chargers.append(charger)
    ordered = sorted(
        locations.values(),
        key=lambda g: (g.region is None, (g.region.name.lower() if g.region else ""), (g.name or g.address).lower()),
    )
    for group in ordered:
        group.chargers.sort(key=lambda charger: charger.charger_id)
        group.totals = _counts(group.chargers)
    return NetworkView(
        generated_at=now,
        choices=await _choices(session, scope),
        totals=_counts(c for g in ordered for c in g.chargers),
        regions=_group_totals(ordered, lambda g: g.region, NO_REGION),
        business_units=_group_totals(ordered, lambda g: g.business_unit, NO_BUSINESS_UNIT),
        locations=ordered,
    )
