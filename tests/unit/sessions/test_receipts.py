"""Receipts a driver can use: local times with the zone named, unit prices and VAT rates, the operator, one
rounding rule with lines that add up, honest payment wording, and a printable link that works for 30 days."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from api.db.models import ChargingSession, Evse, Location
from api.domain.sessions.receipts import apportion, build_receipt, check_print_token, print_token, receipt_html
from api.errors import NotFound
from api.settings import Settings

D = Decimal
SETTINGS = Settings(secret_key="k" * 40, operator_name="Laadnet Amsterdam B.V.", operator_vat_id="NL123456789B01")
TARIFF = {
    "id": "T",
    "currency": "EUR",
    "elements": [
        {
            "price_components": [
                {"type": "ENERGY", "price": "0.39", "vat": "21", "step_size": 1},
                {"type": "FLAT", "price": "0.50", "vat": "21", "step_size": 1},
            ]
        }
    ],
}


def session(now: datetime, cdr: dict[str, Any], *, provider: str = "none", status: str = "billed_outside") -> Any:
    started = now - timedelta(hours=2)
    record = ChargingSession(
        id=uuid.uuid4(),
        status="completed",
        currency="EUR",
        time_zone="Europe/Amsterdam",
        tariff=TARIFF,
        idle_fee=None,
        cdr=cdr,
        amount_due=cdr["amount_due"],
        started_at=started,
        ended_at=now - timedelta(hours=1),
        billed_at=now - timedelta(hours=1),
    )
    row = {
        "currency": "EUR",
        "payment_provider": provider,
        "payment_status": status,
        "hold_minor": 0,
        "captured_minor": 0 if provider == "none" else 1000,
        "extra_charged_minor": 0,
        "debt_minor": 0,
        "refunded_minor": 0,
    }
    location = Location(name="Amstel", address="Amstelstraat 1", postal_code="1017 DA", city="Amsterdam")
    evse = Evse(uid="EVSE-1", emi3_evse_id="NL*VWY*E1")
    return build_receipt(record, location, evse, row, SETTINGS, now)


# 9.735 kWh at 0.39 and a 0.50 session fee, with 21 % VAT
CDR = {
    "total_energy": "9.735",
    "total_energy_cost": {"excl_vat": "3.79665", "incl_vat": "4.5939465"},
    "total_fixed_cost": {"excl_vat": "0.50", "incl_vat": "0.605"},
    "total_time_cost": {"excl_vat": "0", "incl_vat": "0"},
    "total_parking_cost": {"excl_vat": "0", "incl_vat": "0"},
    "total_reservation_cost": {"excl_vat": "0", "incl_vat": "0"},
    "total_cost": {"excl_vat": "4.29665", "incl_vat": "5.1989465"},
    "amount_due": "5.20",
}


def test_every_amount_rounds_half_up_like_the_amount_due() -> None:
    receipt = session(datetime.now(UTC), CDR)
    energy, fee = receipt.lines
    assert fee.amount_incl_vat == D("0.61")  # 0.605: half up, as the amount due is rounded (not 0.60)
    assert (energy.amount_excl_vat, energy.vat, energy.amount_incl_vat) == (D("3.80"), D("0.79"), D("4.59"))
    assert (receipt.total_excl_vat, receipt.vat, receipt.total_incl_vat) == (D("4.30"), D("0.90"), D("5.20"))
    assert sum(line.amount_incl_vat for line in receipt.lines) == receipt.total_incl_vat == receipt.amount_due


def test_lines_add_up_to_the_total_when_rounding_each_would_not() -> None:
    # 4.719 + 0.605 = 5.324: rounded one by one 4.72 + 0.61 = 5.33, a cent more than the 5.32 due
    cdr = {
        **CDR,
        "total_energy": "10",
        "total_energy_cost": {"excl_vat": "3.90", "incl_vat": "4.719"},
        "total_cost": {"excl_vat": "4.40", "incl_vat": "5.324"},
        "amount_due": "5.32",
    }
    receipt = session(datetime.now(UTC), cdr)
    assert sum(line.amount_incl_vat for line in receipt.lines) == receipt.total_incl_vat == receipt.amount_due
    assert sum(line.amount_excl_vat for line in receipt.lines) == receipt.total_excl_vat == D("4.40")
    assert all(line.amount_excl_vat + line.vat == line.amount_incl_vat for line in receipt.lines)
    exact = [D("4.719"), D("0.605")]
    assert all(abs(line.amount_incl_vat - value) < D("0.01") for line, value in zip(receipt.lines, exact, strict=True))


def test_unit_prices_vat_rates_operator_and_local_times() -> None:
    now = datetime.now(UTC)
    receipt = session(now, CDR)
    energy, fee = receipt.lines
    assert (energy.unit_price_excl_vat, energy.unit, energy.vat_rate) == (D("0.39"), "kWh", D(21))
    assert (fee.unit_price_excl_vat, fee.vat_rate) == (D("0.5"), D(21))
    assert receipt.vat_rate == D(21)
    assert (receipt.operator_name, receipt.operator_vat_id) == ("Laadnet Amsterdam B.V.", "NL123456789B01")
    assert receipt.time_zone == "Europe/Amsterdam"
    assert receipt.started_at is not None
    assert receipt.started_at == now - timedelta(hours=2)  # the same moment ...
    local = (now - timedelta(hours=2)).astimezone(receipt.started_at.tzinfo)
    assert receipt.started_at.utcoffset() == local.utcoffset() != timedelta(0)  # ... on Amsterdam's clock
    page = receipt_html(receipt)
    zone = receipt.started_at.tzname()
    assert zone in ("CET", "CEST")
    assert f"{receipt.started_at:%Y-%m-%d %H:%M} {zone} (Europe/Amsterdam)" in page
    assert "0.39 EUR/kWh" in page
    assert "21 %" in page
    assert "Laadnet Amsterdam B.V." in page
    assert "VAT id NL123456789B01" in page
    assert "UTC" not in page


def test_billed_outside_the_app_shows_no_card_capture() -> None:
    receipt = session(datetime.now(UTC), CDR)
    assert receipt.payment.status == "billed_outside"
    assert receipt.payment.captured == 0
    page = receipt_html(receipt)
    assert "Billed outside the app" in page
    assert "captured" not in page.lower()
    assert "charged" not in page.lower()
    card = receipt_html(session(datetime.now(UTC), CDR, provider="stripe", status="captured"))
    assert "Card: 10.00 EUR charged" in card


def test_a_minimum_price_shows_as_its_own_line() -> None:
    cdr = {**CDR, "total_cost": {"excl_vat": "5.00", "incl_vat": "6.05"}, "amount_due": "6.05"}
    receipt = session(datetime.now(UTC), cdr)
    assert [line.description for line in receipt.lines] == ["Energy", "Session fee", "Minimum price"]
    assert sum(line.amount_incl_vat for line in receipt.lines) == receipt.amount_due == D("6.05")


def test_apportion_keeps_the_total_whatever_the_remainders() -> None:
    parts = [D("0.333"), D("0.333"), D("0.334")]
    assert apportion(parts, D(1), "EUR") == [D("0.33"), D("0.33"), D("0.34")]
    halves = [D("0.005")] * 3  # each rounds up to 0.01: one gives a cent back so they add up to 0.02
    assert sum(apportion(halves, D("0.015"), "EUR")) == D("0.02")
    assert apportion([D("12.5"), D("0.5")], D(13), "JPY") == [D(12), D(1)]


def test_the_printable_link_opens_for_30_days_and_only_for_its_session() -> None:
    now = datetime.now(UTC)
    receipt = session(now, CDR)
    token = receipt.print_url.split("token=", 1)[1]
    assert receipt.print_url.startswith(f"{SETTINGS.base_url}/v1/receipts/{receipt.session_id}?token=")
    assert len(token) > 64  # an HMAC-SHA256, not a guessable number
    check_print_token(SETTINGS, receipt.session_id, token, now + timedelta(days=29, hours=23))
    with pytest.raises(NotFound, match="expired"):
        check_print_token(SETTINGS, receipt.session_id, token, now + timedelta(days=30, minutes=1))
    with pytest.raises(NotFound):
        check_print_token(SETTINGS, uuid.uuid4(), token, now)
    forged = print_token(Settings(secret_key="x" * 40), receipt.session_id, now + timedelta(days=365))
    with pytest.raises(NotFound):
        check_print_token(SETTINGS, receipt.session_id, forged, now)
    expiry, signature = token.split(".")
    with pytest.raises(NotFound):  # a later expiry does not carry the signature along
        check_print_token(SETTINGS, receipt.session_id, f"{int(expiry) + 86400}.{signature}", now)
