"""Demo data for a fresh database: accounts for each role, a generated charging network with tariffs, one
simulated OCPP charger per EVSE (SIM-00001 ...) and RFID cards for the simulated drivers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import BusinessUnit, ChargingStation, Evse, Location, OperatorScope, Region, User
from api.demo_network import generate_demo_network
from api.domain.chargers.provisioning import add_tokens_in_bulk, attach_chargers
from api.domain.stations.importing import store_feed
from api.domain.stations.records import FeedResult
from api.domain.stations.tariffs import TariffImportReport
from api.security.tokens import Role
from api.services import open_services
from api.settings import Settings

DEMO_PASSWORD = "voltway-demo"
DEMO_ACCOUNTS: tuple[tuple[str, str, Role], ...] = (
    ("driver@example.com", "Dana Driver", "driver"),
    ("agent@example.com", "Avery Agent", "agent"),
    ("operator@example.com", "Olly Operator", "operator"),
    ("admin@example.com", "Alex Admin", "admin"),
)
# the demo's regions are its countries; its business units tell motorway sites from city ones
DEMO_REGIONS = {"NLD": "Netherlands", "DEU": "Germany", "FRA": "France", "BEL": "Belgium", "GBR": "United Kingdom"}
DEMO_OPERATOR = "operator@example.com"
SIMULATOR_PREFIX = "SIM-"
SIMULATED_CARDS = tuple(f"TAG-{n:04d}" for n in range(1, 10_000))  # what the simulator's drivers tap


async def seed_demo(settings: Settings, *, only_if_empty: bool) -> str:
    """Create the demo data; with `only_if_empty`, leave a database that has accounts alone."""
    lines: list[str] = []
    async with open_services(settings) as services:
        async with services.session_factory() as session:
            if only_if_empty and await services.accounts.count_users(session) > 0:
                return "database already has data; demo data not loaded"
            created = []
            for email, name, role in DEMO_ACCOUNTS:
                if await services.accounts.find_user(session, email) is not None:
                    continue
                await services.accounts.create_user(
                    session, email=email, password=DEMO_PASSWORD, name=name, role=role, verified=True
                )
                created.append(f"  {role:<6} {email}")
            await session.commit()
        if created:
            lines.append(f"demo accounts (password: {DEMO_PASSWORD}):")
            lines += created

        network = generate_demo_network(
            now=datetime.now(UTC), country_code=settings.ocpi_country_code, party_id=settings.ocpi_party_id
        )
        async with services.session_factory() as session:
            tariffs = TariffImportReport()
            await services.tariffs.save(session, network.tariffs, tariffs)
            await session.commit()
        report = await store_feed(services.session_factory, FeedResult("demo", network.locations, (), ()))
        lines.append(
            f"demo network: {len(network.locations)} locations ({report.counts.created} new), "
            f"{report.counts.evses} EVSEs, {len(network.tariffs)} tariffs ({tariffs.created} new)"
        )

        async with services.session_factory() as session:
            evses = (
                await session.execute(
                    select(Evse.id)
                    .join(Location, Location.id == Evse.location_id)
                    .where(Location.source == "demo")
                    .order_by(Location.ocpi_id, Evse.uid)
                )
            ).scalars()
            assignments = [(f"{SIMULATOR_PREFIX}{n:05d}", evse_id) for n, evse_id in enumerate(evses, start=1)]
            chargers = await attach_chargers(session, assignments, settings.demo_charger_password)
            cards = await add_tokens_in_bulk(session, SIMULATED_CARDS)
        lines.append(
            f"simulated chargers: {len(assignments)} ({chargers} new) as {SIMULATOR_PREFIX}00001 ... with the password "
            "in VOLTWAY_DEMO_CHARGER_PASSWORD; "
            f"{cards} new RFID cards TAG-0001 ... TAG-9999"
        )
        async with services.session_factory() as session:
            lines.append(await _organise_demo(session))
            await session.commit()
    return "\n".join(lines)


async def _organise_demo(session: AsyncSession) -> str:
    """Regions (countries) and business units (motorway or city sites) for the demo's locations, and the demo
    operator looking after the region of the first simulated charger."""
    regions: dict[str, Region] = {r.name: r for r in await session.scalars(select(Region))}
    units: dict[str, BusinessUnit] = {u.name: u for u in await session.scalars(select(BusinessUnit))}

    def region(name: str) -> uuid.UUID:
        if name not in regions:
            regions[name] = Region(id=uuid.uuid4(), name=name)
            session.add(regions[name])
        return regions[name].id

    def unit(name: str) -> uuid.UUID:
        if name not in units:
            units[name] = BusinessUnit(id=uuid.uuid4(), name=name)
            session.add(units[name])
        return units[name].id

    locations = list(await session.scalars(select(Location).where(Location.source == "demo")))
    for location in locations:
        location.region_id = region(DEMO_REGIONS.get(location.country, location.country))
        location.business_unit_id = unit("Motorway sites" if " km " in (location.name or "") else "City sites")
    await session.flush()
    operator = await session.scalar(select(User).where(User.email == DEMO_OPERATOR, User.role == "operator"))
    first = await session.scalar(
        select(Location.region_id)
        .join(ChargingStation, ChargingStation.location_id == Location.id)
        .where(ChargingStation.ocpp_id == f"{SIMULATOR_PREFIX}00001")
    )
    scoped = ""
    if operator is not None and first is not None:
        granted = await session.scalar(select(OperatorScope.id).where(OperatorScope.user_id == operator.id))
        if granted is None:
            session.add(OperatorScope(user_id=operator.id, region_id=first))
        name = next(name for name, region in regions.items() if region.id == first)
        scoped = f"; {DEMO_OPERATOR} looks after {name}"
    return f"demo organisation: {len(regions)} regions, {len(units)} business units{scoped}"
