"""Finding stations in the catalogue: nearest first or inside a viewport, with the map's filters.

Candidates come from the grid index; exact great-circle distances are computed only for them, and the filter
columns rule out in one vectorised pass the candidates the filters cannot match (see `columns.py`). Results
are ordered by (distance, location id), and a cursor carries the last (distance, id) seen, so paging is
stable even while statuses change.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

import msgspec
import numpy as np

from api.domain.stations.catalog import (
    Cell,
    ConnectorEntry,
    EvseEntry,
    LocationEntry,
    StationCatalog,
    StationLink,
    candidate_arrays,
)
from api.domain.stations.columns import may_match, narrows
from api.domain.stations.geo import cells_around, cells_in_box, haversine_many
from api.domain.stations.opening_hours import is_open

# Effective statuses of EVSEs whose charger is ours but cannot be heard from.
OFFLINE = "UNKNOWN"
EnergyPrice = Callable[[LocationEntry, ConnectorEntry, datetime], Decimal | None]


class Box(msgspec.Struct, frozen=True):
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    def contains(self, latitude: float, longitude: float) -> bool:
        return self.min_lat <= latitude <= self.max_lat and self.min_lon <= longitude <= self.max_lon

    @property
    def centre(self) -> tuple[float, float]:
        return ((self.min_lat + self.max_lat) / 2, (self.min_lon + self.max_lon) / 2)


class StationFilters(msgspec.Struct, frozen=True):
    standards: frozenset[str] = frozenset()
    min_power_w: int | None = None
    available_now: bool = False
    open_now: bool = False
    operator: str | None = None
    max_price_per_kwh: Decimal | None = None


class StationQuery(msgspec.Struct, frozen=True):
    """Either a centre with a radius, or a box (distances then from `centre` or the box's middle)."""

    centre: tuple[float, float] | None
    radius_m: float | None
    box: Box | None
    filters: StationFilters
    limit: int
    after: tuple[float, str] | None = None


class Hit(msgspec.Struct, frozen=True):
    location: LocationEntry
    distance_m: float


class InvalidCursor(ValueError):
    """The cursor was not produced by this service."""


def encode_cursor(distance_m: float, sort_key: str) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode([distance_m, sort_key])).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[float, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        distance, key = msgspec.json.decode(raw, type=tuple[float, str])
    except (binascii.Error, ValueError, msgspec.DecodeError):
        raise InvalidCursor("cursor is not valid; start again without it") from None
    return distance, key


class Availability:
    """Decides what status a driver sees: live statuses need a charger we can hear from."""

    def __init__(self, heartbeat_window: timedelta) -> None:
        self.heartbeat_window = heartbeat_window

    def status(self, evse: EvseEntry, stations: dict[uuid.UUID, StationLink], now: datetime) -> tuple[str, str]:
        """(status, source): source is "live", "reported" (from a feed), "offline" or "maintenance" (held
        INOPERATIVE by a work order, whether the charger is connected or not)."""
        if evse.status_source == "maintenance":
            return evse.status, "maintenance"
        if evse.charging_station_id is None:
            return evse.status, "reported"
        link = stations.get(evse.charging_station_id)
        if link is None or not link.connected or link.last_seen is None or now - link.last_seen > self.heartbeat_window:
            return OFFLINE, "offline"
        return evse.status, "live"


class StationSearch:
    """Runs queries against a catalogue."""

    def __init__(self, catalog: StationCatalog, availability: Availability, energy_price: EnergyPrice) -> None:
        self.catalog = catalog
        self.availability = availability
        self.energy_price = energy_price

    def _passes(self, location: LocationEntry, filters: StationFilters, now: datetime) -> bool:
        if filters.operator is not None and (location.operator_name or "").casefold() != filters.operator:
            return False
        if filters.open_now and is_open(location.opening_times, location.time_zone, now) is False:
            return False
        if not (
            filters.standards
            or filters.min_power_w is not None
            or filters.available_now
            or filters.max_price_per_kwh is not None
        ):
            return True
        stations = self.catalog.stations
        for evse in location.evses:
            if evse.status == "REMOVED":
                continue
            if filters.available_now and self.availability.status(evse, stations, now)[0] != "AVAILABLE":
                continue
            for connector in evse.connectors:
                if filters.standards and connector.standard not in filters.standards:
                    continue
                if filters.min_power_w is not None and (connector.max_electric_power or 0) < filters.min_power_w:
                    continue
                if filters.max_price_per_kwh is not None:
                    price = self.energy_price(location, connector, now)
                    if price is None or price > filters.max_price_per_kwh:
                        continue
                return True
        return False

    def cells_for(self, query: StationQuery) -> list[Cell]:
        """The occupied grid cells that can hold a hit; cheap, so it runs where the catalogue changes."""
        if query.box is not None:
            box = query.box
            return self.catalog.cells_in(cells_in_box(box.min_lon, box.min_lat, box.max_lon, box.max_lat))
        if query.centre is None or query.radius_m is None:
            raise ValueError("a query needs a box, or a centre with a radius")
        return self.catalog.cells_in(cells_around(query.centre[0], query.centre[1], query.radius_m))

    def search(
        self, query: StationQuery, now: datetime, cells: list[Cell] | None = None
    ) -> tuple[list[Hit], tuple[float, str] | None]:
        """One page of hits and the key to continue after it (None on the last page)."""
        if cells is None:
            cells = self.cells_for(query)
        box = query.box
        if box is not None:
            centre = query.centre or box.centre
        else:
            if query.centre is None or query.radius_m is None:
                raise ValueError("a query needs a box, or a centre with a radius")
            centre = query.centre
            radius = query.radius_m
        filters = query.filters
        candidates = candidate_arrays(cells, with_columns=narrows(filters))
        entries, latitudes, longitudes = candidates.entries, candidates.latitudes, candidates.longitudes
        distances = haversine_many(centre[0], centre[1], latitudes, longitudes)
        if box is not None:
            keep = (
                (latitudes >= box.min_lat)
                & (latitudes <= box.max_lat)
                & (longitudes >= box.min_lon)
                & (longitudes <= box.max_lon)
            )
        else:
            keep = distances <= radius
        if candidates.columns is not None:
            keep &= may_match(candidates.columns, filters, now)
        indices = np.flatnonzero(keep)
        order = indices[np.argsort(distances[indices], kind="stable")]
        ordered = distances[order]
        after = query.after
        position = 0 if after is None else int(np.searchsorted(ordered, after[0], side="left"))
        page: list[Hit] = []
        total = len(order)
        checked = 0
        while position < total:
            # Equal distances form a group ordered by station id.
            end = position + 1
            while end < total and ordered[end] == ordered[position]:
                end += 1
            distance = float(ordered[position])
            if end == position + 1:
                group = [entries[int(order[position])]]
            else:
                group = sorted((entries[i] for i in order[position:end].tolist()), key=lambda e: e.sort_key)
            position = end
            for location in group:
                if after is not None and (distance, location.sort_key) <= after:
                    continue
                checked += 1
                if not self._passes(location, filters, now):
                    continue
                if len(page) == query.limit:
                    self.catalog.locations_checked += checked
                    last = page[-1]
                    return page, (last.distance_m, last.location.sort_key)
                page.append(Hit(location=location, distance_m=distance))
        self.catalog.locations_checked += checked
        return page, None
