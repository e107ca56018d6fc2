"""Wire shapes of the sessions API (camelCase); money is a decimal string in major units."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

from api.schema import SPACE, AppStruct, Email

SessionStatus = Literal["starting", "charging", "suspended", "stopping", "completed", "failed"]


class StartSession(AppStruct):
    """The EVSE to charge at: the uid the map shows, or the eMI3 EVSE id printed in the charger's QR code."""

    evse_uid: str | None = None
    emi3_evse_id: str | None = None
    location_id: uuid.UUID | None = None  # only needed when an EVSE uid is used at several locations


class StartGuestSession(AppStruct):
    email: Email  # where the receipt goes
    evse_uid: str | None = None
    emi3_evse_id: str | None = None
    location_id: uuid.UUID | None = None
    # From the payment provider's card form (the card never reaches us). Needed where the network takes cards;
    # without card payments a guest start is refused (402) whether or not it is given.
    payment_method_id: Annotated[str, msgspec.Meta(min_length=1, max_length=255)] | None = None


class CostBreakdown(AppStruct):
    energy: Decimal
    time: Decimal
    idle: Decimal
    fixed: Decimal
    reservation: Decimal
    total_excl_vat: Decimal
    vat: Decimal
    total_incl_vat: Decimal


class SessionCost(AppStruct):
    amount: Decimal  # the incl-VAT total rounded to the currency's minor unit: what is billed
    currency: str
    breakdown: CostBreakdown


class PaymentState(AppStruct):
    provider: str
    status: str  # none | held | declined | captured | released | billed_outside | debt | refunded | disputed
    hold_amount: Decimal
    captured: Decimal
    extra_charged: Decimal
    debt: Decimal
    refunded: Decimal


class SessionView(AppStruct):
    id: uuid.UUID
    status: SessionStatus
    source: str
    location_id: uuid.UUID
    evse_uid: str
    connector_id: int
    created_at: datetime
    energy_kwh: Decimal
    elapsed_seconds: int
    idle_seconds: int
    payment: PaymentState
    updated_at: datetime
    failure_reason: str | None = None
    stop_reason: str | None = None
    location_name: str | None = None
    emi3_evse_id: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    power_kw: Decimal | None = None
    soc_percent: float | None = None
    cost: SessionCost | None = None
    price_text: str | None = None


class GuestSessionStarted(AppStruct):
    session: SessionView
    access_token: str  # shows, stops and fetches the receipt of this one session
    receipt_url: str


class SessionPage(AppStruct):
    items: list[SessionView]
    next_cursor: str | None = None


class SessionQuote(AppStruct):
    """What the driver sees before starting: the price text, the hold placed on the card, and an example: charging
    `exampleEnergyKwh` in `exampleChargingMinutes` (at up to the connector's power) costs `exampleCost`, exactly what
    such a session is billed."""

    evse_uid: str
    hold_amount: Decimal
    example_energy_kwh: Decimal
    example_charging_minutes: int
    payment_provider: str
    emi3_evse_id: str | None = None
    currency: str | None = None
    price_text: str | None = None
    example_cost: Decimal | None = None


class ReceiptLine(AppStruct):
    description: str
    quantity: Decimal
    unit: str
    unit_price_excl_vat: Decimal | None  # per `unit`; None when the tariff has more than one price for it
    vat_rate: Decimal | None  # percent
    amount_excl_vat: Decimal
    vat: Decimal
    amount_incl_vat: Decimal


class ReceiptAdjustment(AppStruct):
    """A refund (money returned to the card) or an adjustment (the bill lowered; it is paid outside the app)."""

    kind: str  # refund | adjustment
    amount: Decimal
    reason_code: str  # charger_fault | billing_error | goodwill | duplicate | other
    status: str  # succeeded | pending | recorded
    created_at: datetime


class Receipt(AppStruct):
    """Amounts are rounded half up to the currency's minor unit; the lines add up to the totals. Times are in the
    station's local time zone (`timeZone`). `printUrl` opens the printable receipt without sign-in until
    `printUrlExpiresAt`."""

    number: str
    session_id: uuid.UUID
    issued_at: datetime
    operator_name: str
    operator_vat_id: str | None
    location_name: str | None
    address: str
    evse_uid: str
    emi3_evse_id: str | None
    time_zone: str
    started_at: datetime | None
    ended_at: datetime | None
    energy_kwh: Decimal
    lines: list[ReceiptLine]
    vat_rate: Decimal | None  # percent, when every line has the same rate
    total_excl_vat: Decimal
    vat: Decimal
    total_incl_vat: Decimal
    amount_due: Decimal
    currency: str
    payment: PaymentState
    print_url: str
    print_url_expires_at: datetime
    adjustments: list[ReceiptAdjustment] = msgspec.field(default_factory=list)  # refunds and adjustments since
    net_amount: Decimal | None = None  # the amount due less `adjustments`: what the driver paid in the end


# A push token or webhook URL: up to 512 characters, not only spaces (they are trimmed).
PushToken = Annotated[str, msgspec.Meta(min_length=1, max_length=512, pattern=rf"[^{SPACE}\x00-\x1f\x7f]")]


class DeviceRegistration(AppStruct):
    platform: Literal["ios", "android", "web", "webhook"]
    token: PushToken
    name: str | None = None


class DeviceView(AppStruct):
    id: uuid.UUID
    platform: str
    name: str | None
    created_at: datetime
