"""Lookups and small parsers shared by the feed readers: countries, time zones, timestamps, the repair log."""

from __future__ import annotations

import functools
import math
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pycountry
from babel import Locale, UnknownLocaleError

from api.domain.stations.records import Rejection, Repair

# Locales whose territory names are accepted as country names ("Polska", "Deutschland", "Россия" ...).
_NAME_LOCALES = (
    "en", "de", "fr", "es", "it", "nl", "pl", "ru", "tr", "pt", "ro", "cs", "sk", "sv", "da", "nb", "fi", "hu",
    "el", "bg", "uk", "be", "sr", "hr", "sl", "lt", "lv", "et", "ja", "zh", "ko", "ar", "he", "ms", "id", "th",
    "vi", "hy", "ka", "kk",
)  # fmt: skip


class Log:
    """Collects repairs and rejections while one feed is read."""

    def __init__(self) -> None:
        self.repairs: list[Repair] = []
        self.rejections: list[Rejection] = []

    def repair(self, what: str, where: str) -> None:
        self.repairs.append(Repair(what=what, where=where))

    def reject(self, reason: str, where: str) -> None:
        self.rejections.append(Rejection(reason=reason, where=where))


def _fold(name: str) -> str:
    return re.sub(r"[\s.'\u2019()-]+", " ", name.casefold()).strip()


@functools.cache
def _country_names() -> dict[str, str | None]:
    """Folded country name -> alpha-2; None marks a name that two countries share."""
    names: dict[str, str | None] = {}

    def add(name: str, alpha_2: str) -> None:
        key = _fold(name)
        if key in names and names[key] != alpha_2:
            names[key] = None
        else:
            names[key] = alpha_2

    alpha_2_codes = set()
    for country in pycountry.countries:
        alpha_2_codes.add(country.alpha_2)
        for attribute in ("name", "official_name", "common_name"):
            value = getattr(country, attribute, None)
            if isinstance(value, str):
                add(value, country.alpha_2)
    for code in _NAME_LOCALES:
        try:
            territories = Locale.parse(code).territories
        except (UnknownLocaleError, ValueError):  # pragma: no cover - babel ships all of these
            continue
        for territory, name in territories.items():
            if territory in alpha_2_codes:
                add(name, territory)
    return names


def country_alpha3(value: str) -> str | None:
    """ISO 3166-1 alpha-3 for an alpha-3, alpha-2 or a country name in one of the common languages."""
    text = value.strip()
    if not text:
        return None
    upper = text.upper()
    if len(upper) == 3 and upper.isalpha():
        country = pycountry.countries.get(alpha_3=upper)
        if country is not None:
            return str(country.alpha_3)
    if len(upper) == 2 and upper.isalpha():
        country = pycountry.countries.get(alpha_2=upper)
        if country is not None:
            return str(country.alpha_3)
    alpha_2 = _country_names().get(_fold(text))
    if alpha_2 is None:
        return None
    country = pycountry.countries.get(alpha_2=alpha_2)
    return None if country is None else str(country.alpha_3)


def alpha2_of(alpha_3: str) -> str | None:
    country = pycountry.countries.get(alpha_3=alpha_3)
    return None if country is None else str(country.alpha_2)


def is_alpha2(value: str) -> bool:
    return len(value) == 2 and value.isalpha() and pycountry.countries.get(alpha_2=value.upper()) is not None


@functools.lru_cache(maxsize=4096)
def is_time_zone(name: str) -> bool:
    """True when zoneinfo can load the name (IANA tzdata)."""
    if not name or name != name.strip() or name.startswith(("/", ".")):
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def parse_utc(value: object) -> datetime | None:
    """An OCPI DateTime (RFC 3339; no designator means UTC) as an aware UTC datetime, or None."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if len(text) < 10:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def text_or_none(value: object) -> str | None:
    """A trimmed string (numbers become strings); None for missing or blank values."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, str):
        text = " ".join(value.split())
        return text or None
    return None


def coordinate(value: object) -> float | None:
    """A finite number from a JSON number or a decimal string (comma accepted as decimal separator)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip().replace(",", ".")
        try:
            number = float(text)
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None
