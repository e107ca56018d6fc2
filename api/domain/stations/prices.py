"""Current prices for the map: each connector's tariff evaluated now, in the location's time zone.

Tariffs are parsed once per revision and compiled once per time zone; price texts are cached per language.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from api.domain.stations.catalog import ConnectorEntry, LocationEntry
from api.domain.stations.schemas import ConnectorPrice
from api.domain.stations.sync import TariffDocument
from pricing.errors import PricingError
from pricing.money import add_vat
from pricing.price_text import price_text
from pricing.restrictions import CompiledTariff, Moment
from pricing.tariff import Tariff, TariffDimensionType, decode_tariff

logger = logging.getLogger(__name__)

TariffKey = tuple[str, str, str]  # country_code, party_id, tariff id
_ZERO = Decimal(0)


class _Entry:
    __slots__ = ("compiled", "tariff", "texts")

    def __init__(self, tariff: Tariff) -> None:
        self.tariff = tariff
        self.compiled: dict[str, CompiledTariff] = {}
        self.texts: dict[str, str] = {}


class TariffBook:
    """The parsed tariffs of the catalogue, fed by the catalogue sync."""

    def __init__(self) -> None:
        self._entries: dict[TariffKey, _Entry] = {}
        self._by_id: dict[str, list[TariffKey]] = {}
        self.version = 0  # moves whenever a tariff changes

    def update(self, documents: Sequence[TariffDocument]) -> None:
        self.version += 1
        for document in documents:
            key = (document.country_code, document.party_id, document.tariff_id)
            try:
                tariff = decode_tariff(document.document)
            except PricingError:
                logger.exception("stored tariff %s cannot be read; ignored", "/".join(key))
                continue
            if key not in self._entries:
                self._by_id.setdefault(document.tariff_id, []).append(key)
            self._entries[key] = _Entry(tariff)

    def find(self, country_code: str, party_id: str, tariff_id: str) -> _Entry | None:
        """The party's own tariff with that id, else the only tariff anywhere with that id."""
        entry = self._entries.get((country_code, party_id, tariff_id))
        if entry is not None:
            return entry
        keys = self._by_id.get(tariff_id, [])
        return self._entries[keys[0]] if len(keys) == 1 else None

    def tariff(self, country_code: str, party_id: str, tariff_id: str) -> Tariff | None:
        entry = self.find(country_code, party_id, tariff_id)
        return entry.tariff if entry else None


class TariffPricing:
    """Implements the map's `ConnectorPricing` with the pricing engine."""

    def __init__(self, book: TariffBook) -> None:
        self.book = book

    @property
    def version(self) -> int:
        return self.book.version

    def _entry(self, location: LocationEntry, connector: ConnectorEntry, now: datetime) -> _Entry | None:
        for tariff_id in connector.tariff_ids:
            entry = self.book.find(location.country_code, location.party_id, tariff_id)
            if entry is not None and entry.tariff.is_valid_at(now):
                return entry
        return None

    def _components(
        self, entry: _Entry, location: LocationEntry, connector: ConnectorEntry, now: datetime
    ) -> dict[TariffDimensionType, Decimal]:
        compiled = entry.compiled.get(location.time_zone)
        if compiled is None:
            compiled = entry.compiled[location.time_zone] = CompiledTariff(entry.tariff, ZoneInfo(location.time_zone))
        power = Decimal(connector.max_electric_power) / 1000 if connector.max_electric_power else None
        moment = Moment(now.astimezone(compiled.tz), timedelta(0), _ZERO, power, power)
        prices: dict[TariffDimensionType, Decimal] = {}
        for dimension in (TariffDimensionType.ENERGY, TariffDimensionType.TIME, TariffDimensionType.FLAT):
            component = compiled.find(compiled.regular[dimension], moment)
            if component is not None:
                prices[dimension] = add_vat(component.price, component.vat)
        return prices

    def price(
        self, location: LocationEntry, connector: ConnectorEntry, now: datetime, locale: str
    ) -> ConnectorPrice | None:
        entry = self._entry(location, connector, now)
        if entry is None:
            return None
        prices = self._components(entry, location, connector, now)
        text = entry.texts.get(locale)
        if text is None:
            text = entry.texts[locale] = price_text(entry.tariff, locale)
        return ConnectorPrice(
            currency=entry.tariff.currency,
            per_kwh=prices.get(TariffDimensionType.ENERGY),
            per_hour=prices.get(TariffDimensionType.TIME),
            per_session=prices.get(TariffDimensionType.FLAT),
            text=text,
        )

    def energy_price(self, location: LocationEntry, connector: ConnectorEntry, now: datetime) -> Decimal | None:
        entry = self._entry(location, connector, now)
        if entry is None:
            return None
        return self._components(entry, location, connector, now).get(TariffDimensionType.ENERGY, _ZERO)
