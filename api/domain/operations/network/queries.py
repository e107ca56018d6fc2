"""Reading the network view. Whatever the network's size it takes a fixed number of statements: two aggregates
count chargers and EVSEs per location over everything the caller's scope and filters keep (the totals), two read
what the filters can choose from, and four read the chargers of the requested page of locations (`details`)."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable
from datetime import datetime

import msgspec
from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import aliased

from api.db.models import ChargingStation, Evse, Location
from api.db.models.organisation import BusinessUnit, Region
from api.domain.operations.network.details import chargers_by_location
from api.domain.operations.network.schemas import (
    OCPI_TO_NETWORK,
    Connectivity,
    GroupRef,
    GroupTotals,
    LocationGroup,
    NetworkChoices,
    NetworkStatus,
    NetworkView,
    StatusCounts,
    evse_status,
)
from api.domain.operations.scope import SiteScope

NO_REGION = "No region"
_other_evse = aliased(Evse)  # an EVSE of the charger in a filter's subquery, whatever the outer query reads
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
    evse = _other_evse
    evse_status_matches = evse.status.in_(matching) if status != "unknown" else evse.status.not_in(known)
    has_evse = exists().where(evse.charging_station_id == ChargingStation.id, evse_status_matches)
    return and_(ChargingStation.connected.is_(True), has_evse)


def _text_condition(text: str) -> ColumnElement[bool]:
    needle = text.strip().lower()
    evse = _other_evse
    evse_matches = exists().where(
        evse.charging_station_id == ChargingStation.id,
        or_(
            func.lower(evse.uid).contains(needle, autoescape=True),
            func.lower(evse.emi3_evse_id).contains(needle, autoescape=True),
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


def _counts(chargers: int, online: int, evses: Counter[str]) -> StatusCounts:
    return StatusCounts(
        chargers=chargers,
        chargers_online=online,
        evses=sum(evses.values()),
        evses_by_status=dict(sorted(evses.items())),
        online_share=round(online / chargers, 4) if chargers else 0.0,
    )


class _Tally:
    """Chargers, connected chargers and EVSEs by status of a group, summed from its locations."""

    __slots__ = ("chargers", "evses", "online")

    def __init__(self) -> None:
        self.chargers = 0
        self.online = 0
        self.evses: Counter[str] = Counter()

    def add(self, totals: StatusCounts) -> None:
        self.chargers += totals.chargers
        self.online += totals.chargers_online
        self.evses.update(totals.evses_by_status)

    def counts(self) -> StatusCounts:
        return _counts(self.chargers, self.online, self.evses)


async def _locations(connection: AsyncConnection, where: list[ColumnElement[bool]]) -> list[LocationGroup]:
    """Every location with a charger `where` keeps, with its totals, by region (none last) and name."""
    online = func.sum(case((ChargingStation.connected.is_(True), 1), else_=0))
    rows = await connection.execute(
        select(
            Location.id,
            Location.name,
            Location.address,
            Location.city,
            Region.id,
            Region.name,
            BusinessUnit.id,
            BusinessUnit.name,
            func.count(ChargingStation.id),
            online,
        )
        .select_from(ChargingStation)
        .join(Location, Location.id == ChargingStation.location_id)
        .outerjoin(Region, Region.id == Location.region_id)
        .outerjoin(BusinessUnit, BusinessUnit.id == Location.business_unit_id)
        .where(*where)
        .group_by(
            Location.id,
            Location.name,
            Location.address,
            Location.city,
            Region.id,
            Region.name,
            BusinessUnit.id,
            BusinessUnit.name,
        )
    )
    statuses: dict[uuid.UUID, Counter[str]] = {}
    evse_rows = await connection.execute(
        select(ChargingStation.location_id, ChargingStation.connected, Evse.status, func.count(Evse.id))
        .select_from(Evse)
        .join(ChargingStation, ChargingStation.id == Evse.charging_station_id)
        .join(Location, Location.id == ChargingStation.location_id)
        .where(*where)
        .group_by(ChargingStation.location_id, ChargingStation.connected, Evse.status)
    )
    for location_id, connected, status, count in evse_rows:
        statuses.setdefault(location_id, Counter())[evse_status(bool(connected), status)] += count
    groups = [
        LocationGroup(
            location_id=location_id,
            name=name,
            address=address,
            city=city,
            region=GroupRef(id=region_id, name=region_name) if region_id is not None else None,
            business_unit=GroupRef(id=unit_id, name=unit_name) if unit_id is not None else None,
            totals=_counts(chargers, int(online or 0), statuses.get(location_id, Counter())),
            chargers=[],
        )
        for location_id, name, address, city, region_id, region_name, unit_id, unit_name, chargers, online in rows
    ]
    return sorted(
        groups,
        key=lambda g: (g.region is None, g.region.name.lower() if g.region else "", (g.name or g.address).lower()),
    )


def _group_totals(locations: Iterable[LocationGroup], business_units: bool) -> list[GroupTotals]:
    tallies: dict[uuid.UUID | None, _Tally] = {}
    names: dict[uuid.UUID | None, str] = {None: NO_BUSINESS_UNIT if business_units else NO_REGION}
    for group in locations:
        ref = group.business_unit if business_units else group.region
        key = ref.id if ref is not None else None
        if ref is not None:
            names[key] = ref.name
        tallies.setdefault(key, _Tally()).add(group.totals)
    totals = [GroupTotals(id=key, name=names[key], totals=tally.counts()) for key, tally in tallies.items()]
    return sorted(totals, key=lambda item: (item.id is None, item.name.lower()))


async def _choices(connection: AsyncConnection, scope: SiteScope) -> NetworkChoices:
    """Regions, business units, locations and models of the chargers in the caller's sites."""
    rows = await connection.execute(
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
    models = await connection.execute(
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
        models=sorted((model for model in models.scalars() if model), key=str.lower),
    )


async def network_view(
    session: AsyncSession,
    scope: SiteScope,
    filters: NetworkFilters,
    now: datetime,
    *,
    offset: int = 0,
    limit: int = 100,
) -> NetworkView:
    """The totals of every charger the scope allows and the filters keep, and the chargers, EVSEs and running
    sessions of `limit` of their locations from `offset` on (0: the totals alone)."""
    connection = await session.connection()
    where = conditions(scope, filters)
    locations = await _locations(connection, where)
    page = locations[offset : offset + limit]
    if page:
        chosen = [*where, Location.id.in_([group.location_id for group in page])]
        chargers = await chargers_by_location(connection, chosen, now)
        for group in page:
            group.chargers = chargers.get(group.location_id, [])
    overall = _Tally()
    for group in locations:
        overall.add(group.totals)
    return NetworkView(
        generated_at=now,
        choices=await _choices(connection, scope),
        totals=overall.counts(),
        regions=_group_totals(locations, business_units=False),
        business_units=_group_totals(locations, business_units=True),
        locations_total=len(locations),
        offset=offset,
        limit=limit,
        locations=page,
    )
