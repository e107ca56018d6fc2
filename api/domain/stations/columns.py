"""What the map's filters test, as arrays per grid cell, so a search rules stations out in vectorised passes.

A search over thousands of stations that few of them match would otherwise call the exact filter once per
station in Python, holding the interpreter lock for milliseconds. These columns decide, for all candidates at
once, which stations can possibly match; the exact filter then runs only on those. Every test here is implied
by the exact one (a superset), so results do not change: live availability and prices, which depend on the
clock and on chargers' connectivity, are only narrowed to "stored status AVAILABLE" and "has a tariff"; opening
times are evaluated exactly, once per distinct (opening times, time zone) among the candidates.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import TYPE_CHECKING

import msgspec
import numpy as np
from numpy.typing import NDArray

from api.domain.stations.opening_hours import is_open
from api.domain.stations.records import OpeningHours

if TYPE_CHECKING:
    from api.domain.stations.catalog import LocationEntry
    from api.domain.stations.search import StationFilters


class StandardCodes:
    """Small integers for connector standards, so a standards filter is one `isin` over integers.

    Columns are built from the event loop and from the map worker, so new standards get their code under a lock.
    """

    def __init__(self) -> None:
        self._codes: dict[str, int] = {}
        self._lock = threading.Lock()

    def code(self, standard: str) -> int:
        found = self._codes.get(standard)
        if found is None:
            with self._lock:
                found = self._codes.setdefault(standard, len(self._codes))
        return found

    def known(self, standards: frozenset[str]) -> list[int]:
        """The codes of those of `standards` any station has; the others match nothing."""
        return [code for standard in standards if (code := self._codes.get(standard)) is not None]


STANDARD_CODES = StandardCodes()


class HoursCodes:
    """Small integers for (opening times, time zone) pairs: locations sharing one are open or closed together.

    So `openNow` evaluates the opening times once per distinct pair among the candidates, not once per station.
    """

    def __init__(self) -> None:
        self._codes: dict[tuple[OpeningHours | None, str], int] = {}
        self._pairs: list[tuple[OpeningHours | None, str]] = []
        self._lock = threading.Lock()

    def code(self, opening: OpeningHours | None, time_zone: str) -> int:
        key = (opening, time_zone)
        found = self._codes.get(key)
        if found is None:
            with self._lock:
                found = self._codes.get(key)
                if found is None:
                    found = self._codes[key] = len(self._pairs)
                    self._pairs.append(key)
        return found

    def pair(self, code: int) -> tuple[OpeningHours | None, str]:
        return self._pairs[code]


HOURS_CODES = HoursCodes()


class FilterColumns(msgspec.Struct, frozen=True, gc=False):
    """Per location: its operator; per connector of an EVSE that is not REMOVED: what the filters test."""

    operators: NDArray[np.object_]  # casefolded operator name, "" when unknown
    hours: NDArray[np.int64]  # `HOURS_CODES` of the location's opening times and time zone
    owners: NDArray[np.intp]  # index of the connector's location
    standards: NDArray[np.int64]  # `STANDARD_CODES` of the connector's standard
    powers: NDArray[np.int64]  # max power in W, 0 when unknown (as the exact filter counts it)
    priced: NDArray[np.bool_]  # has a tariff id: no price can apply to a connector without one
    available: NDArray[np.bool_]  # its EVSE's stored status is AVAILABLE: nothing else can be available now


def build_columns(entries: list[LocationEntry]) -> FilterColumns:
    """The columns of `entries`, in their order."""
    owners: list[int] = []
    standards: list[int] = []
    powers: list[int] = []
    priced: list[bool] = []
    available: list[bool] = []
    code = STANDARD_CODES.code
    for index, location in enumerate(entries):
        for evse in location.evses:
            if evse.status == "REMOVED":
                continue
            ready = evse.status == "AVAILABLE"
            for connector in evse.connectors:
                owners.append(index)
                standards.append(code(connector.standard))
                powers.append(connector.max_electric_power or 0)
                priced.append(bool(connector.tariff_ids))
                available.append(ready)
    hours = np.fromiter(
        (HOURS_CODES.code(location.opening_times, location.time_zone) for location in entries),
        dtype=np.int64,
        count=len(entries),
    )
    operators = np.empty(len(entries), dtype=object)
    operators[:] = [(location.operator_name or "").casefold() for location in entries]
    return FilterColumns(
        operators=operators,
        hours=hours,
        owners=np.array(owners, dtype=np.intp),
        standards=np.array(standards, dtype=np.int64),
        powers=np.array(powers, dtype=np.int64),
        priced=np.array(priced, dtype=np.bool_),
        available=np.array(available, dtype=np.bool_),
    )


def join_columns(parts: list[FilterColumns], sizes: list[int]) -> FilterColumns:
    """The columns of several cells' entry lists (with `sizes` locations each), as of their concatenation."""
    if not parts:
        return build_columns([])
    starts = np.cumsum([0, *sizes[:-1]], dtype=np.intp)
    connectors = np.fromiter((len(part.owners) for part in parts), dtype=np.intp, count=len(parts))
    return FilterColumns(
        operators=np.concatenate([part.operators for part in parts]),
        hours=np.concatenate([part.hours for part in parts]),
        owners=np.concatenate([part.owners for part in parts]) + np.repeat(starts, connectors),
        standards=np.concatenate([part.standards for part in parts]),
        powers=np.concatenate([part.powers for part in parts]),
        priced=np.concatenate([part.priced for part in parts]),
        available=np.concatenate([part.available for part in parts]),
    )


def narrows(filters: StationFilters) -> bool:
    """Whether the columns can rule anything out for `filters`."""
    return (
        filters.operator is not None
        or filters.open_now
        or bool(filters.standards)
        or filters.min_power_w is not None
        or filters.available_now
        or filters.max_price_per_kwh is not None
    )


def may_match(columns: FilterColumns, filters: StationFilters, now: datetime) -> NDArray[np.bool_]:
    """Per location, False where `filters` certainly rejects it at `now`; True where the exact filter must decide."""
    keep = np.ones(len(columns.operators), dtype=np.bool_)
    if filters.operator is not None:
        keep &= columns.operators == filters.operator
    if filters.open_now and keep.any():
        codes, members = np.unique(columns.hours[keep], return_inverse=True)
        not_closed = np.fromiter(
            (is_open(*HOURS_CODES.pair(code), now) is not False for code in codes.tolist()),
            dtype=np.bool_,
            count=len(codes),
        )
        keep[keep] = not_closed[members]
    if (
        filters.standards
        or filters.min_power_w is not None
        or filters.available_now
        or filters.max_price_per_kwh is not None
    ):
        fits = np.ones(len(columns.owners), dtype=np.bool_)
        if filters.standards:
            fits &= np.isin(columns.standards, STANDARD_CODES.known(filters.standards))
        if filters.min_power_w is not None:
            fits &= columns.powers >= filters.min_power_w
        if filters.available_now:
            fits &= columns.available
        if filters.max_price_per_kwh is not None:
            fits &= columns.priced
        some = np.zeros(len(keep), dtype=np.bool_)
        some[columns.owners[fits]] = True
        keep &= some
    return keep
