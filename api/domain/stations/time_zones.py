"""The IANA time zone at a point, from timezonefinder's offline polygons (no network)."""

from __future__ import annotations

import math
import threading

from timezonefinder import TimezoneFinder

_finder: TimezoneFinder | None = None
_lock = threading.Lock()


def _get_finder() -> TimezoneFinder:
    # Loading the polygons takes a moment and some memory: do it once per process, on first use.
    global _finder
    if _finder is None:
        with _lock:
            if _finder is None:
                _finder = TimezoneFinder(in_memory=True)
    return _finder


def time_zone_at(latitude: float, longitude: float) -> str | None:
    """IANA time zone name at the point, or None outside the data (or for an invalid point)."""
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        return None
    if not (-90.0 <= latitude <= 90.0 and -180.0 <= longitude <= 180.0):
        return None
    name: str | None = _get_finder().timezone_at(lat=latitude, lng=longitude)
    return name
