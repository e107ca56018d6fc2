"""Wire shapes of the money reports and the host agreements (camelCase; money as Decimal strings)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

from api.schema import FreeText, FrozenAppStruct

MismatchKind = Literal[
    "billed_not_captured",
    "captured_twice",
    "amount_mismatch",
    "refund_without_reason",
    "dispute_open",
    "dispute_lost",
    "captured_without_session",
    "ended_not_billed",
]
MISMATCH_TITLES: dict[str, str] = {
    "billed_not_captured": "Billed but not captured",
    "captured_twice": "Captured twice",
    "amount_mismatch": "Captured amount differs from the bill",
    "refund_without_reason": "Refund without a reason",
    "dispute_open": "Dispute open",
    "dispute_lost": "Dispute lost",
    "captured_without_session": "Captured without a session",
    "ended_not_billed": "Ended but not billed",
}
Basis = Literal["percent", "per_kwh"]


class Mismatch(FrozenAppStruct, frozen=True):
    """One thing that does not add up. `amount` is what is at stake (the difference, the refund, the dispute)."""

    kind: MismatchKind
    title: str
    detail: str
    currency: str
    amount: Decimal
    session_id: uuid.UUID | None = None
    location_name: str | None = None
    payment_reference: str | None = None
    provider_id: str | None = None  # the charge, refund or dispute at the provider
    billed: Decimal | None = None
    captured: Decimal | None = None
    at: datetime | None = None


class CurrencyTotals(FrozenAppStruct, frozen=True):
    """Per currency: what was billed (`billedOutside`: of it, outside the app: no card, roaming), captured at the
    provider, refunded there, adjusted on bills paid outside, under dispute and lost in disputes; `net` = captured
    - refunded - lost."""

    currency: str
    sessions: int
    billed: Decimal
    billed_outside: Decimal
    captured: Decimal
    refunded: Decimal
    adjusted: Decimal
    disputed: Decimal
    lost_in_disputes: Decimal
    net: Decimal


class ReconciliationLine(FrozenAppStruct, frozen=True):
    """One billed session as reconciled: `status` is matched, outside (paid outside the app) or a mismatch kind."""

    session_id: uuid.UUID
    location_name: str | None
    billed_at: datetime
    currency: str
    billed: Decimal
    captured: Decimal
    refunded: Decimal
    status: str
    payment_reference: str | None


class ReconciliationReport(FrozenAppStruct, frozen=True):
    """Every session billed in the period (UTC days `from`..`to`, both included) against the provider."""

    period_from: date = msgspec.field(name="from")
    period_to: date = msgspec.field(name="to")
    provider: str
    sessions: int
    matched: int
    mismatched: int
    outside: int
    counts: dict[str, int]
    totals: list[CurrencyTotals]
    mismatches: list[Mismatch]
    lines: list[ReconciliationLine]


HostName = Annotated[FreeText, msgspec.Meta(min_length=1, max_length=200)]
Contact = Annotated[FreeText, msgspec.Meta(max_length=300)]
Currency = Annotated[str, msgspec.Meta(pattern="^[A-Z]{3}$")]


class HostAgreementInput(FrozenAppStruct, frozen=True):
    """A new agreement. `rate`: the percentage of net revenue ("12.5") for `percent`, or the amount per kWh in
    `currency` ("0.05") for `per_kwh`. `validFrom`/`validTo`: UTC days, both included; no `validTo`: open-ended."""

    location_id: uuid.UUID
    host_name: HostName
    basis: Basis
    rate: Decimal
    valid_from: date
    contact: Contact = ""
    currency: Currency | None = None
    valid_to: date | None = None


class HostAgreementPatch(FrozenAppStruct, frozen=True):
    """The fields to change; the others stay. `validTo: null` makes the agreement open-ended."""

    host_name: HostName | msgspec.UnsetType = msgspec.UNSET
    contact: Contact | msgspec.UnsetType = msgspec.UNSET
    basis: Basis | msgspec.UnsetType = msgspec.UNSET
    rate: Decimal | msgspec.UnsetType = msgspec.UNSET
    currency: Currency | msgspec.UnsetType | None = msgspec.UNSET
    valid_from: date | msgspec.UnsetType = msgspec.UNSET
    valid_to: date | msgspec.UnsetType | None = msgspec.UNSET


class HostAgreementView(FrozenAppStruct, frozen=True):
    id: uuid.UUID
    location_id: uuid.UUID
    location_name: str | None
    host_name: str
    contact: str
    basis: Basis
    rate: Decimal
    currency: str | None
    valid_from: date
    valid_to: date | None
    updated_by: str
    updated_at: datetime


class StatementLine(FrozenAppStruct, frozen=True):
    """One location under one agreement within the period: `netRevenue` is what drivers paid, less refunds and
    adjustments, excluding VAT; `share` is the host's, in `shareCurrency`."""

    location_id: uuid.UUID
    location_name: str | None
    agreement_id: uuid.UUID
    basis: Basis
    rate: Decimal
    days_from: date
    days_to: date
    currency: str
    sessions: int
    energy_kwh: Decimal
    net_revenue: Decimal
    share: Decimal
    share_currency: str


class StatementTotal(FrozenAppStruct, frozen=True):
    currency: str
    sessions: int
    energy_kwh: Decimal
    net_revenue: Decimal
    share: Decimal


class HostStatement(FrozenAppStruct, frozen=True):
    host_name: str
    contact: str
    lines: list[StatementLine]
    totals: list[StatementTotal]


class RevenueShareReport(FrozenAppStruct, frozen=True):
    """Statements per host for the period (UTC days `from`..`to`, both included). `printUrl` (relative to the API)
    opens the printable statements in a browser without a token, for ten minutes."""

    period_from: date = msgspec.field(name="from")
    period_to: date = msgspec.field(name="to")
    statements: list[HostStatement]
    print_url: str | None = None
