"""`/v1/admin/reconciliation`, `/v1/admin/host-agreements` and `/v1/admin/revenue-share`: the money reports for
operators and admins, each over the sites the caller sees; host agreements are written by admins only."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

import msgspec
from litestar import Controller, Response, get, patch, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from api.db.models import User
from api.db.types import utc_now
from api.deps import CurrentPrincipal, DbSession
from api.domain.operations.money.agreements import create_agreement, list_agreements, update_agreement
from api.domain.operations.money.exports import reconciliation_csv, revenue_share_csv, revenue_share_html
from api.domain.operations.money.period import Period, period_of
from api.domain.operations.money.print_links import check_print_token, print_url
from api.domain.operations.money.reconciliation import reconciliation_report
from api.domain.operations.money.revenue_share import revenue_share_report
from api.domain.operations.money.schemas import (
    HostAgreementInput,
    HostAgreementPatch,
    HostAgreementView,
    ReconciliationReport,
    RevenueShareReport,
)
from api.domain.operations.scope import CallerScope, site_scope_for
from api.domain.payments.ledger import PaymentLedger
from api.errors import NotFound
from api.openapi_contract import problems
from api.security.guards import admin_only, operations
from api.security.tokens import Principal
from api.settings import Settings

PRINTING_ROLES = frozenset(operations.roles)
PeriodFrom = Annotated[
    date | None,
    QueryParameter(name="from", description="First UTC day of the period (default: the 1st of `to`'s month)"),
]
PeriodTo = Annotated[
    date | None, QueryParameter(name="to", description="Last UTC day of the period, included (default: today)")
]
Host = Annotated[str | None, QueryParameter(name="host", description="One host's statement (its name)", max_length=200)]


def _period(first: date | None, last: date | None) -> Period:
    return period_of(first, last, utc_now().date())


def _file(body: str, media_type: str, name: str) -> Response[str]:
    return Response(
        body,
        media_type=media_type,
        headers={"content-disposition": f'attachment; filename="{name}"', "cache-control": "no-store"},
    )


async def _actor_name(db_session: DbSession, principal: Principal) -> str:
    user = await db_session.get(User, principal.user_id)
    return (user.name or user.email) if user is not None else str(principal.user_id)


class MoneyController(Controller):
    path = "/v1/admin"
    tags = ["Administration"]
    guards = [operations]
    security = [{"BearerToken": []}]

    async def _reconciliation(
        self, state: State, db_session: DbSession, site_scope: CallerScope, first: date | None, last: date | None
    ) -> ReconciliationReport:
        ledger: PaymentLedger = state.payment_ledger
        return await reconciliation_report(db_session, ledger, site_scope, _period(first, last), utc_now())

    @get("/reconciliation", summary="Bills matched to the payment provider", responses=problems(422, 503))
    async def reconciliation(
        self,
        state: State,
        db_session: DbSession,
        site_scope: CallerScope,
        period_from: PeriodFrom = None,
        period_to: PeriodTo = None,
    ) -> ReconciliationReport:
        """Every session billed in the period (UTC days, both included) matched to what the payment provider
        captured, refunded and had disputed; mismatches by kind and totals per currency. An operator sees the
        sessions of their own sites; payments that belong to no session are listed for admins."""
        return await self._reconciliation(state, db_session, site_scope, period_from, period_to)

    @get("/reconciliation.csv", summary="Reconciliation as CSV", media_type="text/csv", responses=problems(422, 503))
    async def reconciliation_file(
        self,
        state: State,
        db_session: DbSession,
        site_scope: CallerScope,
        period_from: PeriodFrom = None,
        period_to: PeriodTo = None,
    ) -> Response[str]:
        """The same report: a row per billed session, then a row per mismatch."""
        report = await self._reconciliation(state, db_session, site_scope, period_from, period_to)
        name = f"voltway-reconciliation-{report.period_from}-{report.period_to}.csv"
        return _file(reconciliation_csv(report), "text/csv", name)

    @get("/host-agreements", summary="Site hosts' revenue-share agreements")
    async def agreements(
        self, db_session: DbSession, site_scope: CallerScope, host: Host = None
    ) -> list[HostAgreementView]:
        """The agreements of the sites the caller sees, by host, location and start."""
        return await list_agreements(db_session, site_scope, host)

    @get("/revenue-share", summary="Site hosts' revenue-share statements", responses=problems(422))
    async def revenue_share(
        self,
        state: State,
        db_session: DbSession,
        site_scope: CallerScope,
        principal: CurrentPrincipal,
        period_from: PeriodFrom = None,
        period_to: PeriodTo = None,
        host: Host = None,
    ) -> RevenueShareReport:
        """Per host: sessions, kWh, net revenue (excl. VAT, less refunds) and the host's share per location and
        agreement, for sessions that ended in the period (UTC days, both included); `printUrl` opens them printable."""
        period = _period(period_from, period_to)
        report = await revenue_share_report(db_session, site_scope, period, host)
        settings: Settings = state.settings
        link = print_url(settings.secret_key, principal.user_id, period.first_day, period.last_day, host, utc_now())
        return msgspec.structs.replace(report, print_url=link)

    @get(
        "/revenue-share.csv", summary="Revenue-share statements as CSV", media_type="text/csv", responses=problems(422)
    )
    async def revenue_share_file(
        self,
        db_session: DbSession,
        site_scope: CallerScope,
        period_from: PeriodFrom = None,
        period_to: PeriodTo = None,
        host: Host = None,
    ) -> Response[str]:
        report = await revenue_share_report(db_session, site_scope, _period(period_from, period_to), host)
        return _file(
            revenue_share_csv(report), "text/csv", f"voltway-revenue-share-{report.period_from}-{report.period_to}.csv"
        )

    @get(
        "/revenue-share.html",
        summary="Printable revenue-share statements",
        media_type="text/html",
        responses=problems(422),
    )
    async def revenue_share_page(
        self,
        state: State,
        db_session: DbSession,
        site_scope: CallerScope,
        period_from: PeriodFrom = None,
        period_to: PeriodTo = None,
        host: Host = None,
    ) -> Response[str]:
        """One statement per host, each on its own sheet when printed."""
        report = await revenue_share_report(db_session, site_scope, _period(period_from, period_to), host)
        settings: Settings = state.settings
        return Response(
            revenue_share_html(report, settings.operator_name),
            media_type="text/html",
            headers={"cache-control": "no-store"},
        )

    # ----- writing agreements decides what hosts are paid: admins only -------------------------------------------

    @post(
        "/host-agreements",
        summary="Add a site host's agreement",
        guards=[admin_only],
        status_code=HTTP_201_CREATED,
        responses=problems(409, 422),
    )
    async def create(
        self, data: JSONBody[HostAgreementInput], db_session: DbSession, principal: CurrentPrincipal
    ) -> HostAgreementView:
        """A location's agreement with its host; it may not overlap another agreement of the location."""
        return await create_agreement(db_session, data, await _actor_name(db_session, principal))

    @patch(
        "/host-agreements/{agreement_id:uuid}",
        summary="Change a site host's agreement",
        guards=[admin_only],
        responses=problems(404, 409, 422),
    )
    async def change(
        self,
        agreement_id: FromPath[uuid.UUID],
        data: JSONBody[HostAgreementPatch],
        db_session: DbSession,
        principal: CurrentPrincipal,
    ) -> HostAgreementView:
        """Change the fields given; the whole agreement is checked again (terms, dates, overlap)."""
        return await update_agreement(db_session, agreement_id, data, await _actor_name(db_session, principal))


