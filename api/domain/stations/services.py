"""The driver map: searching the catalogue, describing stations, favourites and problem reports."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Protocol

import msgspec
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Evse, Favourite, Location, StationReport
from api.db.types import utc_now
from api.domain.stations.catalog import ConnectorEntry, EvseEntry, LocationEntry, StationCatalog
from api.domain.stations.clusters import count_clusters
from api.domain.stations.geo import cells_in_box, haversine_m
from api.domain.stations.opening_hours import is_open
from api.domain.stations.reports import REPORT_CATEGORIES
from api.domain.stations.schemas import (
    ClusterPage,
    ConnectorPrice,
    ConnectorView,
    Coordinates,
    EvseView,
    OpeningHoursView,
    ProblemReport,
    ProblemReportRequest,
    RegularHoursView,
    StationDetail,
    StationPage,
    StationSummary,
)
from api.domain.stations.schemas import (
    Favourite as FavouriteView,
)
from api.domain.stations.search import Availability, Box, StationQuery, StationSearch, encode_cursor
from api.domain.stations.worker import MapWorker
from api.errors import FieldError, InvalidInput, NotFound


class ConnectorPricing(Protocol):
    """Prices a connector at a moment from its tariffs; None when no tariff applies."""

    @property
    def version(self) -> int:
        """Moves whenever any price may have changed."""
        ...

    def price(
        self, location: LocationEntry, connector: ConnectorEntry, now: datetime, locale: str
    ) -> ConnectorPrice | None: ...

    def energy_price(self, location: LocationEntry, connector: ConnectorEntry, now: datetime) -> Decimal | None: ...


def _kw(watts: int | None) -> float | None:
    return None if watts is None else round(watts / 1000, 1)


class ReportFiling(Protocol):
    """Where a problem report goes besides its own row (the support desk's ticket of the charger)."""

    async def file(self, session: AsyncSession, report: StationReport) -> str:
        """Commit the added report with its ticket; the ticket number the reporter is told."""
        ...


class StationService:
    def __init__(
        self,
        catalog: StationCatalog,
        availability: Availability,
        pricing: ConnectorPricing,
        worker: MapWorker | None = None,
    ) -> None:
        self.catalog = catalog
        self.worker = worker or MapWorker()
        self.availability = availability
        self.pricing = pricing
        self.search_engine = StationSearch(catalog, availability, pricing.energy_price)
        self._summaries: dict[tuple[uuid.UUID, int, str, int, int], StationSummary] = {}
        self._summary_minute = 0
        self.report_filing: ReportFiling | None = None

    # ----- views -----------------------------------------------------------------------------------

    def _evse_view(self, location: LocationEntry, evse: EvseEntry, now: datetime, locale: str) -> EvseView:
        status, source = self.availability.status(evse, self.catalog.stations, now)
        return EvseView(
            uid=evse.uid,
            emi3_evse_id=evse.emi3_evse_id,
            status=status,
            status_source=source,
            status_reason=f"Under maintenance: {evse.status_reason}" if source == "maintenance" else None,
            status_updated_at=evse.status_updated_at,
            capabilities=list(evse.capabilities),
            connectors=[
                ConnectorView(
                    id=c.connector_id,
                    standard=c.standard,
                    format=c.format,
                    power_type=c.power_type,
                    max_power_kw=_kw(c.max_electric_power),
                    max_voltage=c.max_voltage,
                    max_amperage=c.max_amperage,
                    price=self.pricing.price(location, c, now, locale),
                )
                for c in evse.connectors
            ],
        )

    def summary(self, location: LocationEntry, distance_m: float | None, now: datetime, locale: str) -> StationSummary:
        """A station as the map lists it; built once per minute and change, then only the distance varies.

        Statuses, opening hours and prices are evaluated at minute resolution; any change to the location or
        to a charger's connectivity makes a new one at once.
        """
        minute = int(now.timestamp()) // 60
        if minute != self._summary_minute:
            self._summaries.clear()
            self._summary_minute = minute
        key = (location.id, location.revision, locale, self.catalog.links_version, self.pricing.version)
        cached = self._summaries.get(key)
        if cached is None:
            cached = self._summaries[key] = self._build_summary(location, now, locale)
        if distance_m is None:
            return cached
        return msgspec.structs.replace(cached, distance_meters=round(distance_m, 1))

    def _build_summary(self, location: LocationEntry, now: datetime, locale: str) -> StationSummary:
        evses = [self._evse_view(location, e, now, locale) for e in location.evses if e.status != "REMOVED"]
        return StationSummary(
            id=location.id,
            name=location.name,
            address=location.address,
            city=location.city,
            postal_code=location.postal_code,
            country=location.country,
            coordinates=Coordinates(latitude=location.latitude, longitude=location.longitude),
            distance_meters=None,
            operator=location.operator_name,
            time_zone=location.time_zone,
            open_now=is_open(location.opening_times, location.time_zone, now),
            evse_count=len(evses),
            available_evse_count=sum(1 for e in evses if e.status == "AVAILABLE"),
            max_power_kw=_kw(location.max_power_w),
            connector_standards=sorted(location.standards),
            evses=evses,
        )

    # ----- queries -----------------------------------------------------------------------------

    def search(self, query: StationQuery, locale: str, now: datetime | None = None) -> StationPage:
        moment = now or utc_now()
        hits, after = self.search_engine.search(query, moment)
        return StationPage(
            items=[self.summary(hit.location, hit.distance_m, moment, locale) for hit in hits],
            next_cursor=encode_cursor(*after) if after is not None else None,
        )

    def detail(
        self, location_id: uuid.UUID, centre: tuple[float, float] | None, locale: str, now: datetime | None = None
    ) -> StationDetail:
        location = self.catalog.locations.get(location_id)
        if location is None:
            raise NotFound("No station with this id.")
        moment = now or utc_now()
        distance = haversine_m(centre[0], centre[1], location.latitude, location.longitude) if centre else None
        summary = self.summary(location, distance, moment, locale)
        opening = location.opening_times
        return StationDetail(
            **{f: getattr(summary, f) for f in summary.__struct_fields__},
            state=location.state,
            parking_type=location.parking_type,
            facilities=list(location.facilities),
            opening_times=OpeningHoursView(
                twentyfourseven=opening.twentyfourseven,
                regular_hours=[
                    RegularHoursView(weekday=h.weekday, period_begin=h.period_begin, period_end=h.period_end)
                    for h in opening.regular_hours
                ],
            )
            if opening
            else None,
            last_updated=location.last_updated,
        )

    def clusters(self, box: Box, zoom: int, now: datetime | None = None) -> ClusterPage:
        """Counts per grid cell sized to the zoom level, so a whole country fits one small response."""
        cells = self.catalog.cells_in(cells_in_box(box.min_lon, box.min_lat, box.max_lon, box.max_lat))
        return count_clusters(cells, box, zoom, self.availability, self.catalog.stations, now or utc_now())

    async def clusters_off_loop(self, box: Box, zoom: int) -> ClusterPage:
        """`clusters`, on the map worker when the view holds many stations."""
        now = utc_now()
        cells = self.catalog.cells_in(cells_in_box(box.min_lon, box.min_lat, box.max_lon, box.max_lat))
        return await self.worker.run(
            lambda: count_clusters(cells, box, zoom, self.availability, self.catalog.stations, now),
            locations=sum(len(cell.entries) for cell in cells),
        )

    async def search_off_loop(self, query: StationQuery, locale: str) -> StationPage:
        """`search`, on the map worker when the query's cells hold many stations."""
        now = utc_now()
        cells = self.search_engine.cells_for(query)

        def page() -> StationPage:
            hits, after = self.search_engine.search(query, now, cells)
            return StationPage(
                items=[self.summary(hit.location, hit.distance_m, now, locale) for hit in hits],
                next_cursor=encode_cursor(*after) if after is not None else None,
            )

        return await self.worker.run(page, locations=sum(len(cell.entries) for cell in cells))

    def close(self) -> None:
        self.worker.close()

    # ----- favourites ----------------------------------------------------------------------------

    async def _require_location(self, session: AsyncSession, location_id: uuid.UUID) -> None:
        if location_id in self.catalog.locations:
            return
        found = (await session.execute(select(Location.id).where(Location.id == location_id))).scalar_one_or_none()
        if found is None:
            raise NotFound("No station with this id.")

    async def add_favourite(self, session: AsyncSession, user_id: uuid.UUID, location_id: uuid.UUID) -> None:
        """Idempotent: adding a favourite twice keeps one."""
        await self._require_location(session, location_id)
        values = {"user_id": user_id, "location_id": location_id, "created_at": utc_now()}
        dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
        if dialect == "postgresql":
            await session.execute(postgresql.insert(Favourite).values(**values).on_conflict_do_nothing())
        else:
            await session.execute(sqlite.insert(Favourite).values(**values).on_conflict_do_nothing())
        await session.commit()

    async def remove_favourite(self, session: AsyncSession, user_id: uuid.UUID, location_id: uuid.UUID) -> None:
        await session.execute(
            delete(Favourite).where(Favourite.user_id == user_id, Favourite.location_id == location_id)
        )
        await session.commit()

    async def favourites(self, session: AsyncSession, user_id: uuid.UUID, locale: str) -> list[FavouriteView]:
        rows = (
            await session.execute(
                select(Favourite).where(Favourite.user_id == user_id).order_by(Favourite.created_at.desc())
            )
        ).scalars()
        now = utc_now()
        result = []
        for row in rows:
            location = self.catalog.locations.get(row.location_id)
            result.append(
                FavouriteView(
                    location_id=row.location_id,
                    created_at=row.created_at,
                    station=self.summary(location, None, now, locale) if location else None,
                )
            )
        return result

    # ----- problem reports ------------------------------------------------------------------------

    async def report_problem(
        self, session: AsyncSession, user_id: uuid.UUID | None, location_id: uuid.UUID, request: ProblemReportRequest
    ) -> ProblemReport:
        await self._require_location(session, location_id)
        if request.category not in REPORT_CATEGORIES:
            raise InvalidInput(
                [FieldError("category", f"must be one of {', '.join(REPORT_CATEGORIES)}")],
            )
        evse_row_id = None
        if request.evse_uid is not None:
            evse_row_id = (
                await session.execute(
                    select(Evse.id).where(Evse.location_id == location_id, Evse.uid == request.evse_uid)
                )
            ).scalar_one_or_none()
            if evse_row_id is None:
                raise InvalidInput([FieldError("evseUid", "this station has no EVSE with this uid")])
        report = StationReport(
            id=uuid.uuid4(),
            location_id=location_id,
            evse_id=evse_row_id,
            user_id=user_id,
            category=request.category,
            text=request.text.strip(),
            status="open",
            created_at=utc_now(),
        )
        session.add(report)
        number = None
        if self.report_filing is not None:
            number = await self.report_filing.file(session, report)
        else:
            await session.commit()
        return ProblemReport(
            id=report.id,
            location_id=location_id,
            evse_uid=request.evse_uid,
            category=report.category,
            text=report.text,
            status=report.status,
            created_at=report.created_at,
            ticket_number=number,
        )
