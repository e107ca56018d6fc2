"""The operations console's alerts page in a real browser (Debian's Chromium, headless, Playwright) against the app
served by uvicorn on the demo data: the demo operator sees the alerts of their own region only, most severe first,
a new alert appears live, and they acknowledge, read the history and resolve with a note. The page passes
axe-core without serious or critical violations; the screenshot is saved as alerts.png."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import Future
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import select

from api.app import create_app
from api.db.models import ChargingStation, Location, OperatorScope, Region, User
from api.domain.chargers.provisioning import add_charger
from api.domain.operations.conditions import ConditionReport
from tests.e2e.test_console import (
    DEMO_PASSWORD,
    VIEWPORT,
    VOLTWAY,
    accessibility_violations,
    browser,
    off_the_browser_loop,
    screenshot,
    sign_in,
    wait_for,
)
from tests.e2e.test_docs_page import chromium_or_skip
from tests.support import cli_environment, database_session, free_port, make_settings, wait_until_ready

__all__ = ["browser", "chromium_or_skip"]  # the module-wide headless Chromium of the console tests

OPERATOR = "operator@example.com"


class InProcess:
    """The app served by uvicorn on a loop of its own in a thread, so the test can report conditions to its alert
    engine (the live feed of that process) while Playwright holds the main thread."""

    def __init__(self, database_url: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.app = create_app(make_settings(database_url=database_url, public_url=self.base, ocpp_enabled=False))
        self.loop = asyncio.new_event_loop()
        self.server = uvicorn.Server(uvicorn.Config(self.app, port=self.port, log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(self.server.serve(),), daemon=True)

    def call(self, coroutine: Any) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        return future.result(timeout=30)

    def report(self, rule: str, charger: str, connector: int | None = None, **detail: str) -> None:
        condition = ConditionReport(rule, charger, connector, True, datetime.now(UTC), detail)
        self.call(self.app.state.alert_engine.report(condition))


async def _sites(database_url: str) -> tuple[str, str]:
    """A charger of the demo operator's region, and one made in another region."""
    async with database_session(database_url) as session:
        operator = (await session.execute(select(User.id).where(User.email == OPERATOR))).scalar_one()
        region_id = (
            await session.execute(select(OperatorScope.region_id).where(OperatorScope.user_id == operator))
        ).scalar_one()
        mine = (
            await session.execute(
                select(ChargingStation.ocpp_id)
                .join(Location, Location.id == ChargingStation.location_id)
                .where(Location.region_id == region_id)
                .order_by(ChargingStation.ocpp_id)
                .limit(1)
            )
        ).scalar_one()
        elsewhere = Region(id=uuid.uuid4(), name="Elsewhere")
        session.add(elsewhere)
        station, _ = await add_charger(
            session,
            ocpp_id="FAR-00001",
            password="a charger secret 123",
            country_code="NL",
            party_id="VWY",
            max_power_kw=Decimal(150),
            standard="IEC_62196_T2_COMBO",
        )
        await session.flush()
        location = await session.get(Location, station.location_id)
        assert location is not None
        location.region_id = elsewhere.id
        await session.commit()
        return mine, "FAR-00001"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[InProcess, str, str]]:
    tmp: Path = tmp_path_factory.mktemp("alerts-console")
    env = cli_environment(tmp)
    seeded = subprocess.run([*VOLTWAY, "seed", "demo"], env=env, capture_output=True, text=True, timeout=300)
    assert seeded.returncode == 0, seeded.stderr
    database_url = env["VOLTWAY_DATABASE_URL"]
    mine, far = off_the_browser_loop(_sites(database_url))
    server = InProcess(database_url)
    server.thread.start()
    try:
        wait_until_ready(server.base)
        yield server, mine, far
    finally:
        server.server.should_exit = True
        server.thread.join(timeout=30)
        with contextlib.suppress(RuntimeError):
            server.loop.close()


def test_an_operator_works_the_alerts_of_their_region(browser: Any, served: tuple[InProcess, str, str]) -> None:
    server, mine, far = served
    server.report("derating", mine, 1, measuredKw="19.8", expectedKw="50", soc="41")
    server.report("connector_faulted", mine, 1, errorCode="GroundFailure")
    server.report("security_event", mine, None, event="TamperDetectionActivated")
    server.report("connector_faulted", far, 1, errorCode="OverVoltage")

    context = browser.new_context(viewport=VIEWPORT)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    try:
        sign_in(tab, server.base, OPERATOR, DEMO_PASSWORD)
        tab.wait_for_url(lambda url: not url.rstrip("/").endswith("/console"))  # signed in
        tab.goto(f"{server.base}/console/alerts")
        rows = tab.locator("#alert-rows tr")
        wait_for(lambda: rows.count() == 3, "the three alerts of the operator's region")
        # most severe first; the other region's charger is not there
        assert rows.nth(0).locator("td").nth(1).inner_text().startswith("Security event")
        assert rows.nth(1).locator("td").nth(1).inner_text().startswith("Connector faulted")
        assert "GroundFailure" in rows.nth(1).inner_text()
        assert far not in tab.locator("#alert-rows").inner_text()
        assert "1 open" in tab.locator("#severity-counts").inner_text()

        # a new alert arrives on the live feed, without a reload
        server.report("charger_offline", mine, None, lastHeard="2 minutes ago")
        wait_for(lambda: rows.count() == 4, "the new alert on the live feed")

        faulted = tab.locator("#alert-rows tr", has_text="Connector faulted")
        faulted.get_by_role("button", name="Acknowledge").click()
        wait_for(lambda: "Acknowledged" in faulted.inner_text(), "the fault acknowledged")
        faulted.get_by_role("button", name="Assign to me").click()
        wait_for(lambda: "Olly" in faulted.inner_text(), "the fault assigned to the operator")
        faulted.get_by_role("button", name="Connector faulted").click()
        history = tab.locator("#detail-history")
        wait_for(lambda: "Acknowledged" in history.inner_text(), "the fault's history")
        assert "Opened" in history.inner_text()
        assert "Olly" in history.inner_text()
        assert tab.locator("#fatigue-rows tr").count() >= 2  # the rules that fired, and all rules
        screenshot(tab, "alerts.png")
        assert accessibility_violations(tab) == []

        faulted.get_by_role("button", name="Resolve").click()
        tab.get_by_label("Note (what was done)").fill("Reset the RCD on site")
        tab.locator("#confirm-dialog").get_by_role("button", name="Resolve").click()
        wait_for(lambda: tab.locator("#alert-rows tr", has_text="Connector faulted").count() == 0, "the fault resolved")
        tab.select_option("#f-state", "resolved")
        wait_for(lambda: tab.locator("#alert-rows tr").count() == 1, "the resolved alert listed")
        wait_for(lambda: "Reset the RCD on site" in tab.locator("#alert-detail").inner_text(), "the note")
    finally:
        screenshot(tab, "alerts-last.png")
        context.close()
    assert errors == []
