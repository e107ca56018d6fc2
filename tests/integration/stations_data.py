"""Location records for map tests, built in code so every expectation can be computed independently."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime

import msgspec

from api.db.engine import create_engine, create_session_factory
from api.domain.stations.importing import store_feed
from api.domain.stations.records import (
    ConnectorRecord,
    EvseRecord,
    FeedResult,
    LocationRecord,
    OpeningHours,
    RegularHours,
)
from api.domain.stations.tariffs import TariffImportReport, TariffStore, parse_tariff

T0 = datetime(2026, 11, 1, tzinfo=UTC)
STANDARDS_BY_KIND = {
    "ac11": ("IEC_62196_T2", "SOCKET", "AC_3_PHASE", 400, 16, 11_000),
    "ac22": ("IEC_62196_T2", "SOCKET", "AC_3_PHASE", 400, 32, 22_000),
    "dc50": ("CHADEMO", "CABLE", "DC", 500, 125, 50_000),
    "hpc": ("IEC_62196_T2_COMBO", "CABLE", "DC", 920, 400, 300_000),
}
OPERATORS = ("Voltway", "Other Charge", "City Power")
STATUSES = ("AVAILABLE", "AVAILABLE", "CHARGING", "OUTOFORDER")
SHOP_HOURS = OpeningHours(
    twentyfourseven=False,
    regular_hours=tuple(RegularHours(weekday=d, period_begin="08:00", period_end="20:00") for d in range(1, 7)),
)


def connector(kind: str, tariff: str | None = None, number: str = "1") -> ConnectorRecord:
    standard, fmt, power_type, volts, amps, watts = STANDARDS_BY_KIND[kind]
    return ConnectorRecord(
        id=number,
        standard=standard,
        format=fmt,  # type: ignore[arg-type]
        power_type=power_type,  # type: ignore[arg-type]
        max_voltage=volts,
        max_amperage=amps,
        max_electric_power=watts,
        tariff_ids=(tariff,) if tariff else (),
        last_updated=T0,
    )


def location(
    ocpi_id: str,
    latitude: float,
    longitude: float,
    *,
    kinds: tuple[str, ...] = ("ac22",),
    statuses: tuple[str, ...] | None = None,
    operator: str = "Voltway",
    tariff: str | None = None,
    opening: OpeningHours | None = None,
    time_zone: str = "Europe/Amsterdam",
    party: tuple[str, str] = ("NL", "TST"),
) -> LocationRecord:
    evses = tuple(
        EvseRecord(
            uid=f"{ocpi_id}-{index}",
            evse_id=f"NL*TST*E{ocpi_id}{index}",
            status=(statuses[index - 1] if statuses else "AVAILABLE"),  # type: ignore[arg-type]
            capabilities=("RFID_READER",),
            connectors=(connector(kind, tariff),),
            last_updated=T0,
        )
        for index, kind in enumerate(kinds, start=1)
    )
    return LocationRecord(
        country_code=party[0],
        party_id=party[1],
        id=ocpi_id,
        source="test",
        name=f"Station {ocpi_id}",
        address=f"Street {ocpi_id}",
        city="Testville",
        postal_code="1000AA",
        state=None,
        country="NLD",
        latitude=latitude,
        longitude=longitude,
        time_zone=time_zone,
        operator_name=operator,
        parking_type="ON_STREET",
        facilities=(),
        opening_times=opening,
        publish=True,
        evses=evses,
        last_updated=T0,
    )


def random_network(count: int, seed: int, centre: tuple[float, float] = (52.37, 4.89)) -> list[LocationRecord]:
    """Locations scattered within about 60 km of `centre`, with mixed kinds, statuses, operators and hours."""
    rng = random.Random(seed)
    records = []
    for index in range(count):
        lat = centre[0] + rng.uniform(-0.55, 0.55)
        lon = centre[1] + rng.uniform(-0.9, 0.9)
        if index % 25 == 0:  # some share exact coordinates, so ties by id matter
            lat, lon = centre[0] + 0.01, centre[1] + 0.01
        kinds = tuple(rng.choice(list(STANDARDS_BY_KIND)) for _ in range(rng.randint(1, 3)))
        records.append(
            location(
                f"R{index:04d}",
                round(lat, 6),
                round(lon, 6),
                kinds=kinds,
                statuses=tuple(rng.choice(STATUSES) for _ in kinds),
                operator=rng.choice(OPERATORS),
                tariff=rng.choice(("CHEAP", "DEAR", None)),
                opening=SHOP_HOURS if index % 7 == 0 else None,
            )
        )
    return records


def feed(records: list[LocationRecord], name: str = "test-feed") -> FeedResult:
    return FeedResult(feed=name, locations=tuple(records), repairs=(), rejections=())


def tariff_document(tariff_id: str, per_kwh: str, vat: str = "21.0") -> dict[str, object]:
    return {
        "country_code": "NL",
        "party_id": "TST",
        "id": tariff_id,
        "currency": "EUR",
        "elements": [{"price_components": [{"type": "ENERGY", "price": per_kwh, "vat": vat, "step_size": 1}]}],
        "last_updated": "2026-11-01T00:00:00Z",
    }


async def store(
    database_url: str,
    records: list[LocationRecord],
    tariffs: Sequence[dict[str, object]] = (),
    party: tuple[str, str] = ("NL", "TST"),
) -> None:
    """Import `records` as a feed, and `tariffs` (tariff documents) as the tariffs of `party`."""
    engine = create_engine(database_url)
    factory = create_session_factory(engine)
    try:
        await store_feed(factory, feed(records))
        if tariffs:
            async with factory() as session:
                parsed = [
                    parse_tariff(msgspec.json.encode(t), country_code=party[0], party_id=party[1]) for t in tariffs
                ]
                await TariffStore(*party).save(session, parsed, TariffImportReport())
                await session.commit()
    finally:
        await engine.dispose()
