"""Wire shapes of the account endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec
from babel.numbers import list_currencies

from api.domain.drivers.id_tokens import IdTokenOut
from api.schema import AppStruct, Email

__all__ = ["KNOWN_CURRENCIES", "SUPPORTED_LANGUAGES", "Email"]

# The languages the service speaks and the currencies it knows; the service checks them with its own words.
SUPPORTED_LANGUAGES = frozenset({"en", "de", "fr", "es", "nl"})
KNOWN_CURRENCIES = frozenset(list_currencies())
NewPassword = Annotated[
    str, msgspec.Meta(min_length=10, max_length=1024, description="At least 10 characters", examples=["correct horse"])
]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]
PersonName = Annotated[str, msgspec.Meta(min_length=1, max_length=200, examples=["Ada Lovelace"])]
Locale = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[a-z]{2}(-[A-Z]{2})?$",
        # the document names the languages; the service refuses others together with an unknown currency
        extra_json_schema={"extra": {"pattern": rf"^({'|'.join(sorted(SUPPORTED_LANGUAGES))})(-[A-Z]{{2}})?$"}},
        description="One of en, de, fr, es, nl, optionally with a region",
        examples=["de-DE"],
    ),
]
Currency = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[A-Z]{3}$",
        description="ISO 4217 code",
        examples=["EUR"],
        extra_json_schema={"extra": {"enum": sorted(KNOWN_CURRENCIES)}},
    ),
]
OpaqueToken = Annotated[str, msgspec.Meta(min_length=10, max_length=200)]


class RegisterRequest(AppStruct):
    email: Email
    password: NewPassword
    name: PersonName
    locale: Locale = "en"
    preferred_currency: Currency = "EUR"


class LoginRequest(AppStruct):
    email: Email
    password: Password


class RefreshRequest(AppStruct):
    refresh_token: OpaqueToken


class TokenPair(AppStruct):
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: Literal["Bearer"] = "Bearer"


class Profile(AppStruct):
    id: uuid.UUID
    email: str
    email_verified: bool
    name: str
    locale: str
    preferred_currency: str
    role: str
    created_at: datetime
    pending_email: str | None = None  # a new address waiting for the link mailed to it to be opened


class ProfileUpdate(AppStruct):
    """Only the fields present change; a new email takes effect once the link mailed to it is opened."""

    email: Email | msgspec.UnsetType = msgspec.UNSET
    name: PersonName | msgspec.UnsetType = msgspec.UNSET
    locale: Locale | msgspec.UnsetType = msgspec.UNSET
    preferred_currency: Currency | msgspec.UnsetType = msgspec.UNSET


class PasswordResetRequest(AppStruct):
    email: Email


class PasswordResetConfirm(AppStruct):
    token: OpaqueToken
    password: NewPassword


class EmailVerification(AppStruct):
    token: OpaqueToken


class EmailVerified(AppStruct):
    email_verified: bool
    already_verified: bool = False  # the link had been used and the address confirmed before
    detail: str = "Your email address is confirmed."


class Accepted(AppStruct):
    detail: str


class SignInRecord(AppStruct):
    created_at: datetime
    expires_at: datetime
    revoked: bool
    user_agent: str | None


class MailRecord(AppStruct):
    created_at: datetime
    to_address: str
    subject: str
    status: str


class FavouriteRecord(AppStruct):
    location_id: uuid.UUID
    created_at: datetime


class ReportRecord(AppStruct):
    location_id: uuid.UUID
    category: str
    text: str
    created_at: datetime


class PersonalDataExport(AppStruct):
    """Everything the service keeps about the caller (GDPR Art. 15 and 20)."""

    exported_at: datetime
    profile: Profile
    sign_ins: list[SignInRecord]
    mails: list[MailRecord]
    favourites: list[FavouriteRecord]
    problem_reports: list[ReportRecord]
    rfid_cards: list[IdTokenOut] = msgspec.field(default_factory=list)
