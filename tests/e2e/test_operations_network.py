"""The operations console's network page in a real browser (Debian's Chromium, headless, driven by Playwright)
against `voltway serve` with its OCPP bridge and a simulated charger over a real websocket.

The scenario: an operator of one region signs in, sees the chargers of their region's site (and no other site),
watches a charger come online and its EVSE turn available without reloading the page, and soft-resets it after
confirming. The page passes axe-core without serious or critical violations; `network.png` shows it.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from api.db.models import ChargingStation, Location, User
from api.db.models.organisation import OperatorScope, Region
from ocpp_bridge.simulator import SimulatorConfig
from tests.e2e.test_console import (
    DEMO_PASSWORD,
    VIEWPORT,
    VOLTWAY,
    RunningSimulation,
    accessibility_violations,
    browser,
    off_the_browser_loop,
    screenshot,
    wait_for,
)
from tests.support import cli_environment, database_session, free_port, stop_process, wait_until_ready

__all__ = ["browser"]  # the module's headless Chromium, shared with the agent console's tests

CHARGER = "SIM-00001"
DEMO_CHARGER_SECRET = "voltway-demo-charger"
OPERATOR = "olga.operator@example.com"


class Network:
    def __init__(self, base: str, ocpp_url: str, location_name: str, other_location: str) -> None:
        self.base = base
        self.ocpp_url = ocpp_url
        self.location_name = location_name
        self.other_location = other_location


async def _organise(database_url: str) -> tuple[str, str]:
    """A region with SIM-00001's location, the operator scoped to it: (its location's name, another's name)."""
    async with database_session(database_url) as session:
        location_id = (
            await session.execute(select(ChargingStation.location_id).where(ChargingStation.ocpp_id == CHARGER))
        ).scalar_one()
        ours = await session.get(Location, location_id)
        other = (
            (
                await session.execute(
                    select(Location)
                    .join(ChargingStation, ChargingStation.location_id == Location.id)
                    .where(Location.id != location_id)
                )
            )
            .scalars()
            .first()
        )
        assert ours is not None
        assert other is not None
        region = Region(id=uuid.uuid4(), name="Randstad North")
        session.add(region)
        await session.flush()
        ours.region_id = region.id
        operator = (await session.execute(select(User.id).where(User.email == OPERATOR))).scalar_one()
        session.add(OperatorScope(user_id=operator, region_id=region.id))
        await session.commit()
        return ours.name or ours.address, other.name or other.address


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Network]:
    """The demo data served with its bridge; no charger connected yet."""
    tmp = tmp_path_factory.mktemp("network-console")
    env = cli_environment(tmp, VOLTWAY_CATALOG_POLL_MS="200")
    seeded = subprocess.run([*VOLTWAY, "seed", "demo"], env=env, capture_output=True, text=True, timeout=300)
    assert seeded.returncode == 0, seeded.stderr
    added = subprocess.run(
        [*VOLTWAY, "users", "add", OPERATOR, "--role", "operator", "--password", DEMO_PASSWORD, "--name", "Olga"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert added.returncode == 0, added.stderr
    port = free_port()
    log = (tmp / "serve.log").open("wb")
    process = subprocess.Popen([*VOLTWAY, "serve", "--port", str(port)], env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base)
        location_name, other_location = off_the_browser_loop(_organise(env["VOLTWAY_DATABASE_URL"]))
        yield Network(base, f"ws://127.0.0.1:{env['VOLTWAY_OCPP_PORT']}/ocpp", location_name, other_location)
    finally:
        stop_process(process, 30)
        log.close()


@pytest.fixture
def page(browser: Any, network: Network) -> Iterator[Any]:
    context = browser.new_context(viewport=VIEWPORT)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))

    def local_only(route: Any) -> None:
        if route.request.url.startswith(network.base + "/"):
            route.continue_()
        else:
            problems.append(f"left the app: {route.request.url}")
            route.abort("internetdisconnected")

    tab.route("**/*", local_only)
    yield tab
    context.close()
    assert problems == []


def _charger_status(tab: Any) -> str:
    body = tab.locator(f'tbody[data-charger="{CHARGER}"]')
    if body.count() == 0:
        return ""
    return str(body.locator("tr.charger-row .badge").inner_text()).strip().lower()


def test_an_operator_watches_their_sites_live_and_resets_a_charger(page: Any, network: Network) -> None:
    network_reads: list[str] = []
    # whole reads of the view (a charger that booted has its model read alone, with `q`)
    page.on(
        "request",
        lambda r: network_reads.append(r.url) if "/v1/admin/network?" in r.url and "q=" not in r.url else None,
    )
    page.goto(f"{network.base}/console?next=/console/network")
    page.get_by_label("Email").fill(OPERATOR)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/console/network")
    page.get_by_role("heading", name="Network", level=1).wait_for()
    wait_for(lambda: _charger_status(page) == "offline", f"{CHARGER} shown offline")
    groups = page.locator("#network-groups")
    assert groups.locator("summary", has_text=network.location_name).is_visible()
    assert page.get_by_text(network.other_location).count() == 0  # another region's site is nowhere, not even a choice
    wait_for(lambda: page.locator("#live-status").get_attribute("data-state") == "live", "the live feed connected")
    reads_before = len(network_reads)

    config = SimulatorConfig(
        url=network.ocpp_url,
        chargers=1,
        password=DEMO_CHARGER_SECRET,
        duration=None,
        speed=1.0,
        arrival_rate=0.0,
        fault_rate=0.0,
        disconnect_rate=0.0,
    )
    with RunningSimulation(config):
        wait_for(lambda: _charger_status(page) == "available", f"{CHARGER} online and available, live")
        assert len(network_reads) == reads_before  # it arrived over the feed: the page did not read the view again
        row = page.locator(f'tbody[data-charger="{CHARGER}"] tr.charger-row')
        assert "Online" in row.inner_text()
        wait_for(lambda: "SimCharger" in row.inner_text(), "the model it booted with")
        assert "% online" in page.locator("#network-summary").inner_text()
        assert accessibility_violations(page) == []
        screenshot(page, "network.png")

        page.get_by_role("button", name=f"Faults, journal and commands of {CHARGER}").click()
        dialog = page.locator("#charger-dialog")
        dialog.get_by_text("No faults logged.").or_(dialog.locator("table")).first.wait_for()
        dialog.get_by_role("button", name="Soft reset").click()
        page.locator("#confirm-dialog").get_by_role("button", name="Soft reset").click()
        page.get_by_text(f"{CHARGER}: Soft reset answered Accepted.").wait_for()
        assert accessibility_violations(page) == []
        screenshot(page, "network-charger.png")
