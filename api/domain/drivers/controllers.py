"""Account endpoints: `/v1/auth/*` for signing in and `/v1/me` for the signed-in person."""

from __future__ import annotations

import html
import uuid
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import State
from litestar.enums import MediaType
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from api.deps import ClientAddress, CurrentPrincipal, DbSession
from api.domain.drivers.id_tokens import (
    IdTokenCreate,
    IdTokenOut,
    add_driver_token,
    block_driver_token,
    list_driver_tokens,
)
from api.domain.drivers.schemas import (
    Accepted,
    EmailVerification,
    EmailVerified,
    LoginRequest,
    PasswordResetConfirm,
    PasswordResetRequest,
    PersonalDataExport,
    Profile,
    ProfileUpdate,
    RefreshRequest,
    RegisterRequest,
    TokenPair,
)
from api.domain.drivers.services import AccountService, profile_of
from api.domain.payments.services import PaymentAccounts
from api.errors import InvalidInput
from api.openapi_contract import problems
from api.security.guards import admin_only, signed_in
from api.security.tokens import Role

UserAgent = Annotated[str | None, HeaderParameter(name="user-agent", required=False, include_in_schema=False)]


def _verified(already: bool) -> EmailVerified:
    if already:
        return EmailVerified(
            email_verified=True, already_verified=True, detail="Your email address is already confirmed."
        )
    return EmailVerified(email_verified=True)


def _page(heading: str, text: str, status_code: int = 200) -> Response[Any]:
    """The page a browser shows after opening the verification link from the mail."""
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(heading)} - Voltway</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#111}"
        "</style></head><body>"
        f"<h1>{html.escape(heading)}</h1><p>{html.escape(text)}</p>"
        "<p>You can close this page and return to the app.</p></body></html>"
    )
    return Response(page, media_type=MediaType.HTML, status_code=status_code)


def _accounts(state: State) -> AccountService:
    service: AccountService = state.accounts
    return service


class AuthController(Controller):
    path = "/v1/auth"
    tags = ["Accounts"]

    @post("/register", summary="Create a driver account", responses=problems(409))
    async def register(self, data: JSONBody[RegisterRequest], state: State, db_session: DbSession) -> Profile:
        """Creates the account and mails an email verification link. An address that already has an account gets
        the same answer (nothing is created) and its owner a mail saying someone tried."""
        return await _accounts(state).register(db_session, data)

    @post("/login", status_code=HTTP_200_OK, summary="Sign in with email and password", responses=problems(401))
    async def login(
        self,
        data: JSONBody[LoginRequest],
        state: State,
        db_session: DbSession,
        client_address: ClientAddress,
        user_agent: UserAgent,
    ) -> TokenPair:
        """Returns a short-lived access token and a rotating refresh token. After repeated failures each attempt
        waits longer (429 with Retry-After) instead of locking the account."""
        return await _accounts(state).login(
            db_session, email=data.email, password=data.password, client=client_address, user_agent=user_agent
        )

    @post(
        "/refresh",
        status_code=HTTP_200_OK,
        summary="Exchange a refresh token for a new token pair",
        responses=problems(401),
    )
    async def refresh(
        self, data: JSONBody[RefreshRequest], state: State, db_session: DbSession, user_agent: UserAgent
    ) -> TokenPair:
        """Each refresh token works once; reusing one ends every session of that sign-in."""
        return await _accounts(state).refresh(db_session, refresh_token=data.refresh_token, user_agent=user_agent)

    @post("/logout", status_code=HTTP_204_NO_CONTENT, summary="End the sign-in of a refresh token")
    async def logout(self, data: JSONBody[RefreshRequest], state: State, db_session: DbSession) -> None:
        """Its access tokens stop working too (within 5 seconds on every process)."""
        await _accounts(state).logout(db_session, refresh_token=data.refresh_token)

    @post("/verify-email", status_code=HTTP_200_OK, summary="Confirm an email address with the mailed token")
    async def verify_email(
        self, data: JSONBody[EmailVerification], state: State, db_session: DbSession
    ) -> EmailVerified:
        """A token used before on an address that is still confirmed answers `alreadyVerified: true`."""
        return _verified(await _accounts(state).verify_email(db_session, data.token))

    @get("/verify-email", summary="Confirm an email address by opening the mailed link")
    async def verify_email_link(
        self,
        token: Annotated[str, QueryParameter(min_length=10, max_length=200)],
        state: State,
        db_session: DbSession,
        request: Request[Any, Any, Any],
    ) -> Response[EmailVerified]:
        """JSON, or a small page for a browser (`Accept: text/html`); a second click says it is already confirmed."""
        browser = request.accept.best_match(["application/json", "text/html"]) == "text/html"
        try:
            answer = _verified(await _accounts(state).verify_email(db_session, token, source="query"))
        except InvalidInput as exc:
            if not browser:
                raise
            return _page("Link not valid", exc.detail or "", status_code=exc.status_code)
        if browser:
            return _page("Email address confirmed", answer.detail)
        return Response(answer)

    @post("/password-reset", status_code=HTTP_202_ACCEPTED, summary="Mail a password reset code")
    async def password_reset(
        self, data: JSONBody[PasswordResetRequest], state: State, db_session: DbSession
    ) -> Accepted:
        """Answers the same whether or not the address has an account."""
        await _accounts(state).request_password_reset(db_session, data.email)
        return Accepted(detail="If an account uses this address, a reset code is on its way.")

    @post("/password-reset/confirm", status_code=HTTP_204_NO_CONTENT, summary="Set a new password with the code")
    async def password_reset_confirm(
        self, data: JSONBody[PasswordResetConfirm], state: State, db_session: DbSession
    ) -> None:
        """Also signs out every device of the account."""
        await _accounts(state).confirm_password_reset(db_session, token=data.token, password=data.password)


