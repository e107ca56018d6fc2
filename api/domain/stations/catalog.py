"""The in-memory station catalogue every process searches: a grid index over locations with their EVSEs.

The database is the truth; each process keeps this copy current by reading what changed since the last
revision it applied (see `sync.py`). Entries hold only immutable values and cannot form reference cycles, so
they are kept out of the garbage collector: tens of thousands of them would otherwise make every full
collection, and so the map's slowest responses, slower. Searching memory is what lets the map answer in well under a
millisecond without a database round trip per request.
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

import msgspec
import numpy as np
from numpy.typing import NDArray

from api.domain.stations.columns import FilterColumns, build_columns, join_columns
from api.domain.stations.geo import CellSpan, cell_of
from api.domain.stations.records import OpeningHours

Derived = TypeVar("Derived")


class ConnectorEntry(msgspec.Struct, frozen=True, gc=False):
    connector_id: str
    standard: str
    format: str
    power_type: str
    max_voltage: int | None
    max_amperage: int | None
    max_electric_power: int | None
    tariff_ids: tuple[str, ...]
    last_updated: datetime


class EvseEntry(msgspec.Struct, frozen=True, gc=False):
    id: uuid.UUID
    uid: str
    emi3_evse_id: str | None
    status: str
    status_source: str
    status_updated_at: datetime
    capabilities: tuple[str, ...]
    physical_reference: str | None
    floor_level: str | None
    charging_station_id: uuid.UUID | None
    connectors: tuple[ConnectorEntry, ...]
    last_updated: datetime
    status_reason: str | None = None  # why it is held out of service (status_source "maintenance")


class LocationEntry(msgspec.Struct, frozen=True, gc=False):
    id: uuid.UUID
    sort_key: str  # str(id): ties in distance are ordered by it
    country_code: str
    party_id: str
    ocpi_id: str
    name: str | None
    address: str
    city: str
    postal_code: str | None
    state: str | None
    country: str
    latitude: float
    longitude: float
    time_zone: str
    operator_name: str | None
    parking_type: str | None
    facilities: tuple[str, ...]
    opening_times: OpeningHours | None
    publish: bool
    evses: tuple[EvseEntry, ...]
    last_updated: datetime
    revision: int
    standards: frozenset[str]
    max_power_w: int | None


class StationLink(msgspec.Struct, frozen=True, gc=False):
    """Connectivity of one of our OCPP chargers, which decides whether its EVSEs' statuses are live."""

    ocpp_id: str
    connected: bool
    last_seen: datetime | None


def location_entry(
    *,
    location_id: uuid.UUID,
    country_code: str,
    party_id: str,
    ocpi_id: str,
    name: str | None,
    address: str,
    city: str,
    postal_code: str | None,
    state: str | None,
    country: str,
    latitude: float,
    longitude: float,
    time_zone: str,
    operator_name: str | None,
    parking_type: str | None,
    facilities: tuple[str, ...],
    opening_times: OpeningHours | None,
    publish: bool,
    evses: tuple[EvseEntry, ...],
    last_updated: datetime,
    revision: int,
) -> LocationEntry:
    """Build an entry with its derived search keys (connector standards, best power)."""
    powers = [c.max_electric_power for e in evses for c in e.connectors if c.max_electric_power is not None]
    return LocationEntry(
        id=location_id,
        sort_key=str(location_id),
        country_code=country_code,
        party_id=party_id,
        ocpi_id=ocpi_id,
        name=name,
        address=address,
        city=city,
        postal_code=postal_code,
        state=state,
        country=country,
        latitude=latitude,
        longitude=longitude,
        time_zone=time_zone,
        operator_name=operator_name,
        parking_type=parking_type,
        facilities=facilities,
        opening_times=opening_times,
        publish=publish,
        evses=evses,
        last_updated=last_updated,
        revision=revision,
        standards=frozenset(c.standard for e in evses if e.status != "REMOVED" for c in e.connectors),
        max_power_w=max(powers) if powers else None,
    )


