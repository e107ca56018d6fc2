"""The service graph for one settings value, shared by the web app and the command line."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.db.engine import create_engine, create_session_factory
from api.domain.chargers.runtime import BridgeRuntime
from api.domain.chat.services import ChatService
from api.domain.drivers.services import AccountService
from api.domain.stations.catalog import StationCatalog
from api.domain.stations.prices import TariffBook, TariffPricing
from api.domain.stations.search import Availability
from api.domain.stations.services import StationService
from api.domain.stations.sync import CatalogSync
from api.domain.stations.tariffs import TariffStore
from api.domain.support.services import SupportService
from api.mail.outbox import MailOutbox
from api.security.passwords import PasswordHashing
from api.security.tokens import AccessTokenIssuer
from api.settings import Settings


class Services(msgspec.Struct, frozen=True, kw_only=True):
    """Long-lived objects built once per process from the settings."""

    settings: Settings
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    access_tokens: AccessTokenIssuer
    passwords: PasswordHashing
    outbox: MailOutbox
    accounts: AccountService
    catalog: StationCatalog
    catalog_sync: CatalogSync
    tariff_book: TariffBook
    tariffs: TariffStore
    stations: StationService
    bridge: BridgeRuntime | None
    support: SupportService
    chat: ChatService


def build_services(settings: Settings) -> Services:
    engine = create_engine(settings.database_url)
    session_factory = create_session_factory(engine)
    access_tokens = AccessTokenIssuer(settings.secret_key, settings.access_token_ttl_seconds)
    outbox = MailOutbox(settings.smtp_url, settings.mail_from)
    passwords = PasswordHashing(
        time_cost=settings.password_hash_time_cost, memory_kib=settings.password_hash_memory_kib
    )
    catalog = StationCatalog()
    tariff_book = TariffBook()
    availability = Availability(timedelta(seconds=settings.heartbeat_window_seconds))
    stations = StationService(catalog, availability, TariffPricing(tariff_book))
    bridge = (
        BridgeRuntime(settings, session_factory, reuse_port=settings.workers > 1) if settings.ocpp_enabled else None
    )
    support = SupportService()
    return Services(
        settings=settings,
        engine=engine,
        session_factory=session_factory,
        access_tokens=access_tokens,
        passwords=passwords,
        outbox=outbox,
        accounts=AccountService(settings, session_factory, passwords, access_tokens, outbox),
        catalog=catalog,
        catalog_sync=CatalogSync(
            catalog, session_factory, poll_seconds=settings.catalog_poll_seconds, on_tariffs=tariff_book.update
        ),
        tariff_book=tariff_book,
        tariffs=TariffStore(settings.ocpi_country_code, settings.ocpi_party_id),
        stations=stations,
        bridge=bridge,
        support=support,
        chat=ChatService(session_factory, stations=stations, support=support, bridge=bridge),
    )


async def close_services(services: Services) -> None:
    if services.bridge is not None:
        await services.bridge.stop()
    await services.catalog_sync.stop()
    await services.outbox.drain()
    await services.engine.dispose()


@asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[Services]:
    """Services for a command-line task, closed (mail delivered, connections released) at the end."""
    services = build_services(msgspec.structs.replace(settings, ocpp_enabled=False))
    try:
        yield services
    finally:
        await close_services(services)
