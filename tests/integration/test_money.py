"""Money for operators against the real `stripe` SDK and localstripe: the reconciliation finds planted mismatches
(a bill never captured, a payment captured twice, a captured amount that differs, a refund made at the provider with
no reason, a dispute, a payment that belongs to no session) and matches the clean bills; site hosts' agreements are
written by admins and checked, and their statements add up over a hand-worked period.

localstripe lives for the whole test run, so other tests' payments are there too: the assertions name this test's
sessions and payments.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import stripe
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from api.db.models import ChargingSession, Evse, Location, User
from api.db.models.organisation import OperatorScope, Region
from api.db.types import utc_now
from api.domain.chargers.provisioning import add_charger
from api.domain.drivers.commands import add_user
from tests.integration.conftest import ClientFactory
from tests.integration.stripe_support import app_side_client, save_card, signed_event, stripe_settings
from tests.support import database_session, make_settings

Client = AsyncTestClient[Litestar]
PASSWORD = "a staff password 123"


async def headers_of(
    client: Client, database_url: str, email: str, role: Any = "admin", **overrides: Any
) -> dict[str, str]:
    await add_user(
        make_settings(database_url=database_url, **overrides),
        email=email,
        password=PASSWORD,
        role=role,
        name=email.split("@")[0].title(),
    )
    tokens = (await client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})).json()
    return {"Authorization": f"Bearer {tokens['accessToken']}"}


async def site(database_url: str, ocpp_id: str, name: str) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    """A location with one charger: (location, station, evse)."""
    async with database_session(database_url) as session:
        station, _ = await add_charger(
            session, ocpp_id=ocpp_id, password="a charger secret 123", country_code="NL", party_id="VWY"
        )
        location = await session.get(Location, station.location_id)
        assert location is not None
        location.name = name
        await session.commit()
        evse_id = (
            (await session.execute(select(Evse.id).where(Evse.charging_station_id == station.id))).scalars().first()
        )
        assert evse_id is not None
        return station.location_id, station.id, evse_id


async def billed(
    database_url: str,
    where: tuple[uuid.UUID, uuid.UUID, uuid.UUID],
    *,
    due: str,
    reference: str | None = None,
    ended: datetime | None = None,
    kwh: str = "10",
    excl: str | None = None,
    provider: str = "stripe",
    refunded: str = "0",
) -> uuid.UUID:
    """A completed, billed session as billing leaves it (the bill and what billing recorded as captured)."""
    location_id, station_id, evse_id = where
    moment = ended or utc_now()
    amount = Decimal(due)
    minor = int(amount * 100)
    record = ChargingSession(
        id=uuid.uuid4(),
        location_id=location_id,
        evse_id=evse_id,
        charging_station_id=station_id,
        connector_id=1,
        id_token="TOKEN",
        status="completed",
        currency="EUR",
        payment_provider=provider,
        payment_status="captured" if provider == "stripe" else "billed_outside",
        payment_reference=reference,
        amount_due=due,
        amount_due_minor=minor,
        captured_minor=minor if provider == "stripe" else 0,
        refunded_minor=int(Decimal(refunded) * 100),
        cdr={"total_energy": kwh, "amount_due": due, "total_cost": {"excl_vat": excl or due, "incl_vat": due}},
        started_at=moment - timedelta(hours=1),
        ended_at=moment,
        billed_at=moment,
        created_at=moment - timedelta(hours=1),
        updated_at=moment,
    )
    async with database_session(database_url) as session:
        session.add(record)
        await session.commit()
    return record.id


def _intent(sdk: stripe.StripeClient, customer: str, card: str, amount: int, **extra: Any) -> str:
    params: Any = {
        "amount": amount,
        "currency": "eur",
        "customer": customer,
        "payment_method": card,
        "confirm": True,
        "payment_method_types": ["card"],
        **extra,
    }
    intent = sdk.v1.payment_intents.create(params=params)
    assert intent.status == ("requires_capture" if extra.get("capture_method") == "manual" else "succeeded")
    return intent.id


def paid(sdk: stripe.StripeClient, customer: str, card: str, amount: int, **extra: Any) -> str:
    """A payment captured at once; returns its PaymentIntent id."""
    return _intent(sdk, customer, card, amount, **extra)


def held(sdk: stripe.StripeClient, customer: str, card: str, amount: int) -> str:
    """A hold (manual capture) not captured; returns its PaymentIntent id."""
    return _intent(sdk, customer, card, amount, capture_method="manual")


async def test_reconciliation_finds_planted_mismatches_and_matches_clean_bills(
    client_factory: ClientFactory, database_url: str, localstripe_url: str
) -> None:
    settings = stripe_settings(localstripe_url)
    client = await client_factory(**settings)
    admin = await headers_of(client, database_url, "lead@example.com", **settings)
    sdk = app_side_client(localstripe_url)
    customer = sdk.v1.customers.create(params={"email": "driver@example.com"}).id
    card = save_card(sdk, customer)
    harbour = await site(database_url, "MONEY-1", "Harbour car park")

    # clean: a hold of 20.00 of which 15.00 captured (the rest released), and a full capture
    partly = held(sdk, customer, card, 2000)
    sdk.v1.payment_intents.capture(partly, params={"amount_to_capture": 1500})
    clean_partly = await billed(database_url, harbour, due="15.00", reference=partly)
    clean = await billed(database_url, harbour, due="12.34", reference=paid(sdk, customer, card, 1234))
    # billed but never captured: the hold is still only a hold
    never = await billed(database_url, harbour, due="8.00", reference=held(sdk, customer, card, 2000))
    # captured twice: the hold's payment and a second payment naming the same session
    twice_reference = paid(sdk, customer, card, 1000)
    twice = await billed(database_url, harbour, due="10.00", reference=twice_reference)
    again = paid(sdk, customer, card, 1000, metadata={"description": f"Charging session {str(twice)[:8]}: 4.00 kWh"})
    # captured 12.00 for a bill of 15.00
    short = await billed(database_url, harbour, due="15.00", reference=paid(sdk, customer, card, 1200))
    # refunded at the provider (the dashboard) with no reason and no ticket
    refunded_reference = paid(sdk, customer, card, 2000)
    refunded = await billed(database_url, harbour, due="20.00", reference=refunded_reference)
    dashboard_refund = sdk.v1.refunds.create(params={"payment_intent": refunded_reference, "amount": 500}).id
    # disputed by the driver's bank, as Stripe's webhook reports it
    disputed_reference = paid(sdk, customer, card, 900)
    disputed = await billed(database_url, harbour, due="9.00", reference=disputed_reference)
    dispute = {"object": "dispute", "id": f"du_{uuid.uuid4().hex[:12]}", "payment_intent": disputed_reference,
               "amount": 900, "currency": "eur", "status": "needs_response", "reason": "fraudulent"}  # fmt: skip
    payload, signature = signed_event("charge.dispute.created", dispute, event_id=f"evt_{uuid.uuid4().hex[:12]}")
    hook = await client.post(
        "/webhooks/stripe", content=payload, headers={"Stripe-Signature": signature, "content-type": "application/json"}
    )
    assert hook.status_code == 200, hook.text
    # captured with no session behind it
    stranger = paid(sdk, customer, card, 450)
    # paid outside the app: nothing to match at the provider
    outside = await billed(database_url, harbour, due="7.00", provider="none")

    today = utc_now().date()
    period = {"from": (today - timedelta(days=1)).isoformat(), "to": (today + timedelta(days=1)).isoformat()}
    answer = await client.get("/v1/admin/reconciliation", params=period, headers=admin)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["provider"] == "stripe"
    status = {line["sessionId"]: line["status"] for line in report["lines"]}
    assert status == {
        str(clean_partly): "matched",
        str(clean): "matched",
        str(never): "billed_not_captured",
        str(twice): "captured_twice",
        str(short): "amount_mismatch",
        str(refunded): "refund_without_reason",
        str(disputed): "dispute_open",
        str(outside): "outside",
    }
    assert (report["sessions"], report["matched"], report["mismatched"], report["outside"]) == (8, 2, 5, 1)
    found = {(m["kind"], m["sessionId"]): m for m in report["mismatches"]}
    assert found[("captured_twice", str(twice))]["amount"] == "10.00"
    assert found[("amount_mismatch", str(short))]["amount"] == "3.00"
    assert found[("amount_mismatch", str(short))]["captured"] == "12.00"
    assert found[("refund_without_reason", str(refunded))]["providerId"] == dashboard_refund
    assert found[("dispute_open", str(disputed))]["detail"].startswith("The driver's bank disputes this payment")
    strangers = {m["paymentReference"] for m in report["mismatches"] if m["kind"] == "captured_without_session"}
    assert stranger in strangers
    assert again not in strangers
    assert twice_reference not in strangers
    (eur,) = report["totals"]
    assert eur["billed"] == "96.34"  # 15 + 12.34 + 8 + 10 + 15 + 20 + 9 + 7
    assert eur["billedOutside"] == "7.00"
    assert Decimal(eur["refunded"]) >= Decimal("5.00")

    exported = await client.get("/v1/admin/reconciliation.csv", params=period, headers=admin)
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert {row["session_id"]: row["status"] for row in rows if row["row"] == "session"} == status
    assert any(row["row"] == "mismatch" and row["status"] == "captured_twice" for row in rows)


async def test_a_bad_period_is_a_problem_in_words(client_factory: ClientFactory, database_url: str) -> None:
    client = await client_factory()
    admin = await headers_of(client, database_url, "lead@example.com")
    backwards = await client.get(
        "/v1/admin/reconciliation", params={"from": "2026-03-10", "to": "2026-03-01"}, headers=admin
    )
    assert backwards.status_code == 422
    assert backwards.json()["errors"][0]["field"] == "from"
    too_long = await client.get(
        "/v1/admin/revenue-share", params={"from": "2024-01-01", "to": "2026-03-01"}, headers=admin
    )
    assert too_long.status_code == 422
    not_a_date = await client.get("/v1/admin/revenue-share", params={"from": "March"}, headers=admin)
    assert not_a_date.status_code in (400, 422)
    # without a payment provider every bill is paid outside the app and nothing is asked of one
    empty = (await client.get("/v1/admin/reconciliation", headers=admin)).json()
    assert empty["provider"] == "none"
    assert empty["mismatches"] == []


async def test_revenue_share_statements_over_a_hand_worked_period(
    client_factory: ClientFactory, database_url: str
) -> None:
    """March 2026. Harbour Estates hosts the Harbour car park at 10 % of net revenue: sessions of 20 kWh billed 12.00
    (10.00 excl. VAT) and 10 kWh billed 6.00 (5.00 excl. VAT) of which 1.20 was refunded at the provider: net
    10.00 + (6.00 - 1.20) x 5/6 = 14.00, share 1.40. Mill Lane Garage hosts Mill
    Lane at 0.05 EUR per kWh from 10 March to 31 March: 15.5 kWh on 10 March 00:00 and 4.5 kWh on 31 March 23:59
    count (20 kWh, 1.00); 9 March 23:59 (before the agreement) and 1 April 00:00 (after it) do not."""
    client = await client_factory()
    admin = await headers_of(client, database_url, "lead@example.com")
    agent = await headers_of(client, database_url, "ana@example.com", role="agent")
    harbour = await site(database_url, "HOST-1", "Harbour car park")
    mill = await site(database_url, "HOST-2", "Mill Lane")

    def at(day: int, hour: int = 12, minute: int = 0, month: int = 3) -> datetime:
        return datetime(2026, month, day, hour, minute, tzinfo=UTC)

    await billed(database_url, harbour, due="12.00", excl="10.00", kwh="20", ended=at(3))
    await billed(database_url, harbour, due="6.00", excl="5.00", kwh="10", ended=at(20), refunded="1.20")
    await billed(database_url, mill, due="40.00", kwh="99", ended=at(9, 23, 59))
    await billed(database_url, mill, due="9.30", excl="7.75", kwh="15.5", ended=at(10, 0, 0))
    await billed(database_url, mill, due="2.70", excl="2.25", kwh="4.5", ended=at(31, 23, 59))
    await billed(database_url, mill, due="4.20", kwh="7", ended=at(1, 0, 0, month=4))

    harbour_terms = {"locationId": str(harbour[0]), "hostName": "Harbour Estates", "contact": "finance@harbour.example",
                     "basis": "percent", "rate": "10", "validFrom": "2026-01-01"}  # fmt: skip
    created = await client.post("/v1/admin/host-agreements", json=harbour_terms, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["rate"] == "10"
    mill_terms = {"locationId": str(mill[0]), "hostName": "Mill Lane Garage", "basis": "per_kwh", "rate": "0.05",
                  "currency": "EUR", "validFrom": "2026-03-10", "validTo": "2026-04-30"}  # fmt: skip
    mill_agreement = await client.post("/v1/admin/host-agreements", json=mill_terms, headers=admin)
    assert mill_agreement.status_code == 201, mill_agreement.text

    # checked as a whole: overlap, a percentage over 100, a rate per kWh without currency, dates backwards
    overlap = await client.post(
        "/v1/admin/host-agreements", json={**harbour_terms, "validFrom": "2026-06-01"}, headers=admin
    )
    assert overlap.status_code == 409
    assert "Harbour Estates" in overlap.json()["detail"]
    assert (
        await client.post(
            "/v1/admin/host-agreements",
            json={**harbour_terms, "rate": "120", "validFrom": "2025-01-01", "validTo": "2025-06-30"},
            headers=admin,
        )
    ).status_code == 422
    no_currency = {**mill_terms, "currency": None, "validFrom": "2025-01-01", "validTo": "2025-02-01"}
    assert (await client.post("/v1/admin/host-agreements", json=no_currency, headers=admin)).json()["errors"][0][
        "field"
    ] == "currency"
    backwards = {**mill_terms, "validFrom": "2025-03-01", "validTo": "2025-02-01"}
    assert (await client.post("/v1/admin/host-agreements", json=backwards, headers=admin)).status_code == 422
    # agents neither write nor read them
    assert (await client.post("/v1/admin/host-agreements", json=harbour_terms, headers=agent)).status_code == 403
    assert (await client.get("/v1/admin/revenue-share", headers=agent)).status_code == 403
    # the Mill Lane agreement ends with the period after all: a change is checked again
    changed = await client.patch(
        f"/v1/admin/host-agreements/{mill_agreement.json()['id']}", json={"validTo": "2026-03-31"}, headers=admin
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["validTo"] == "2026-03-31"
    assert changed.json()["updatedBy"] == "Lead"
    missing = await client.patch(f"/v1/admin/host-agreements/{uuid.uuid4()}", json={"rate": "1"}, headers=admin)
    assert missing.status_code == 404

    march = {"from": "2026-03-01", "to": "2026-03-31"}
    report = (await client.get("/v1/admin/revenue-share", params=march, headers=admin)).json()
    statements = {s["hostName"]: s for s in report["statements"]}
    (line,) = statements["Harbour Estates"]["lines"]
    assert (line["sessions"], line["energyKwh"], line["netRevenue"], line["share"]) == (2, "30.000", "14.00", "1.40")
    (line,) = statements["Mill Lane Garage"]["lines"]
    assert (line["sessions"], line["energyKwh"], line["share"], line["shareCurrency"]) == (2, "20.000", "1.00", "EUR")
    assert (line["daysFrom"], line["daysTo"]) == ("2026-03-10", "2026-03-31")
    assert statements["Mill Lane Garage"]["totals"] == [
        {"currency": "EUR", "sessions": 2, "energyKwh": "20.000", "netRevenue": "10.00", "share": "1.00"}
    ]

    one = (
        await client.get("/v1/admin/revenue-share", params={**march, "host": "mill lane garage"}, headers=admin)
    ).json()
    assert [s["hostName"] for s in one["statements"]] == ["Mill Lane Garage"]
    exported = await client.get("/v1/admin/revenue-share.csv", params=march, headers=admin)
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert {(row["host"], row["host_share"]) for row in rows} == {
        ("Harbour Estates", "1.40"),
        ("Mill Lane Garage", "1.00"),
    }
    # the console's print link opens without a token, only for this period, and not once changed
    printed = await client.get(report["printUrl"])
    assert printed.status_code == 200
    assert "Mill Lane Garage" in printed.text
    assert "Harbour Estates" in printed.text
    other_period = report["printUrl"].replace("from=2026-03-01", "from=2026-01-01")
    assert (await client.get(other_period)).status_code == 404
    assert (await client.get(report["printUrl"][:-4] + "0000")).status_code == 404
    page = await client.get("/v1/admin/revenue-share.html", params=march, headers=admin)
    assert page.headers["content-type"].startswith("text/html")
    assert "Harbour Estates" in page.text
    assert "finance@harbour.example" in page.text
    assert "0.05 EUR per kWh" in page.text
    assert "10 % of net revenue" in page.text


async def test_host_names_are_safe_in_the_printable_page_and_the_csv(
    client_factory: ClientFactory, database_url: str
) -> None:
    client = await client_factory()
    admin = await headers_of(client, database_url, "lead@example.com")
    where = await site(database_url, "HOST-X", "Quay")
    await billed(database_url, where, due="10.00", ended=datetime(2026, 3, 5, tzinfo=UTC))
    name = '=HYPERLINK("http://evil.example")<script>alert(1)</script>'
    terms = {"locationId": str(where[0]), "hostName": name, "basis": "percent", "rate": "5", "validFrom": "2026-03-01"}
    assert (await client.post("/v1/admin/host-agreements", json=terms, headers=admin)).status_code == 201
    march = {"from": "2026-03-01", "to": "2026-03-31"}
    page = (await client.get("/v1/admin/revenue-share.html", params=march, headers=admin)).text
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;" in page
    exported = (await client.get("/v1/admin/revenue-share.csv", params=march, headers=admin)).text
    (row,) = list(csv.DictReader(io.StringIO(exported)))
    assert row["host"].startswith("'=")
    assert date.fromisoformat(row["from"]) == date(2026, 3, 1)


async def test_an_operator_sees_the_money_of_their_own_sites_only(
    client_factory: ClientFactory, database_url: str
) -> None:
    client = await client_factory()
    admin = await headers_of(client, database_url, "lead@example.com")
    operator = await headers_of(client, database_url, "olive@example.com", role="operator")
    north = await site(database_url, "OPS-N", "North depot")
    south = await site(database_url, "OPS-S", "South depot")
    async with database_session(database_url) as session:
        region = Region(name="North")
        session.add(region)
        await session.flush()
        location = await session.get(Location, north[0])
        assert location is not None
        location.region_id = region.id
        olive = (await session.execute(select(User.id).where(User.email == "olive@example.com"))).scalar_one()
        session.add(OperatorScope(user_id=olive, region_id=region.id, business_unit_id=None))
        await session.commit()
    ended = datetime(2026, 3, 5, 12, tzinfo=UTC)
    mine = await billed(database_url, north, due="10.00", ended=ended, provider="none")
    theirs = await billed(database_url, south, due="20.00", ended=ended, provider="none")
    for where, host in ((north, "North Hotel"), (south, "South Mall")):
        terms = {
            "locationId": str(where[0]),
            "hostName": host,
            "basis": "percent",
            "rate": "10",
            "validFrom": "2026-01-01",
        }
        assert (await client.post("/v1/admin/host-agreements", json=terms, headers=admin)).status_code == 201

    march = {"from": "2026-03-01", "to": "2026-03-31"}
    report = (await client.get("/v1/admin/reconciliation", params=march, headers=operator)).json()
    assert [line["sessionId"] for line in report["lines"]] == [str(mine)]
    everything = (await client.get("/v1/admin/reconciliation", params=march, headers=admin)).json()
    assert {line["sessionId"] for line in everything["lines"]} == {str(mine), str(theirs)}
    statements = (await client.get("/v1/admin/revenue-share", params=march, headers=operator)).json()
    assert [s["hostName"] for s in statements["statements"]] == ["North Hotel"]
    assert statements["statements"][0]["totals"][0]["share"] == "1.00"
    printed = await client.get(statements["printUrl"])
    assert "North Hotel" in printed.text
    assert "South Mall" not in printed.text
    exported = (await client.get("/v1/admin/revenue-share.csv", params=march, headers=operator)).text
    assert "South Mall" not in exported
    agreements = (await client.get("/v1/admin/host-agreements", headers=operator)).json()
    assert [a["hostName"] for a in agreements] == ["North Hotel"]
    # an operator reads agreements but does not write them
    terms = {
        "locationId": str(north[0]),
        "hostName": "Someone",
        "basis": "percent",
        "rate": "50",
        "validFrom": "2030-01-01",
    }
    assert (await client.post("/v1/admin/host-agreements", json=terms, headers=operator)).status_code == 403
    first = agreements[0]["id"]
    assert (
        await client.patch(f"/v1/admin/host-agreements/{first}", json={"rate": "90"}, headers=operator)
    ).status_code == 403