class CellTotals(msgspec.Struct, frozen=True, gc=False):
    """What the clusters endpoint needs of one cell's locations, as arrays in the order of `Cell.arrays`.

    `reported_available` counts EVSEs whose status comes from a feed; EVSEs of our own chargers depend on the
    clock and their charger's connectivity, so they are listed in `live` as (location index, EVSE) instead.
    """

    evses: NDArray[np.int64]
    reported_available: NDArray[np.int64]
    max_power_w: NDArray[np.float64]  # NaN when unknown
    live: tuple[tuple[int, EvseEntry], ...]


class Cell:
    """The locations of one grid cell, with their coordinates as arrays for vectorised distances.

    Searches may read a cell from a worker thread while the event loop changes it: derived arrays are only kept
    when no change happened while they were built.
    """

    __slots__ = ("_arrays", "_columns", "_totals", "_version", "entries")

    def __init__(self) -> None:
        self.entries: dict[uuid.UUID, LocationEntry] = {}
        self._arrays: tuple[list[LocationEntry], NDArray[np.float64], NDArray[np.float64]] | None = None
        self._totals: CellTotals | None = None
        self._columns: FilterColumns | None = None
        self._version = 0

    def changed(self) -> None:
        self._version += 1
        self._arrays = None
        self._totals = None
        self._columns = None

    def arrays(self) -> tuple[list[LocationEntry], NDArray[np.float64], NDArray[np.float64]]:
        """(entries, latitudes, longitudes) in one order; rebuilt after a change."""
        arrays = self._arrays
        if arrays is None:
            version = self._version
            entries = list(self.entries.values())
            arrays = (
                entries,
                np.fromiter((e.latitude for e in entries), dtype=np.float64, count=len(entries)),
                np.fromiter((e.longitude for e in entries), dtype=np.float64, count=len(entries)),
            )
            if version == self._version:
                self._arrays = arrays
        return arrays

    def columns(self, entries: list[LocationEntry]) -> FilterColumns:
        """What the search filters test for `entries` (the list `arrays` returned), cached with the arrays."""
        columns, keep = self._derived(entries, self._columns, build_columns)
        if keep:
            self._columns = columns
        return columns

    def totals(self, entries: list[LocationEntry]) -> CellTotals:
        """Per-location EVSE counts for `entries` (the list `arrays` returned), cached with the arrays."""
        totals, keep = self._derived(entries, self._totals, cell_totals)
        if keep:
            self._totals = totals
        return totals

    def _derived(
        self, entries: list[LocationEntry], cached: Derived | None, build: Callable[[list[LocationEntry]], Derived]
    ) -> tuple[Derived, bool]:
        """`cached` while it still belongs to `entries`, else `build(entries)` and whether it may be kept: only
        when the cell did not change while it was built (a worker thread may build while the event loop writes)."""
        arrays = self._arrays
        if cached is not None and arrays is not None and arrays[0] is entries:
            return cached, False
        version = self._version
        value = build(entries)
        return value, version == self._version and self._arrays is not None and self._arrays[0] is entries


def cell_totals(entries: list[LocationEntry]) -> CellTotals:
    """What the clusters endpoint counts of `entries`, in their order."""
    evses: list[int] = []
    reported: list[int] = []
    powers: list[float] = []
    live: list[tuple[int, EvseEntry]] = []
    for index, location in enumerate(entries):
        usable = [e for e in location.evses if e.status != "REMOVED"]
        evses.append(len(usable))
        reported.append(sum(1 for e in usable if e.charging_station_id is None and e.status == "AVAILABLE"))
        powers.append(math.nan if location.max_power_w is None else float(location.max_power_w))
        live.extend((index, e) for e in usable if e.charging_station_id is not None)
    return CellTotals(
        evses=np.array(evses, dtype=np.int64),
        reported_available=np.array(reported, dtype=np.int64),
        max_power_w=np.array(powers, dtype=np.float64),
        live=tuple(live),
    )


