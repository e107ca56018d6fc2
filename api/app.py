"""The composition root: builds the Litestar application and wires every package into it."""

from __future__ import annotations

import gc
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import msgspec
from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme, Tag
from litestar.plugins.prometheus import PrometheusConfig

from api.console.routes import console_router
from api.deps import provide_client_address, provide_db_session, provide_principal
from api.docs_ui import DOCS_PATH, docs_router, render_plugins
from api.domain.chargers.authorisation_controllers import AdminAuthorisationController
from api.domain.chargers.controllers import AdminChargerController
from api.domain.chargers.device_controllers import AdminChargerDeviceController
from api.domain.chargers.diagnostics_controllers import ChargerDiagnosticsController
from api.domain.chargers.security_controllers import AdminChargerSecurityController
from api.domain.chargers.smart_charging_controllers import AdminSmartChargingController
from api.domain.chat.controllers import ChatController
from api.domain.drivers.controllers import AdminUsersController, AuthController, IdTokenController, MeController
from api.domain.maintenance.controllers import MaintenanceScheduleController, WorkOrderController
from api.domain.ocpi.headers import OcpiHeadersMiddleware
from api.domain.ocpi.open_data import OpenDataController
from api.domain.ocpi.partners import use_settings as use_ocpi_settings
from api.domain.ocpi.router import ocpi_exception_handlers, ocpi_router
from api.domain.operations.alerts.controllers import AlertController, AlertRuleController
from api.domain.operations.metrics.controllers import OperatorMetricsController
from api.domain.operations.money.controllers import MoneyController, RevenueSharePrintController
from api.domain.operations.network.controllers import NetworkController
from api.domain.operations.organisation import OrganisationController
from api.domain.operations.performance_controllers import PerformanceController
from api.domain.operations.scope import provide_site_scope
from api.domain.payments.controllers import PaymentMethodController, StripeWebhookController
from api.domain.sessions.controllers import (
    DeviceController,
    GuestSessionController,
    ReceiptLinkController,
    SessionController,
    SessionQuoteController,
    session_live,
)
from api.domain.stations.admin import AdminTariffController
from api.domain.stations.controllers import FavouriteController, StationController
from api.domain.support.controllers import SupportQueueController, SupportTicketController
from api.domain.support.driver_controllers import ConversationEventsController, MyTicketController
from api.domain.support.duty import SupportDutyController
from api.domain.support.knowledge import KnowledgeController
from api.domain.support.report_controllers import SupportMetricsController
from api.domain.support.tools_controllers import SupportToolsController
from api.domain.system.controllers import SystemController
from api.domain.uptime.controllers import UptimeController
from api.errors import EXCEPTION_HANDLERS
from api.logs import configure_logging
from api.metrics.endpoint import METRICS_SECURITY, MetricsController
from api.openapi_contract import ContractOpenAPIConfig, document_problems
from api.request_context import RequestContextMiddleware
from api.request_decoding import check_request
from api.request_limits import HeadSizeLimitMiddleware
from api.response_headers import SecurityHeadersMiddleware
from api.security.rate_limit import FixedWindowLimiter, RateLimitMiddleware
from api.services import build_services, close_services
from api.settings import Settings, load_settings

MAX_REQUEST_BODY_BYTES = 1024 * 1024


def service_version() -> str:
    try:
        return version("voltway")
    except PackageNotFoundError:
        return "0.0.0"


