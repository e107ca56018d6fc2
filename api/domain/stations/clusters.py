"""Station counts per map grid cell: what a zoomed-out map draws instead of individual stations.

The work is proportional to the stations in view: the catalogue hands over only its occupied cells, and each
cell keeps its per-location counts as arrays, so grouping is a few vectorised passes.
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime

import numpy as np

from api.domain.stations.catalog import Cell, StationLink
from api.domain.stations.schemas import Cluster, ClusterPage
from api.domain.stations.search import Availability, Box

# Clusters are a quarter of a map tile wide: 360 / 2**zoom / 4 degrees.
# One response covers at most this many cluster cells (128 x 128: several screens at any zoom).
MAX_CLUSTER_CELLS = 128 * 128
_ROW_SHIFT = 1 << 24  # more than the number of cluster columns at the deepest zoom (4 * 2**22)


def cluster_degrees(zoom: int) -> float:
    return math.ldexp(90.0, -zoom)


def count_clusters(
    cells: list[Cell],
    box: Box,
    zoom: int,
    availability: Availability,
    stations: dict[uuid.UUID, StationLink],
    now: datetime,
) -> ClusterPage:
    """Locations, EVSEs, available EVSEs and best power per cluster cell of `box`, ordered by cell."""
    size = cluster_degrees(zoom)
    latitudes: list[np.ndarray] = []
    longitudes: list[np.ndarray] = []
    evses: list[np.ndarray] = []
    available: list[np.ndarray] = []
    powers: list[np.ndarray] = []
    offset = 0
    live_rows: list[int] = []
    live_counts: list[int] = []
    for cell in cells:
        entries, lats, lons = cell.arrays()
        totals = cell.totals(entries)
        latitudes.append(lats)
        longitudes.append(lons)
        evses.append(totals.evses)
        available.append(totals.reported_available)
        powers.append(totals.max_power_w)
        for index, evse in totals.live:
            if availability.status(evse, stations, now)[0] == "AVAILABLE":
                live_rows.append(offset + index)
                live_counts.append(1)
        offset += len(entries)
    if not offset:
        return ClusterPage(cell_degrees=size, clusters=[])
    lat = np.concatenate(latitudes)
    lon = np.concatenate(longitudes)
    evse_count = np.concatenate(evses)
    available_count = np.concatenate(available)
    if live_rows:
        np.add.at(available_count, np.array(live_rows), np.array(live_counts))
    power = np.concatenate(powers)
    inside = (lat >= box.min_lat) & (lat <= box.max_lat) & (lon >= box.min_lon) & (lon <= box.max_lon)
    lat, lon, evse_count, available_count, power = (
        lat[inside],
        lon[inside],
        evse_count[inside],
        available_count[inside],
        power[inside],
    )
    if not len(lat):
        return ClusterPage(cell_degrees=size, clusters=[])
    rows = np.floor(lat / size).astype(np.int64)
    columns = np.floor(lon / size).astype(np.int64)
    keys = rows * _ROW_SHIFT + (columns + _ROW_SHIFT // 2)
    groups, member_of = np.unique(keys, return_inverse=True)
    members = np.bincount(member_of)
    lat_mean = np.bincount(member_of, weights=lat) / members
    lon_mean = np.bincount(member_of, weights=lon) / members
    evse_total = np.bincount(member_of, weights=evse_count)
    available_total = np.bincount(member_of, weights=available_count)
    best = np.full(len(groups), -1.0)
    np.fmax.at(best, member_of, np.nan_to_num(power, nan=-1.0))
    return ClusterPage(
        cell_degrees=size,
        clusters=[
            Cluster(
                latitude=round(la, 6),
                longitude=round(lo, 6),
                locations=int(n),
                evses=int(e),
                available_evses=int(a),
                max_power_kw=None if p < 0 else round(p / 1000, 1),
            )
            for la, lo, n, e, a, p in zip(
                lat_mean.tolist(),
                lon_mean.tolist(),
                members.tolist(),
                evse_total.tolist(),
                available_total.tolist(),
                best.tolist(),
                strict=True,
            )
        ],
    )


def cluster_span_cells(box: Box, zoom: int) -> int:
    """How many cluster cells `box` spans at `zoom`: what one response can hold at most."""
    size = cluster_degrees(zoom)
    rows = math.floor(box.max_lat / size) - math.floor(box.min_lat / size) + 1
    columns = math.floor(box.max_lon / size) - math.floor(box.min_lon / size) + 1
    return rows * columns