class RevenueSharePrintController(Controller):
    """The printable statements behind a print link (see `print_links`): no token, the link is the credential."""

    path = "/v1/revenue-share"
    tags = ["Administration"]

    @get(
        "/print",
        summary="Printable revenue-share statements (print link)",
        media_type="text/html",
        responses=problems(404, 422),
    )
    async def printable(
        self,
        state: State,
        db_session: DbSession,
        token: Annotated[str, QueryParameter(description="From `printUrl`", max_length=200)],
        period_from: Annotated[date, QueryParameter(name="from")],
        period_to: Annotated[date, QueryParameter(name="to")],
        host: Host = None,
    ) -> Response[str]:
        """What the staff member who made the link may see now; the link works for ten minutes."""
        settings: Settings = state.settings
        now = utc_now()
        user_id = check_print_token(settings.secret_key, token, period_from, period_to, host, now)
        user = await db_session.get(User, user_id)
        if user is None or user.erased_at is not None or user.role not in PRINTING_ROLES:
            raise NotFound("No such statement, or the link is not valid.")
        principal = Principal(user_id=user.id, role=user.role, sign_in_id=uuid.UUID(int=0))
        scope = await site_scope_for(db_session, principal)
        report = await revenue_share_report(db_session, scope, period_of(period_from, period_to, now.date()), host)
        return Response(
            revenue_share_html(report, settings.operator_name),
            media_type="text/html",
            headers={"cache-control": "no-store"},
        )
