"""The operations console's maintenance page in a real browser (Debian's Chromium, headless, driven by Playwright)
against `voltway serve`: an admin opens a work order with a checklist, starts it (the charger goes out of service),
ticks the checklist, completes it with closing notes, and reads the preventive schedules per site with their next
due dates; an overdue work order is listed as overdue. The page passes axe-core without serious violations."""

from __future__ import annotations

import asyncio
import concurrent.futures
import subprocess
import sys
from collections.abc import Coroutine, Iterator
from datetime import timedelta
from typing import Any, TypeVar

import httpx
import pytest

from api.db.engine import create_engine
from api.db.migrate import upgrade
from api.db.types import utc_now
from api.domain.chargers.provisioning import add_charger
from api.domain.drivers.commands import add_user
from tests.e2e.test_console import VIEWPORT, accessibility_violations, screenshot, sign_in
from tests.e2e.test_docs_page import CHROMIUM_ARGS, chromium_or_skip
from tests.support import cli_environment, database_session, free_port, make_settings, stop_process, wait_until_ready

T = TypeVar("T")
EMAIL = "ops-admin@example.com"
PASSWORD = "long enough password"


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """On a loop of its own, whatever loop the test thread holds."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _prepare(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    await add_user(make_settings(database_url=database_url), email=EMAIL, password=PASSWORD, role="admin", name="Mia")
    async with database_session(database_url) as session:
        first, _ = await add_charger(
            session,
            ocpp_id="DEPOT-01",
            password="charger secret 123",
            country_code="NL",
            party_id="VWY",
            coordinates=(52.09, 5.12),
            name="Utrecht depot",
        )
        await session.flush()
        await add_charger(
            session,
            ocpp_id="DEPOT-02",
            password="charger secret 123",
            country_code="NL",
            party_id="VWY",
            location_id=first.location_id,
        )
        await add_charger(
            session,
            ocpp_id="HARBOUR-01",
            password="charger secret 123",
            country_code="NL",
            party_id="VWY",
            coordinates=(51.92, 4.48),
            name="Rotterdam harbour",
        )
        await session.commit()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """`voltway serve` without the bridge, with an admin, two sites, schedules and work orders made through the API."""
    tmp = tmp_path_factory.mktemp("maintenance-console")
    env = cli_environment(tmp)
    _run(_prepare(env["VOLTWAY_DATABASE_URL"]))
    port = free_port()
    log = (tmp / "serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "api", "serve", "--port", str(port), "--no-ocpp"], env=env, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base)
        tokens = httpx.post(f"{base}/v1/auth/login", json={"email": EMAIL, "password": PASSWORD}).json()
        headers = {"Authorization": f"Bearer {tokens['accessToken']}"}
        today = utc_now().date()
        for body in (
            {
                "chargerId": "DEPOT-01",
                "name": "Quarterly inspection",
                "rule": "quarterly",
                "startsOn": str(today + timedelta(days=20)),
            },
            {
                "chargerId": "DEPOT-01",
                "name": "Annual electrical test",
                "rule": "yearly",
                "startsOn": str(today + timedelta(days=90)),
            },
            {
                "chargerId": "HARBOUR-01",
                "name": "Clean the cable holsters",
                "every": 6,
                "unit": "days",
                "startsOn": str(today + timedelta(days=3)),
            },
        ):
            assert httpx.post(f"{base}/v1/admin/maintenance/schedules", json=body, headers=headers).status_code == 201
        for body in (
            {"title": "Display flickers", "chargerId": "HARBOUR-01", "dueOn": str(today - timedelta(days=2))},
            {"title": "Replace the cable", "chargerId": "DEPOT-02", "dueOn": str(today + timedelta(days=4))},
        ):
            assert httpx.post(f"{base}/v1/admin/work-orders", json=body, headers=headers).status_code == 201
        yield base, headers
    finally:
        stop_process(process, 30)
        log.close()


@pytest.fixture
def tab(served: tuple[str, dict[str, str]]) -> Iterator[Any]:
    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    base = served[0]
    with sync_playwright() as playwright:
        browser: Any = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base) else route.abort())
        try:
            yield page
        finally:
            screenshot(page, "maintenance-last.png")
            browser.close()
        assert errors == []


def test_an_operator_runs_a_work_order_from_opening_to_closing(tab: Any, served: tuple[str, dict[str, str]]) -> None:
    from playwright.sync_api import expect

    base, headers = served
    sign_in(tab, base, EMAIL, PASSWORD)
    tab.wait_for_url("**/console/**")
    tab.goto(f"{base}/console/maintenance")
    expect(tab.get_by_role("heading", name="Maintenance", exact=True)).to_be_visible()
    rows = tab.locator("#wo-rows tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Display flickers")  # overdue first
    expect(rows.first).to_contain_text("overdue")
    tab.get_by_role("tab", name="Overdue").click()
    expect(rows).to_have_count(1)
    tab.get_by_role("tab", name="Open").click()
    expect(rows).to_have_count(2)

    # schedules per site, with the next due date
    schedules = tab.locator("#schedules")
    expect(schedules.get_by_role("heading", name="Utrecht depot")).to_be_visible()
    expect(schedules).to_contain_text("Quarterly inspection")
    expect(schedules).to_contain_text("quarterly")
    expect(schedules).to_contain_text("every 6 days")

    # a new work order that takes the charger out of service, with a checklist
    tab.get_by_role("button", name="New work order").click()
    form = tab.locator("#wo-dialog")
    form.get_by_label("Title").fill("Replace the RFID reader")
    form.get_by_label("Charger (OCPP id)").fill("DEPOT-01")
    form.get_by_label("Checklist (one item a line)").fill("Isolate the supply\nFit the new reader\nTest a card")
    form.get_by_label("Takes the charger out of service while worked on").check()
    form.get_by_label("What drivers read meanwhile (optional)").fill("RFID reader replacement")
    form.get_by_role("button", name="Open work order").click()
    detail = tab.locator("#detail")
    expect(detail.get_by_role("heading", name="Replace the RFID reader")).to_be_visible()

    detail.get_by_role("button", name="Start work").click()
    expect(detail).to_contain_text("Out of service: RFID reader replacement")
    station = httpx.get(f"{base}/v1/admin/work-orders", params={"view": "open"}, headers=headers).json()
    assert any(order["outOfService"] for order in station)

    for item in ("Isolate the supply", "Fit the new reader"):
        detail.get_by_label(item).check()
        expect(detail.locator("li", has_text=item)).to_contain_text("you,")  # who ticked it, and when
    detail.get_by_label("Closing notes").fill("Reader swapped, card test passed")
    detail.get_by_role("button", name="Complete").click()
    expect(tab.locator(".toast-error")).to_contain_text("Test a card")  # every item must be ticked first
    detail.get_by_label("Test a card").check()
    expect(detail.locator("li", has_text="Test a card")).to_contain_text("you,")
    detail.get_by_label("Add a comment").fill("Old reader kept for the supplier")
    detail.get_by_role("button", name="Comment", exact=True).click()
    expect(detail).to_contain_text("Old reader kept for the supplier")
    assert accessibility_violations(tab) == []
    expect(tab.locator(".toast")).to_have_count(0, timeout=20_000)  # the toasts so far gone by themselves
    screenshot(tab, "maintenance.png")

    detail.get_by_label("Closing notes").fill("Reader swapped, card test passed")
    detail.get_by_role("button", name="Complete").click()
    expect(detail).to_contain_text("Reader swapped, card test passed")
    expect(detail.get_by_role("button", name="Start work")).to_have_count(0)
    tab.get_by_role("tab", name="Closed").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Replace the RFID reader")