def openapi_config() -> OpenAPIConfig:
    return ContractOpenAPIConfig(
        title="Voltway API",
        version=service_version(),
        description=(
            "Driver app API of Voltway: accounts, chargers on the map, charging sessions, payments and help. "
            "Errors are RFC 9457 problem details (application/problem+json)."
        ),
        path=DOCS_PATH,
        render_plugins=render_plugins(),
        openapi_router=docs_router(),
        components=Components(
            security_schemes={
                "BearerToken": SecurityScheme(
                    type="http",
                    scheme="bearer",
                    bearer_format="JWT",
                    description="Access token from POST /v1/auth/login",
                ),
                METRICS_SECURITY: SecurityScheme(
                    type="http", scheme="bearer", description="The scrape token, VOLTWAY_METRICS_TOKEN"
                ),
            }
        ),
        tags=[
            Tag(name="Accounts", description="Registration, sign-in, tokens and the signed-in account"),
            Tag(name="Stations", description="The map: nearby stations, live availability, prices, favourites"),
            Tag(name="Sessions", description="Charging: start, live energy and cost, stop, history, receipts"),
            Tag(name="Guest charging", description="Ad-hoc charging with a card, without an account"),
            Tag(name="Payments", description="Saved cards (Stripe) and the Stripe webhook"),
            Tag(
                name="Assistant", description="The troubleshooting assistant: conversations, confirmed actions, tickets"
            ),
            Tag(
                name="Support",
                description="The support desk (agent or admin role): queue, tickets, replies, live feed, duty, metrics",
            ),
            Tag(
                name="Administration",
                description="Chargers, tariffs and accounts (admin; operators on their own sites)",
            ),
            Tag(
                name="Operations",
                description="The operations console's data: network, alerts, maintenance, uptime, metrics, money "
                "(operator and admin; an operator sees their own regions and business units)",
            ),
            Tag(name="System", description="Liveness and readiness probes"),
        ],
        use_handler_docstrings=True,
    )


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the application for `settings` (read from the environment when omitted)."""
    settings = settings or load_settings()
    services = build_services(settings)
    use_ocpi_settings(settings)

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncGenerator[None, None]:
        await services.catalog_sync.start()
        # The catalogue is a large, long-lived heap: keep full collections from walking it on every pass.
        gc.collect()
        gc.freeze()
        await services.session_updates.start()
        services.deliveries.start()
        services.support_alerts.start()
        await services.ticket_feed.start()
        await services.network_feed.start()
        services.support_auto_close.start()
        services.maintenance.scan.start()
        await services.alert_feed.start()
        services.alert_scan.start()
        services.outage_sweep.start()
        services.detectors.start()
        if settings.ocpi_document_refresh_seconds:
            services.ocpi_location_documents.start()
            services.ocpi_location_documents.wake()  # at once: the first crawl after a start finds them stored
        if services.bridge is not None:
            await services.bridge.start()
            services.reconciliation.start()
            services.fleet_sweep.start()
        try:
            yield
        finally:
            await close_services(services)

    prometheus = PrometheusConfig(app_name="voltway", prefix="voltway", group_path=True, exclude=["/metrics"])
    app = Litestar(
        route_handlers=[
            SystemController,
            AuthController,
            MeController,
            IdTokenController,
            PaymentMethodController,
            StripeWebhookController,
            AdminUsersController,
            StationController,
            FavouriteController,
            AdminTariffController,
            AdminChargerController,
            PerformanceController,
            AdminSmartChargingController,
            AdminChargerSecurityController,
            AdminChargerDeviceController,
            AdminAuthorisationController,
            ChargerDiagnosticsController,
            SessionQuoteController,
            ReceiptLinkController,
            SessionController,
            session_live,
            GuestSessionController,
            DeviceController,
            ChatController,
            SupportDutyController,
            SupportMetricsController,
            OperatorMetricsController,
            ConversationEventsController,
            MyTicketController,
            SupportQueueController,
            SupportTicketController,
            SupportToolsController,
            MetricsController,
            UptimeController,
            KnowledgeController,
            OrganisationController,
            AlertController,
            AlertRuleController,
            MoneyController,
            RevenueSharePrintController,
            NetworkController,
            MaintenanceScheduleController,
            WorkOrderController,
            console_router(),
            ocpi_router(),
            OpenDataController,
        ],
        dependencies={
            "db_session": Provide(provide_db_session),
            "site_scope": Provide(provide_site_scope),
            "principal": Provide(provide_principal, sync_to_thread=False),
            "client_address": Provide(provide_client_address, sync_to_thread=False),
        },
        state=State({**msgspec.structs.asdict(services), "services": services, "version": service_version()}),
        exception_handlers=ocpi_exception_handlers(EXCEPTION_HANDLERS),
        before_request=check_request,
        middleware=[prometheus.middleware],
        cors_config=CORSConfig(allow_origins=list(settings.cors_origins)) if settings.cors_origins else None,
        openapi_config=openapi_config(),
        lifespan=[lifespan],
        logging_config=None,
        request_max_body_size=MAX_REQUEST_BODY_BYTES,
        debug=False,
    )
    document_problems(app)
    # Outermost layers, so that unknown routes and rejected requests get a request id and a limit too.
    limited: Any = RateLimitMiddleware(app.asgi_handler, FixedWindowLimiter(settings.rate_limit_per_minute, 60))
    secured = SecurityHeadersMiddleware(limited, docs_path=DOCS_PATH, https=settings.base_url.startswith("https://"))
    ocpi_headers = OcpiHeadersMiddleware(secured, settings.ocpi_country_code, settings.ocpi_party_id)
    app.asgi_handler = RequestContextMiddleware(HeadSizeLimitMiddleware(ocpi_headers))
    return app


def create_app_from_environment() -> Litestar:
    """Factory for ASGI servers started with several workers: each worker reads the environment."""
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    return create_app(settings)
