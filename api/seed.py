"""Demo data for a fresh database: accounts for each role, a generated charging network with tariffs, one
simulated OCPP charger per EVSE (SIM-00001 ...) and RFID cards for the simulated drivers."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from api.db.models import Evse, Location
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
    ("admin@example.com", "Alex Admin", "admin"),
)
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
    return "\n".join(lines)
