"""OCPI wire shapes shared by every module (snake_case, never the app API's camelCase) and OCPI DateTime text."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

import msgspec

OCPI_VERSION = "2.2.1"
Role = Literal["CPO", "EMSP", "HUB", "NAP", "NSP", "OTHER", "SCSP"]
InterfaceRole = Literal["SENDER", "RECEIVER"]
ROLES: tuple[str, ...] = ("CPO", "EMSP", "HUB", "NAP", "NSP", "OTHER", "SCSP")


class OcpiStruct(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Base of every OCPI object: field names are the spec's (snake_case); optional fields left out when unset."""


class Version(OcpiStruct):
    version: str
    url: str


class Endpoint(OcpiStruct):
    identifier: str
    role: InterfaceRole
    url: str


class VersionDetails(OcpiStruct):
    version: str
    endpoints: list[Endpoint]


class Image(OcpiStruct):
    url: str
    category: str
    type: str
    thumbnail: str | None = None
    width: int | None = None
    height: int | None = None


class BusinessDetails(OcpiStruct):
    name: str
    website: str | None = None
    logo: Image | None = None


class CredentialsRole(OcpiStruct):
    role: Role
    business_details: BusinessDetails
    party_id: str
    country_code: str


class Credentials(OcpiStruct):
    token: str
    url: str
    roles: list[CredentialsRole]


def format_datetime(moment: datetime) -> str:
    """OCPI DateTime: RFC 3339 in UTC with `Z`, whole seconds (string(25)). A naive value is UTC: every time the
    service stores is UTC, and SQLite hands stored times back without their zone."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datetime(text: str) -> datetime:
    """Read an OCPI DateTime leniently: `Z` or an offset, fractional seconds, or no zone at all (UTC by the spec).

    Raises ValueError for anything that is not a date and time.
    """
    value = text.strip()
    if not value:
        raise ValueError("empty date and time")
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
