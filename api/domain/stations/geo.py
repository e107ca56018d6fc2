"""Great-circle geometry on a sphere and the grid cells the station index is keyed by."""

from __future__ import annotations

import math
from collections.abc import Iterator

import msgspec
import numpy as np
from numpy.typing import NDArray

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG), the sphere the map's distances are measured on
CELL_DEGREES = 0.1
_RAD = math.pi / 180.0


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two points given in degrees."""
    phi1 = lat1 * _RAD
    phi2 = lat2 * _RAD
    dphi = phi2 - phi1
    dlambda = (lon2 - lon1) * _RAD
    a = math.sin(dphi * 0.5) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda * 0.5) ** 2
    return 2.0 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def haversine_many(
    lat: float, lon: float, latitudes: NDArray[np.float64], longitudes: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Great-circle distances in metres from one point to many, the same formula as `haversine_m`."""
    phi1 = lat * _RAD
    phi2 = latitudes * _RAD
    a = np.sin((phi2 - phi1) * 0.5) ** 2 + math.cos(phi1) * np.cos(phi2) * np.sin((longitudes - lon) * _RAD * 0.5) ** 2
    result: NDArray[np.float64] = 2.0 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(a)))
    return result


def cell_of(latitude: float, longitude: float) -> tuple[int, int]:
    return (math.floor(latitude / CELL_DEGREES), math.floor(longitude / CELL_DEGREES))


class CellSpan(msgspec.Struct, frozen=True):
    """A rectangle of grid cells: rows of latitude cells by one or two runs of longitude cells.

    Walking it costs its area; the catalogue instead walks its occupied cells when there are fewer of them.
    """

    rows: range
    columns: tuple[range, ...]

    @property
    def size(self) -> int:
        return len(self.rows) * sum(len(run) for run in self.columns)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        for row in self.rows:
            for run in self.columns:
                for column in run:
                    yield (row, column)

    def __contains__(self, key: tuple[int, int]) -> bool:
        return key[0] in self.rows and any(key[1] in run for run in self.columns)


_ALL_COLUMNS = (range(math.floor(-180.0 / CELL_DEGREES), math.floor(180.0 / CELL_DEGREES) + 1),)


def cells_around(latitude: float, longitude: float, radius_m: float) -> CellSpan:
    """Every grid cell that can hold a point within `radius_m` of the centre.

    The latitude span is exact on the sphere; the longitude span uses the widest latitude of the band, and
    near the poles (or across the antimeridian) it falls back to whole rows of cells.
    """
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    lat_min = max(-90.0, latitude - dlat)
    lat_max = min(90.0, latitude + dlat)
    widest = max(abs(lat_min), abs(lat_max))
    columns: tuple[range, ...]
    if widest >= 89.0:
        columns = _ALL_COLUMNS
    else:
        ratio = math.sin(radius_m / EARTH_RADIUS_M) / math.cos(math.radians(widest))
        dlon = 180.0 if ratio >= 1.0 else math.degrees(math.asin(ratio))
        columns = _lon_cell_runs(longitude - dlon, longitude + dlon)
    rows = range(math.floor(lat_min / CELL_DEGREES), math.floor(lat_max / CELL_DEGREES) + 1)
    return CellSpan(rows=rows, columns=columns)


def _lon_cell_runs(lon_min: float, lon_max: float) -> tuple[range, ...]:
    if lon_max - lon_min >= 360.0:
        return _ALL_COLUMNS
    return tuple(
        range(math.floor(lo / CELL_DEGREES), math.floor(hi / CELL_DEGREES) + 1) for lo, hi in _wrap(lon_min, lon_max)
    )


def _wrap(lon_min: float, lon_max: float) -> list[tuple[float, float]]:
    """Split a longitude interval that crosses the antimeridian into two inside [-180, 180]."""
    if lon_min < -180.0:
        return [(lon_min + 360.0, 180.0), (-180.0, lon_max)]
    if lon_max > 180.0:
        return [(lon_min, 180.0), (-180.0, lon_max - 360.0)]
    return [(lon_min, lon_max)]


def cells_in_box(min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> CellSpan:
    return CellSpan(
        rows=range(math.floor(min_lat / CELL_DEGREES), math.floor(max_lat / CELL_DEGREES) + 1),
        columns=(range(math.floor(min_lon / CELL_DEGREES), math.floor(max_lon / CELL_DEGREES) + 1),),
    )