class MeController(Controller):
    path = "/v1/me"
    tags = ["Accounts"]
    guards = [signed_in]
    security = [{"BearerToken": []}]

    @get("", summary="The signed-in account")
    async def get_me(self, principal: CurrentPrincipal, state: State, db_session: DbSession) -> Profile:
        return profile_of(await _accounts(state).require_user(db_session, principal.user_id))

    @patch("", summary="Change name, email, language or currency", responses=problems(409))
    async def update_me(
        self, data: JSONBody[ProfileUpdate], principal: CurrentPrincipal, state: State, db_session: DbSession
    ) -> Profile:
        """A new email address stays `pendingEmail` until the link mailed to it is opened; an address in use by
        another account gets the same answer (its owner is told instead)."""
        return await _accounts(state).update_profile(db_session, principal.user_id, data)

    @get("/export", summary="All personal data kept about the signed-in account")
    async def export_me(self, principal: CurrentPrincipal, state: State, db_session: DbSession) -> PersonalDataExport:
        return await _accounts(state).export(db_session, principal.user_id)

    @delete("", status_code=HTTP_204_NO_CONTENT, summary="Erase the account's personal data")
    async def delete_me(self, principal: CurrentPrincipal, state: State, db_session: DbSession) -> None:
        """Financial records stay, anonymised; saved cards and the link to the payment customer are deleted; every
        sign-in ends and every RFID card of the account is blocked."""
        payment_accounts: PaymentAccounts = state.payment_accounts
        await _accounts(state).require_user(db_session, principal.user_id)
        await payment_accounts.forget_customer(db_session, principal.user_id)
        await _accounts(state).erase(db_session, principal.user_id)

    @post("/email-verification", status_code=HTTP_202_ACCEPTED, summary="Mail a new email verification link")
    async def resend_verification(self, principal: CurrentPrincipal, state: State, db_session: DbSession) -> Accepted:
        sent = await _accounts(state).resend_verification(db_session, principal.user_id)
        return Accepted(detail="A new link is on its way." if sent else "The email address is already verified.")


class IdTokenController(Controller):
    """The driver's RFID cards; the bridge's Authorize accepts valid ones and refuses blocked ones."""

    path = "/v1/me/tokens"
    tags = ["Accounts"]
    guards = [signed_in]
    security = [{"BearerToken": []}]

    @get("", summary="The signed-in driver's RFID cards")
    async def list_tokens(self, principal: CurrentPrincipal, db_session: DbSession) -> list[IdTokenOut]:
        return await list_driver_tokens(db_session, principal.user_id)

    @post("", summary="Register an RFID card", status_code=HTTP_201_CREATED, responses=problems(409))
    async def add_token(
        self, data: JSONBody[IdTokenCreate], principal: CurrentPrincipal, state: State, db_session: DbSession
    ) -> Response[IdTokenOut]:
        """201 for a new card, 200 when it is already the caller's, 409 when it belongs to someone else or the
        account has VOLTWAY_MAX_CARDS_PER_ACCOUNT cards (`limit-reached`)."""
        token, created = await add_driver_token(db_session, state.settings, principal.user_id, data)
        return Response(token, status_code=HTTP_201_CREATED if created else HTTP_200_OK)

    @post("/{token_id:uuid}/block", status_code=HTTP_200_OK, summary="Block a lost or stolen card")
    async def block_token(
        self, token_id: FromPath[uuid.UUID], principal: CurrentPrincipal, db_session: DbSession
    ) -> IdTokenOut:
        """Chargers refuse the card within seconds; only support can unblock it."""
        return await block_driver_token(db_session, principal.user_id, token_id)


class AdminUsersController(Controller):
    path = "/v1/admin/users"
    tags = ["Administration"]
    guards = [admin_only]
    security = [{"BearerToken": []}]

    @get("", summary="Accounts, newest first")
    async def list_users(
        self,
        state: State,
        db_session: DbSession,
        role: Annotated[Role | None, QueryParameter(required=False)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> list[Profile]:
        """Erased accounts are left out."""
        users = await _accounts(state).list_users(db_session, role=role, limit=limit)
        return [profile_of(user) for user in users]
