"""The operations console's money page in a real browser (Debian's Chromium, headless, driven by Playwright) against
`voltway serve` with the demo data and localstripe: an admin picks a period, reads the reconciliation with the
planted mismatches, downloads its CSV, reads the site hosts' statements and opens their printable page."""

from __future__ import annotations

import asyncio
import re
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from api.db.models import ChargingStation, Evse
from tests.e2e.test_console import (
    CHARGER,
    Served,
    accessibility_violations,
    browser,
    localstripe_url,
    off_the_browser_loop,
    page,
    screenshot,
    served,
    sign_in,
)
from tests.integration.stripe_support import app_side_client, save_card
from tests.integration.test_money import billed, held, paid
from tests.support import database_session

__all__ = ["browser", "localstripe_url", "page", "served"]  # the console tests' server, browser and tab


async def _a_demo_site(database_url: str) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    """The site of the first simulated charger, which the demo operator looks after."""
    async with database_session(database_url) as session:
        statement = select(Evse).join(ChargingStation, Evse.charging_station_id == ChargingStation.id)
        evse = (await session.execute(statement.where(ChargingStation.ocpp_id == CHARGER).limit(1))).scalar_one()
        assert evse.charging_station_id is not None
        return evse.location_id, evse.charging_station_id, evse.id


async def _plant(database_url: str, stripe_base: str) -> dict[str, uuid.UUID]:
    """Bills of today at a demo site: two clean, one never captured, one captured twice, one refunded with no reason."""
    where = await _a_demo_site(database_url)
    sdk = app_side_client(stripe_base)
    customer = (await asyncio.to_thread(sdk.v1.customers.create, params={"email": "money@example.com"})).id
    card = await asyncio.to_thread(save_card, sdk, customer)
    planted = {
        "clean": await billed(database_url, where, due="18.40", kwh="32", reference=paid(sdk, customer, card, 1840)),
        "clean_too": await billed(
            database_url, where, due="7.25", kwh="12.5", reference=paid(sdk, customer, card, 725)
        ),
        "never": await billed(database_url, where, due="11.00", kwh="19", reference=held(sdk, customer, card, 3000)),
    }
    twice = await billed(database_url, where, due="9.60", kwh="16", reference=paid(sdk, customer, card, 960))
    paid(sdk, customer, card, 960, metadata={"description": f"Charging session {str(twice)[:8]}: 16.00 kWh"})
    refunded_reference = paid(sdk, customer, card, 2200)
    planted["refunded"] = await billed(database_url, where, due="22.00", kwh="38", reference=refunded_reference)
    sdk.v1.refunds.create(params={"payment_intent": refunded_reference, "amount": 600})
    planted["twice"] = twice
    planted["location"] = where[0]
    return planted


def test_an_admin_reconciles_the_month_and_prints_the_hosts_statements(page: Any, served: Served) -> None:
    from playwright.sync_api import expect

    planted = off_the_browser_loop(_plant(served.env["VOLTWAY_DATABASE_URL"], served.stripe_base))
    admin = served.headers("admin@example.com")
    agreement = {
        "locationId": str(planted["location"]),
        "hostName": "Harbour Estates",
        "contact": "finance@harbour.example",
        "basis": "percent",
        "rate": "12.5",
        "validFrom": "2020-01-01",
    }
    created = httpx.post(f"{served.base}/v1/admin/host-agreements", json=agreement, headers=admin)
    assert created.status_code == 201, created.text

    sign_in(page, served.base, "admin@example.com")
    page.wait_for_url(re.compile(r"/console/(?!$)"))
    page.goto(f"{served.base}/console/money")
    mismatches = page.locator("#m-mismatches")
    expect(mismatches).to_contain_text("Billed but not captured")
    expect(mismatches).to_contain_text("Captured twice")
    expect(mismatches).to_contain_text("Refund without a reason")
    expect(mismatches).to_contain_text(str(planted["twice"])[:8])
    summary = page.locator("#m-reconciliation-summary")
    expect(summary).to_contain_text("with a mismatch")
    expect(page.locator("#m-statements")).to_contain_text("Harbour Estates")
    expect(page.locator("#m-statements")).to_contain_text("12.5 % of net revenue")
    expect(page.locator("#m-agreements")).to_contain_text("finance@harbour.example")
    assert accessibility_violations(page) == []
    screenshot(page, "money.png")

    with page.expect_download() as downloading:
        page.get_by_role("button", name="Download CSV").first.click()
    csv_text = Path(downloading.value.path()).read_text(encoding="utf-8")
    assert str(planted["never"]) in csv_text
    assert "billed_not_captured" in csv_text

    with page.context.expect_page() as opening:
        page.get_by_role("link", name="Print statements").click()
    printable = opening.value
    printable.wait_for_load_state()
    expect(printable.locator("body")).to_contain_text("Revenue-share statement")
    expect(printable.locator("body")).to_contain_text("Harbour Estates")
    screenshot(printable, "money-statement.png")
    printable.close()


def test_an_operator_reads_the_money_of_their_sites_without_editing_agreements(page: Any, served: Served) -> None:
    from playwright.sync_api import expect

    sign_in(page, served.base, "operator@example.com")
    page.wait_for_url(re.compile(r"/console/(?!$)"))
    page.goto(f"{served.base}/console/money")
    expect(page.locator("#m-reconciliation-summary")).to_contain_text("billed sessions")
    expect(page.locator("#m-agreement-form")).to_be_hidden()
    expect(page.locator("#m-agreements")).to_contain_text("Harbour Estates")  # read, not written
    assert page.get_by_role("link", name="Support desk").is_hidden()
    assert accessibility_violations(page) == []
    screenshot(page, "money-operator.png")