class StationCatalog:
    """Locations by id and by grid cell, our chargers' connectivity, and the revision they reflect."""

    def __init__(self) -> None:
        self.revision = 0
        self.locations: dict[uuid.UUID, LocationEntry] = {}
        self.cells: dict[tuple[int, int], Cell] = defaultdict(Cell)
        self.stations: dict[uuid.UUID, StationLink] = {}
        self.links_version = 0  # moves whenever a charger's connectivity changes
        self.cells_visited = 0  # grid cells looked at by searches so far: what a search costs before any distance
        self.locations_checked = 0  # locations searches ran the exact filter on: what the columns could not rule out

    def __len__(self) -> int:
        return len(self.locations)

    def put(self, entry: LocationEntry) -> None:
        """Add or replace a location. Unpublished ones, and ones without an EVSE a driver could use (none at all,
        or all removed), are taken off the map; imports still count them in their reports."""
        previous = self.locations.pop(entry.id, None)
        if previous is not None:
            key = cell_of(previous.latitude, previous.longitude)
            cell = self.cells.get(key)
            if cell is not None:
                cell.entries.pop(previous.id, None)
                cell.changed()
                if not cell.entries:
                    del self.cells[key]
        if not entry.publish or all(evse.status == "REMOVED" for evse in entry.evses):
            return
        self.locations[entry.id] = entry
        cell = self.cells[cell_of(entry.latitude, entry.longitude)]
        cell.entries[entry.id] = entry
        cell.changed()

    def put_station(self, station_id: uuid.UUID, link: StationLink) -> None:
        if self.stations.get(station_id) != link:
            self.stations[station_id] = link
            self.links_version += 1

    def cells_in(self, span: CellSpan) -> list[Cell]:
        """The occupied cells of `span`: walks the span or the occupied cells, whichever is fewer.

        So a search of the whole world costs the cells that hold stations, not the 6.5 million of its area.
        """
        cells = self.cells
        if span.size <= len(cells):
            self.cells_visited += span.size
            get = cells.get
            return [cell for key in span if (cell := get(key)) is not None]
        self.cells_visited += len(cells)
        r0, r1 = span.rows.start, span.rows.stop
        first, second = (*span.columns, range(0))[:2]
        a0, a1, b0, b1 = first.start, first.stop, second.start, second.stop
        return [
            cell
            for (row, column), cell in list(cells.items())
            if r0 <= row < r1 and (a0 <= column < a1 or b0 <= column < b1)
        ]


class Candidates(msgspec.Struct, frozen=True, gc=False):
    """The locations of some cells with their coordinates, and their filter columns when asked for, in one order."""

    entries: list[LocationEntry]
    latitudes: NDArray[np.float64]
    longitudes: NDArray[np.float64]
    columns: FilterColumns | None


def candidate_arrays(cells: list[Cell], *, with_columns: bool = False) -> Candidates:
    """The locations of `cells` as arrays, read from each cell once so a concurrent change cannot mix versions."""
    entries: list[LocationEntry] = []
    latitudes: list[NDArray[np.float64]] = []
    longitudes: list[NDArray[np.float64]] = []
    columns: list[FilterColumns] = []
    sizes: list[int] = []
    for cell in cells:
        cell_entries, lats, lons = cell.arrays()
        entries.extend(cell_entries)
        latitudes.append(lats)
        longitudes.append(lons)
        if with_columns:
            columns.append(cell.columns(cell_entries))
            sizes.append(len(cell_entries))
    joined = join_columns(columns, sizes) if with_columns else None
    if not entries:
        empty = np.empty(0, dtype=np.float64)
        return Candidates(entries=entries, latitudes=empty, longitudes=empty, columns=joined)
    return Candidates(
        entries=entries, latitudes=np.concatenate(latitudes), longitudes=np.concatenate(longitudes), columns=joined
    )
