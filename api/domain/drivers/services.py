"""Account rules: who may sign in, how tokens rotate, what erasure keeps."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import (
    AccountToken,
    Favourite,
    IdTokenRecord,
    MailMessage,
    PaymentCustomer,
    RefreshToken,
    StationReport,
    User,
)
from api.db.types import utc_now
from api.domain.drivers import mails
from api.domain.drivers.id_tokens import list_driver_tokens
from api.domain.drivers.mails import CHANGE_EMAIL, PASSWORD_RESET, VERIFY_EMAIL, AccountMail
from api.domain.drivers.schemas import (
    KNOWN_CURRENCIES,
    SUPPORTED_LANGUAGES,
    FavouriteRecord,
    MailRecord,
    PersonalDataExport,
    Profile,
    ProfileUpdate,
    RegisterRequest,
    ReportRecord,
    SignInRecord,
    TokenPair,
)
from api.errors import Conflict, FieldError, InvalidCredentials, InvalidInput, RateLimited, Unauthorized
from api.mail.outbox import MailOutbox
from api.security.login_throttle import LoginThrottle, account_key, client_key
from api.security.passwords import PasswordHashing
from api.security.rate_limit import FixedWindowLimiter
from api.security.sign_ins import SignInCheck
from api.security.tokens import ROLES, AccessTokenIssuer, Role, hash_opaque_token, new_opaque_token
from api.settings import Settings

logger = logging.getLogger(__name__)

ACCOUNT_TOKEN_TTL = {
    VERIFY_EMAIL: timedelta(days=3),
    CHANGE_EMAIL: timedelta(days=3),
    PASSWORD_RESET: timedelta(hours=1),
}


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_locale_and_currency(locale: str | None, currency: str | None) -> None:
    """Reject languages the service cannot speak and codes that are not ISO 4217 currencies."""
    errors: list[FieldError] = []
    if locale is not None and locale.split("-", 1)[0] not in SUPPORTED_LANGUAGES:
        errors.append(FieldError("locale", f"supported languages are {', '.join(sorted(SUPPORTED_LANGUAGES))}"))
    if currency is not None and currency not in KNOWN_CURRENCIES:
        errors.append(FieldError("preferredCurrency", f"{currency!r} is not an ISO 4217 currency code"))
    if errors:
        raise InvalidInput(errors)


def _invalid_token(source: str) -> InvalidInput:
    return InvalidInput(
        [FieldError("token", "invalid or expired", source=source)],
        detail="The link or code is invalid or has expired; ask for a new one.",
    )


def profile_of(user: User) -> Profile:
    return Profile(
        id=user.id,
        email=user.email,
        email_verified=user.email_verified_at is not None,
        name=user.name,
        locale=user.locale,
        preferred_currency=user.preferred_currency,
        role=user.role,
        created_at=user.created_at,
        pending_email=user.pending_email,
    )


class AccountService:
    """Everything about accounts that needs the database, the clock, the hasher or the outbox."""

    def __init__(
        self,
        settings: Settings,
        session_factory: async_sessionmaker[AsyncSession],
        passwords: PasswordHashing,
        access_tokens: AccessTokenIssuer,
        outbox: MailOutbox,
        sign_ins: SignInCheck,
    ) -> None:
        self._settings = settings
        self._session_factory = session_factory
        self._passwords = passwords
        self._access_tokens = access_tokens
        self._outbox = outbox
        self._sign_ins = sign_ins
        self._login_per_ip = FixedWindowLimiter(settings.login_attempts_per_ip_per_minute, 60)
        self._throttle = LoginThrottle(settings.login_failures_per_account, settings.login_failure_window_seconds)
        self.clock: Callable[[], datetime] = utc_now

    # ----- registration and staff accounts -------------------------------------------------------

    async def create_user(
        self,
        session: AsyncSession,
        *,
        email: str,
        password: str,
        name: str,
        role: Role = "driver",
        locale: str = "en",
        currency: str = "EUR",
        verified: bool = False,
    ) -> User:
        """Create an account; staff accounts made by an operator start verified."""
        if role not in ROLES:
            raise InvalidInput([FieldError("role", f"must be one of {', '.join(ROLES)}")])
        check_locale_and_currency(locale, currency)
        address = normalise_email(email)
        if await self._user_by_email(session, address) is not None:
            raise Conflict("An account with this email address already exists.")
        user = User(
            id=uuid.uuid4(),
            email=address,
            password_hash=await self._passwords.hash(password),
            name=name.strip(),
            locale=locale,
            preferred_currency=currency,
            role=role,
            email_verified_at=utc_now() if verified else None,
        )
        session.add(user)
        return user

    async def register(self, session: AsyncSession, request: RegisterRequest) -> Profile:
        """Create the account and mail a verification link, answering alike whether or not the address is taken.

        A taken address gets a mail telling its owner someone tried, and the caller gets the same answer as for a
        new account (the password is hashed either way, so the timing matches too).
        """
        check_locale_and_currency(request.locale, request.preferred_currency)
        address = normalise_email(request.email)
        password_hash = await self._passwords.hash(request.password)
        now = self.clock()
        owner = await self._user_by_email(session, address)
        if owner is None:
            user = User(
                id=uuid.uuid4(),
                email=address,
                password_hash=password_hash,
                name=request.name.strip(),
                locale=request.locale,
                preferred_currency=request.preferred_currency,
                role="driver",
                created_at=now,
                updated_at=now,
            )
            session.add(user)
            try:
                await session.flush()
            except IntegrityError:
                await session.rollback()
                if await self._user_by_email(session, address) is None:
                    raise  # not the address taken a moment ago by a parallel request: a real failure
            else:
                mail = await self._verification_mail(session, user, now)
                await session.commit()
                self._deliver(mail)
                return profile_of(user)
        elif await self._outbox.may_send(session, to=owner.email, kind=mails.REGISTRATION_ATTEMPT, now=now):
            reset_url = f"{self._settings.base_url}/v1/auth/password-reset"
            mail = self._queue(session, owner.email, mails.registration_attempt(reset_url), owner.id)
            await session.commit()
            self._deliver(mail)
        return Profile(
            id=uuid.uuid4(),
            email=address,
            email_verified=False,
            name=request.name.strip(),
            locale=request.locale,
            preferred_currency=request.preferred_currency,
            role="driver",
            created_at=now,
        )

    def _queue(self, session: AsyncSession, to: str, mail: AccountMail, user_id: uuid.UUID | None) -> MailMessage:
        return self._outbox.queue(session, to=to, subject=mail.subject, body=mail.body, user_id=user_id, kind=mail.kind)

    def _deliver(self, mail: MailMessage | None) -> None:
        if mail is not None:
            self._outbox.deliver_later(self._session_factory, mail.id)

    async def _verification_mail(self, session: AsyncSession, user: User, now: datetime) -> MailMessage | None:
        """A verification link for the account's address, unless that address had its hourly share already."""
        if not await self._outbox.may_send(session, to=user.email, kind=VERIFY_EMAIL, now=now):
            return None
        token = self._account_token(session, user, VERIFY_EMAIL)
        link = f"{self._settings.base_url}/v1/auth/verify-email?token={token}"
        return self._queue(session, user.email, mails.verification(link), user.id)

    def _account_token(self, session: AsyncSession, user: User, purpose: str) -> str:
        token, token_hash = new_opaque_token()
        session.add(
            AccountToken(
                user_id=user.id,
                purpose=purpose,
                token_hash=token_hash,
                expires_at=utc_now() + ACCOUNT_TOKEN_TTL[purpose],
            )
        )
        return token

    # ----- sign-in and tokens -------------------------------------------------------------------

    async def login(
        self, session: AsyncSession, *, email: str, password: str, client: str, user_agent: str | None
    ) -> TokenPair:
        """Check credentials, with progressive delays per email address and per client address.

        Known and unknown addresses cost the same: exactly one password verification each.
        """
        retry_after = self._login_per_ip.hit(client)
        if retry_after is not None:
            raise RateLimited(retry_after, "Too many sign-in attempts from this address.")
        address = normalise_email(email)
        account = account_key(address, self._settings.login_backoff_max_seconds)
        keys = (account, client_key(client, self._settings.login_client_backoff_max_seconds))
        now = self.clock()
        wait = await self._throttle.wait_seconds(session, keys, now)
        if wait:
            raise RateLimited(wait, f"Too many failed sign-ins; try again in {wait} seconds.")
        user = await self._user_by_email(session, address)
        verified = await self._passwords.verify(user.password_hash if user is not None else None, password)
        if user is None or not verified:
            await self._throttle.record_failure(session, keys, now)
            await session.commit()
            raise InvalidCredentials("The email address or password is wrong.")
        await self._throttle.clear(session, account)
        if user.password_hash and self._passwords.needs_rehash(user.password_hash):
            user.password_hash = await self._passwords.hash(password)
        pair = self._issue_pair(session, user, uuid.uuid4(), user_agent)
        await session.commit()
        return pair

    def _issue_pair(self, session: AsyncSession, user: User, family_id: uuid.UUID, user_agent: str | None) -> TokenPair:
        refresh, refresh_hash = new_opaque_token()
        session.add(
            RefreshToken(
                user_id=user.id,
                family_id=family_id,
                token_hash=refresh_hash,
                expires_at=utc_now() + timedelta(seconds=self._settings.refresh_token_ttl_seconds),
                user_agent=(user_agent or "")[:300] or None,
            )
        )
        role: Role = user.role if user.role in ROLES else "driver"
        return TokenPair(
            access_token=self._access_tokens.issue(user.id, role, family_id),
            refresh_token=refresh,
            expires_in=self._access_tokens.ttl_seconds,
        )

    async def refresh(self, session: AsyncSession, *, refresh_token: str, user_agent: str | None) -> TokenPair:
        """Rotate a refresh token; presenting one that was already used revokes its whole family."""
        now = utc_now()
        stored = (
            await session.execute(
                select(RefreshToken).where(RefreshToken.token_hash == hash_opaque_token(refresh_token))
            )
        ).scalar_one_or_none()
        if stored is None or stored.revoked_at is not None or stored.expires_at <= now:
            raise Unauthorized("The refresh token is not valid; sign in again.")
        rotated = await session.execute(
            update(RefreshToken).where(RefreshToken.id == stored.id, RefreshToken.used_at.is_(None)).values(used_at=now)
        )
        if rotated.rowcount != 1:  # type: ignore[attr-defined]
            await self._revoke_family(session, stored.family_id, now)
            await session.commit()
            self._sign_ins.forget_sign_in(stored.family_id)
            logger.warning("refresh token reuse detected; family revoked", extra={"user_id": str(stored.user_id)})
            raise Unauthorized("This refresh token was already used; all sessions of this sign-in were ended.")
        user = await session.get(User, stored.user_id)
        if user is None or user.erased_at is not None:
            raise Unauthorized("The refresh token is not valid; sign in again.")
        pair = self._issue_pair(session, user, stored.family_id, user_agent)
        await session.commit()
        return pair

    async def _revoke_family(self, session: AsyncSession, family_id: uuid.UUID, now: datetime) -> None:
        await session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def logout(self, session: AsyncSession, *, refresh_token: str) -> None:
        """End the sign-in the refresh token belongs to; unknown tokens are accepted silently."""
        stored = (
            await session.execute(
                select(RefreshToken).where(RefreshToken.token_hash == hash_opaque_token(refresh_token))
            )
        ).scalar_one_or_none()
        if stored is not None:
            await self._revoke_family(session, stored.family_id, utc_now())
            await session.commit()
            self._sign_ins.forget_sign_in(stored.family_id)

    # ----- email verification and password reset --------------------------------------------

    async def _stored_token(self, session: AsyncSession, token: str, purposes: tuple[str, ...]) -> AccountToken | None:
        stored: AccountToken | None = (
            await session.execute(
                select(AccountToken).where(
                    AccountToken.token_hash == hash_opaque_token(token), AccountToken.purpose.in_(purposes)
                )
            )
        ).scalar_one_or_none()
        return stored

    async def _consume_account_token(
        self, session: AsyncSession, token: str, purposes: tuple[str, ...], source: str
    ) -> tuple[User, str]:
        """The account a single-use token belongs to, and the token's purpose; the token is used up."""
        now = utc_now()
        invalid = _invalid_token(source)
        stored = await self._stored_token(session, token, purposes)
        if stored is None or stored.used_at is not None or stored.expires_at <= now:
            raise invalid
        consumed = await session.execute(
            update(AccountToken).where(AccountToken.id == stored.id, AccountToken.used_at.is_(None)).values(used_at=now)
        )
        if consumed.rowcount != 1:  # type: ignore[attr-defined]
            raise invalid
        user = await session.get(User, stored.user_id)
        if user is None or user.erased_at is not None:
            raise invalid
        return user, stored.purpose

    async def verify_email(self, session: AsyncSession, token: str, *, source: str = "body") -> bool:
        """Confirm the address (or a new address); True when this link had confirmed it already (a second click)."""
        purposes = (VERIFY_EMAIL, CHANGE_EMAIL)
        try:
            user, purpose = await self._consume_account_token(session, token, purposes, source)
        except InvalidInput:
            stored = await self._stored_token(session, token, purposes)
            owner = await session.get(User, stored.user_id) if stored is not None and stored.used_at else None
            if owner is not None and owner.erased_at is None and owner.email_verified_at is not None:
                return True
            raise
        if purpose == CHANGE_EMAIL:
            await self._move_to_pending_email(session, user, source)
        user.email_verified_at = user.email_verified_at or utc_now()
        try:
            await session.commit()
        except IntegrityError:  # another account took the address a moment ago
            await session.rollback()
            raise _invalid_token(source) from None
        return False

    async def _move_to_pending_email(self, session: AsyncSession, user: User, source: str) -> None:
        address = user.pending_email
        if address is None or await self._user_by_email(session, address) is not None:
            raise _invalid_token(source)
        user.email = address
        user.pending_email = None
        user.email_verified_at = None
        user.updated_at = utc_now()

    async def resend_verification(self, session: AsyncSession, user_id: uuid.UUID) -> bool:
        """Mail a fresh verification link (within the address's hourly share); False when already verified."""
        user = await self.require_user(session, user_id)
        if user.email_verified_at is not None:
            return False
        mail = await self._verification_mail(session, user, self.clock())
        await session.commit()
        self._deliver(mail)
        return True

    async def request_password_reset(self, session: AsyncSession, email: str) -> None:
        """Mail a reset code when the account exists and its address had fewer than its hourly share of them.

        The answer is the same either way.
        """
        user = await self._user_by_email(session, normalise_email(email))
        if user is None or not await self._outbox.may_send(
            session, to=user.email, kind=PASSWORD_RESET, now=self.clock()
        ):
            return
        token = self._account_token(session, user, PASSWORD_RESET)
        confirm_url = f"{self._settings.base_url}/v1/auth/password-reset/confirm"
        mail = self._queue(session, user.email, mails.password_reset(token, confirm_url), user.id)
        await session.commit()
        self._deliver(mail)

    async def confirm_password_reset(self, session: AsyncSession, *, token: str, password: str) -> None:
        """Set the new password and end every existing sign-in of the account, and its sign-in delays."""
        user, _ = await self._consume_account_token(session, token, (PASSWORD_RESET,), "body")
        user.password_hash = await self._passwords.hash(password)
        await self._throttle.clear(session, account_key(user.email, self._settings.login_backoff_max_seconds))
        await session.execute(
            update(RefreshToken)
            .where(RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=utc_now())
        )
        await session.commit()
        self._sign_ins.forget_user(user.id)

    # ----- profile, export and erasure ------------------------------------------------------------

    async def _user_by_email(self, session: AsyncSession, address: str) -> User | None:
        result = await session.execute(select(User).where(User.email == address, User.erased_at.is_(None)))
        return result.scalar_one_or_none()

    async def find_user(self, session: AsyncSession, email: str) -> User | None:
        return await self._user_by_email(session, normalise_email(email))

    async def require_user(self, session: AsyncSession, user_id: uuid.UUID) -> User:
        user = await session.get(User, user_id)
        if user is None or user.erased_at is not None:
            raise Unauthorized("This account no longer exists.")
        return user

    async def update_profile(self, session: AsyncSession, user_id: uuid.UUID, change: ProfileUpdate) -> Profile:
        user = await self.require_user(session, user_id)
        check_locale_and_currency(
            change.locale if isinstance(change.locale, str) else None,
            change.preferred_currency if isinstance(change.preferred_currency, str) else None,
        )
        mail: MailMessage | None = None
        if isinstance(change.email, str):
            mail = await self._request_email_change(session, user, normalise_email(change.email))
        if isinstance(change.name, str):
            user.name = change.name.strip()
        if isinstance(change.locale, str):
            user.locale = change.locale
        if isinstance(change.preferred_currency, str):
            user.preferred_currency = change.preferred_currency
        user.updated_at = utc_now()
        await session.commit()
        self._deliver(mail)
        return profile_of(user)

    async def _request_email_change(self, session: AsyncSession, user: User, address: str) -> MailMessage | None:
        """Keep the new address pending until a link mailed to it is opened, answering alike if it is taken.

        A free address gets the link; a taken one gets a note to its owner instead, and the caller cannot tell the
        two apart. Sending the current address again cancels a pending change.
        """
        await session.execute(
            delete(AccountToken).where(
                AccountToken.user_id == user.id, AccountToken.purpose == CHANGE_EMAIL, AccountToken.used_at.is_(None)
            )
        )
        if address == user.email:
            user.pending_email = None
            return None
        user.pending_email = address
        now = self.clock()
        owner = await self._user_by_email(session, address)
        if owner is not None:
            if not await self._outbox.may_send(session, to=address, kind=mails.ADDRESS_IN_USE, now=now):
                return None
            return self._queue(session, address, mails.address_in_use(), owner.id)
        if not await self._outbox.may_send(session, to=address, kind=VERIFY_EMAIL, now=now):
            return None
        token = self._account_token(session, user, CHANGE_EMAIL)
        link = f"{self._settings.base_url}/v1/auth/verify-email?token={token}"
        return self._queue(session, address, mails.email_change(link), user.id)

    async def export(self, session: AsyncSession, user_id: uuid.UUID) -> PersonalDataExport:
        user = await self.require_user(session, user_id)
        tokens = (
            await session.execute(
                select(RefreshToken).where(RefreshToken.user_id == user.id).order_by(RefreshToken.created_at)
            )
        ).scalars()
        mails = (
            await session.execute(
                select(MailMessage).where(MailMessage.user_id == user.id).order_by(MailMessage.created_at)
            )
        ).scalars()
        favourites = (
            await session.execute(select(Favourite).where(Favourite.user_id == user.id).order_by(Favourite.created_at))
        ).scalars()
        reports = (
            await session.execute(
                select(StationReport).where(StationReport.user_id == user.id).order_by(StationReport.created_at)
            )
        ).scalars()
        rfid_cards = await list_driver_tokens(session, user.id)
        return PersonalDataExport(
            exported_at=utc_now(),
            profile=profile_of(user),
            sign_ins=[
                SignInRecord(
                    created_at=t.created_at,
                    expires_at=t.expires_at,
                    revoked=t.revoked_at is not None or t.used_at is not None,
                    user_agent=t.user_agent,
                )
                for t in tokens
            ],
            mails=[
                MailRecord(created_at=m.created_at, to_address=m.to_address, subject=m.subject, status=m.status)
                for m in mails
            ],
            favourites=[FavouriteRecord(location_id=f.location_id, created_at=f.created_at) for f in favourites],
            problem_reports=[
                ReportRecord(location_id=r.location_id, category=r.category, text=r.text, created_at=r.created_at)
                for r in reports
            ],
            rfid_cards=rfid_cards,
        )

    async def erase(self, session: AsyncSession, user_id: uuid.UUID) -> None:
        """Blank every personal field but keep the row, so financial records stay consistent."""
        user = await self.require_user(session, user_id)
        now = utc_now()
        user.email = f"erased-{user.id}@invalid"
        user.name = ""
        user.password_hash = None
        user.email_verified_at = None
        user.pending_email = None
        user.erased_at = now
        user.updated_at = now
        await session.execute(delete(RefreshToken).where(RefreshToken.user_id == user.id))
        await session.execute(delete(AccountToken).where(AccountToken.user_id == user.id))
        await session.execute(delete(MailMessage).where(MailMessage.user_id == user.id))
        await session.execute(delete(Favourite).where(Favourite.user_id == user.id))
        # The link to the payment customer goes; payments already made stay with the sessions they paid for.
        await session.execute(delete(PaymentCustomer).where(PaymentCustomer.user_id == user.id))
        # The person's cards no longer start sessions, and no longer point at them.
        await session.execute(
            update(IdTokenRecord)
            .where(IdTokenRecord.user_id == user.id)
            .values(user_id=None, status="Blocked", label=None)
        )
        # Problem reports stay for the operator, without the free text and no longer linked to the person.
        await session.execute(
            update(StationReport).where(StationReport.user_id == user.id).values(user_id=None, text="")
        )
        await session.commit()
        # Every access token of the account ends here at once, and in other processes within seconds.
        self._sign_ins.forget_user(user.id)

    async def list_users(self, session: AsyncSession, *, role: str | None, limit: int) -> list[User]:
        query = select(User).where(User.erased_at.is_(None)).order_by(User.created_at.desc(), User.id).limit(limit)
        if role is not None:
            query = query.where(User.role == role)
        return list((await session.execute(query)).scalars())

    async def count_users(self, session: AsyncSession) -> int:
        return int((await session.execute(select(func.count()).select_from(User))).scalar_one())
