"""The service graph for one settings value, shared by the web app and the command line."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.db.engine import create_engine, create_session_factory
from api.deliveries.targets import targets_from_settings
from api.deliveries.worker import DeliveryWorker
from api.domain.chargers.runtime import BridgeRuntime
from api.domain.chat.intent_models import recognizer_for
from api.domain.chat.services import ChatService
from api.domain.drivers.services import AccountService
from api.domain.ocpi.location_queries import refresh_location_documents
from api.domain.ocpi.locations import our_scope
from api.domain.ocpi.push_auth import OcpiPartnerAuth
from api.domain.ocpi.push_targets import PushTargets
from api.domain.ocpi.pushes import OcpiPushes
from api.domain.ocpi.roaming_authorisation import RoamingAuthoriser
from api.domain.payments.events import PaymentEvents
from api.domain.payments.ledger import NoLedger, PaymentLedger, StripeLedger
from api.domain.payments.metered import MeteredPaymentProvider
from api.domain.payments.none_provider import NonePaymentProvider
from api.domain.payments.ports import PaymentProvider
from api.domain.payments.services import PaymentAccounts, StripeWebhooks
from api.domain.payments.stripe_provider import StripeGateway, StripePaymentProvider
from api.domain.sessions.notifications import (
    LogNotificationProvider,
    NotificationProvider,
    Notifier,
    WebhookNotificationProvider,
)
from api.domain.sessions.service import SessionService
from api.domain.sessions.updates import SessionUpdates
from api.domain.stations.catalog import StationCatalog
from api.domain.stations.prices import TariffBook, TariffPricing
from api.domain.stations.search import Availability
from api.domain.stations.services import StationService
from api.domain.stations.sync import CatalogSync
from api.domain.stations.tariffs import TariffStore
from api.domain.support.alerts import SupportAlerts
from api.domain.support.auto_close import INTERVAL_SECONDS as AUTO_CLOSE_SECONDS
from api.domain.support.auto_close import close_solved
from api.domain.support.feed import TicketFeed
from api.domain.support.network_tickets import NetworkTickets
from api.domain.support.publishing import TicketAnnouncer
from api.domain.support.report_tickets import ReportTickets
from api.domain.support.services import SupportService
from api.domain.support.sla import build_policy
from api.mail.outbox import MailOutbox
from api.metrics import instruments as metrics
from api.periodic import Periodic
from api.security.passwords import PasswordHashing
from api.security.sign_ins import SignInCheck
from api.security.tokens import AccessTokenIssuer
from api.settings import Settings, check_payment_settings
from chatbot.dialogue import Assistant


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
    payments: PaymentProvider
    payment_accounts: PaymentAccounts
    payment_events: PaymentEvents
    stripe_webhooks: StripeWebhooks
    payment_ledger: PaymentLedger  # the provider's captures and refunds read back, for the money reconciliation
    session_updates: SessionUpdates
    notifier: Notifier
    sessions: SessionService
    reconciliation: Periodic
    support: SupportService
    chat: ChatService
    sign_ins: SignInCheck
    deliveries: DeliveryWorker
    support_alerts: SupportAlerts
    ticket_feed: TicketFeed
    support_auto_close: Periodic
    network_tickets: NetworkTickets  # tickets chargers' faults and lost connections open during sessions
    report_tickets: ReportTickets  # tickets drivers' station problem reports open
    ocpi_pushes: OcpiPushes  # EVSE statuses, sessions and CDRs to roaming partners, through `deliveries`
    ocpi_location_documents: Periodic  # our locations' stored OCPI JSON, rebuilt when they change


def build_payments(settings: Settings) -> tuple[PaymentProvider, PaymentAccounts, PaymentEvents, StripeWebhooks]:
    """The configured payment provider, the driver payment accounts, the event dispatcher and the webhook."""
    check_payment_settings(settings)
    events = PaymentEvents()
    if settings.payment_provider == "stripe":
        gateway = StripeGateway(settings.stripe_secret_key, api_base=settings.stripe_api_base)
        provider: PaymentProvider = StripePaymentProvider(gateway)
        accounts = PaymentAccounts("stripe", gateway, settings.stripe_publishable_key)
    else:
        provider = NonePaymentProvider()
        accounts = PaymentAccounts("none", None)
    webhooks = StripeWebhooks(settings.stripe_webhook_secret, events, enabled=settings.payment_provider == "stripe")
    return MeteredPaymentProvider(provider), accounts, events, webhooks


def build_ledger(settings: Settings) -> PaymentLedger:
    """Where the reconciliation reads what the payment provider captured and refunded."""
    if settings.payment_provider == "stripe":
        return StripeLedger(StripeGateway(settings.stripe_secret_key, api_base=settings.stripe_api_base))
    return NoLedger()


def notification_provider(settings: Settings) -> NotificationProvider:
    if settings.notification_provider == "webhook":
        return WebhookNotificationProvider(settings.notification_webhook_url)
    return LogNotificationProvider()


def build_services(settings: Settings) -> Services:
    engine = create_engine(settings.database_url)
    session_factory = create_session_factory(engine)
    access_tokens = AccessTokenIssuer(settings.secret_key, settings.access_token_ttl_seconds)
    outbox = MailOutbox(settings.smtp_url, settings.mail_from, settings.mail_per_address_per_hour)
    passwords = PasswordHashing(
        time_cost=settings.password_hash_time_cost, memory_kib=settings.password_hash_memory_kib
    )
    sign_ins = SignInCheck(session_factory)
    catalog = StationCatalog()
    tariff_book = TariffBook()
    availability = Availability(timedelta(seconds=settings.heartbeat_window_seconds))
    payments, payment_accounts, payment_events, stripe_webhooks = build_payments(settings)
    updates = SessionUpdates(settings.database_url)
    notifier = Notifier(session_factory, notification_provider(settings))
    sessions = SessionService(
        settings,
        session_factory,
        tariff_book=tariff_book,
        payments=payments,
        updates=updates,
        notifier=notifier,
        payer_of=payment_accounts.payer,
    )
    payment_events.subscribe(sessions)
    metrics.watch(sessions=sessions, updates=updates)
    stations = StationService(catalog, availability, TariffPricing(tariff_book))
    bridge = (
        BridgeRuntime(settings, session_factory, reuse_port=settings.workers > 1) if settings.ocpp_enabled else None
    )
    if bridge is not None:
        bridge.csms.observer = sessions
        sessions.send_command = bridge.central.send_command
        sessions.relay = bridge.relay  # stops are delivered durably, retried wherever the charger is held
        bridge.relay.owed = sessions.owed_commands
        sessions.flush_meters = bridge.meters.flush

    async def mail_guest(session_id: uuid.UUID, email: str, subject: str, body: str) -> None:
        async with session_factory() as session:
            message = outbox.queue(session, to=email, subject=subject, body=body, user_id=None)
            await session.commit()
        outbox.deliver_later(session_factory, message.id)

    sessions.mail_guest = mail_guest
    reconcile_every = max(1.0, min(30.0, settings.session_start_timeout_seconds / 3))
    push_targets = PushTargets(settings, session_factory)
    push_targets.listen()
    ocpi_pushes = OcpiPushes(settings, session_factory, push_targets)
    sessions.roaming = ocpi_pushes
    if bridge is not None:
        bridge.live.on_status_changed = ocpi_pushes.evse_statuses_changed
    deliveries = DeliveryWorker(
        session_factory,
        targets_from_settings(settings),
        max_attempts=settings.delivery_max_attempts,
        backoff_seconds=settings.delivery_backoff_seconds,
        backoff_cap_seconds=settings.delivery_backoff_cap_seconds,
        partners=OcpiPartnerAuth(session_factory, push_targets),
    )
    push_targets.on_change = deliveries.wake
    ticket_feed = TicketFeed(settings.database_url)
    support = SupportService(
        build_policy(settings.support_sla_targets, settings.support_business_hours, settings.support_time_zone),
        feed=ticket_feed,
    )
    support_alerts = SupportAlerts(session_factory, deliveries=deliveries, mail=outbox, base_url=settings.base_url)
    support.opened = support_alerts.wake

    async def auto_close() -> None:
        await close_solved(session_factory, ticket_feed, days=settings.support_auto_close_days)

    assistant = Assistant(recognizer_for(settings))
    ocpi_scope = our_scope(settings)

    async def refresh_documents() -> None:
        await refresh_location_documents(session_factory, ocpi_scope)

    network_tickets = NetworkTickets(session_factory, support.policy)
    report_tickets = ReportTickets(support.policy, danger=assistant.recognizer.safety.check)
    stations.report_filing = report_tickets
    if bridge is not None:
        bridge.csms.problems = network_tickets
        # roaming drivers (OCPI eMSPs' tokens) at our chargers: verdicts and the sessions they start
        bridge.csms.roaming = sessions.roaming_tokens = RoamingAuthoriser(session_factory, settings)
    network_tickets.on_ticket_changed = report_tickets.on_ticket_changed = TicketAnnouncer(
        session_factory, ticket_feed, support_alerts.wake
    )
    return Services(
        settings=settings,
        engine=engine,
        session_factory=session_factory,
        access_tokens=access_tokens,
        passwords=passwords,
        outbox=outbox,
        accounts=AccountService(settings, session_factory, passwords, access_tokens, outbox, sign_ins),
        catalog=catalog,
        catalog_sync=CatalogSync(
            catalog, session_factory, poll_seconds=settings.catalog_poll_seconds, on_tariffs=tariff_book.update
        ),
        tariff_book=tariff_book,
        tariffs=TariffStore(settings.ocpi_country_code, settings.ocpi_party_id),
        stations=stations,
        bridge=bridge,
        payments=payments,
        session_updates=updates,
        notifier=notifier,
        sessions=sessions,
        reconciliation=Periodic("session-reconciliation", reconcile_every, sessions.reconcile),
        payment_accounts=payment_accounts,
        payment_events=payment_events,
        stripe_webhooks=stripe_webhooks,
        payment_ledger=build_ledger(settings),
        support=support,
        chat=ChatService(
            session_factory,
            stations=stations,
            support=support,
            bridge=bridge,
            assistant=assistant,
        ),
        sign_ins=sign_ins,
        deliveries=deliveries,
        support_alerts=support_alerts,
        ticket_feed=ticket_feed,
        support_auto_close=Periodic("support-auto-close", AUTO_CLOSE_SECONDS, auto_close),
        network_tickets=network_tickets,
        report_tickets=report_tickets,
        ocpi_pushes=ocpi_pushes,
        # until a changed location's document is stored again, its pages build it on the spot (same answer);
        # started only when the interval is not 0 (see create_app)
        ocpi_location_documents=Periodic(
            "ocpi-location-documents", settings.ocpi_document_refresh_seconds, refresh_documents
        ),
    )


async def close_services(services: Services) -> None:
    await services.support_alerts.stop()
    await services.ocpi_pushes.drain()
    services.ocpi_pushes.targets.unlisten()
    await services.deliveries.stop()
    await services.reconciliation.stop()
    await services.support_auto_close.stop()
    await services.ocpi_location_documents.stop()
    await services.ticket_feed.stop()
    await services.network_tickets.stop()  # the bridge's own shutdown is no charger going offline
    if services.bridge is not None:
        await services.bridge.stop()
    await services.sessions.drain()
    await services.notifier.drain()
    await services.session_updates.stop()
    await services.catalog_sync.stop()
    services.stations.close()
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
