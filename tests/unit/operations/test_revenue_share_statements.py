"""Revenue-share statements worked by hand (no database).

Period 1-31 March 2026. Harbour Estates hosts the Harbour car park at 10 % of net revenue:
- session A: 20 kWh, billed 12.00 (10.00 excl. VAT), nothing refunded: net 10.00;
- session B: 10 kWh, billed 6.00 (5.00 excl. VAT), 1.20 refunded: net (6.00 - 1.20) x 5/6 = 4.00;
  so 30 kWh, net 14.00, share 1.40 EUR.
Mill Lane Garage hosts Mill Lane at 0.05 EUR per kWh from 10 March: sessions of 15.5 and 4.5 kWh on 10 and 31
March count (20 kWh: 1.00 EUR); one on 9 March (before the agreement) and one on 1 April (after the period) do not.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from api.domain.operations.money.period import Period
from api.domain.operations.money.revenue_share import Sale, Terms, statements

MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))
HARBOUR, MILL = uuid.uuid4(), uuid.uuid4()


def terms(location: uuid.UUID, host: str, basis: str, rate: str, start: date, currency: str | None = None) -> Terms:
    return Terms(
        id=uuid.uuid4(), location_id=location, location_name=host.split()[0], host_name=host, contact="",
        basis=basis, rate=Decimal(rate), currency=currency, valid_from=start, valid_to=None,
    )  # fmt: skip


def sale(location: uuid.UUID, day: date, kwh: str, billed: str, excl: str, back: str = "0") -> Sale:
    return Sale(
        location_id=location, ended_on=day, currency="EUR", energy_kwh=Decimal(kwh), billed=Decimal(billed),
        given_back=Decimal(back), excl_vat=Decimal(excl), incl_vat=Decimal(billed),
    )  # fmt: skip


def test_percent_and_per_kwh_statements_as_worked_by_hand() -> None:
    agreements = [
        terms(HARBOUR, "Harbour Estates", "percent", "10", date(2026, 1, 1)),
        terms(MILL, "Mill Lane Garage", "per_kwh", "0.05", date(2026, 3, 10), "EUR"),
    ]
    sales = [
        sale(HARBOUR, date(2026, 3, 3), "20", "12.00", "10.00"),
        sale(HARBOUR, date(2026, 3, 20), "10", "6.00", "5.00", back="1.20"),
        sale(MILL, date(2026, 3, 9), "99", "50.00", "40.00"),
        sale(MILL, date(2026, 3, 10), "15.5", "9.30", "7.75"),
        sale(MILL, date(2026, 3, 31), "4.5", "2.70", "2.25"),
        sale(MILL, date(2026, 4, 1), "7", "4.20", "3.50"),
    ]
    harbour, mill = statements(agreements, sales, MARCH)
    assert harbour.host_name == "Harbour Estates"
    (line,) = harbour.lines
    assert (line.sessions, line.energy_kwh, line.net_revenue, line.share) == (
        2,
        Decimal("30.000"),
        Decimal("14.00"),
        Decimal("1.40"),
    )
    assert line.share_currency == "EUR"
    (line,) = mill.lines
    assert (line.sessions, line.energy_kwh, line.share) == (2, Decimal("20.000"), Decimal("1.00"))
    assert line.net_revenue == Decimal("10.00")
    assert (line.days_from, line.days_to) == (date(2026, 3, 10), date(2026, 3, 31))
    assert [(t.currency, t.share) for t in mill.totals] == [("EUR", Decimal("1.00"))]


def test_a_session_counts_for_the_agreement_valid_on_its_day() -> None:
    first = terms(HARBOUR, "Harbour Estates", "percent", "10", date(2026, 3, 1))
    first = Terms(**{**{f: getattr(first, f) for f in first.__struct_fields__}, "valid_to": date(2026, 3, 15)})
    second = terms(HARBOUR, "Quay Holdings", "percent", "20", date(2026, 3, 16))
    sales = [
        sale(HARBOUR, date(2026, 3, 15), "10", "12.00", "10.00"),
        sale(HARBOUR, date(2026, 3, 16), "10", "12.00", "10.00"),
    ]
    by_host = {s.host_name: s for s in statements([first, second], sales, MARCH)}
    assert by_host["Harbour Estates"].lines[0].share == Decimal("1.00")
    assert by_host["Harbour Estates"].lines[0].days_to == date(2026, 3, 15)
    assert by_host["Quay Holdings"].lines[0].share == Decimal("2.00")
