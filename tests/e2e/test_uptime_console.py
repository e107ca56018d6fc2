"""Uptime end to end: a simulated charger (a real websocket to `voltway serve`) goes offline and comes back, the
outage log records the interval from those events, and an operator reads it on /console/uptime in Debian's
Chromium (headless, Playwright): the report, the chart with the 97 % and 98 % lines, the log, and an exclusion
marked with its reason. The page passes axe-core without serious or critical violations."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from api.db.models import ChargingStation, Evse, PortOutage
from api.domain.uptime.rollup import reroll
from ocpp_bridge.simulator import SimulatorConfig
from tests.e2e.test_console import (
    DEMO_CHARGER_SECRET,
    VOLTWAY,
    RunningSimulation,
    Served,
    accessibility_violations,
    browser,
    off_the_browser_loop,
    page,
    screenshot,
    wait_for,
)
from tests.support import cli_environment, database_session, free_port, stop_process, wait_until_ready

__all__ = ["browser", "page"]  # the console tests' browser and tab, on this module's server
CHARGER = "SIM-00001"
OPERATOR = "operator@example.com"  # the demo's operator looks after the region of the first simulated charger


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The demo data (its operator, the SIM- chargers) served with the OCPP bridge."""
    tmp = tmp_path_factory.mktemp("uptime-console")
    env = cli_environment(tmp)
    seeded = subprocess.run([*VOLTWAY, "seed", "demo"], env=env, capture_output=True, text=True, timeout=300)
    assert seeded.returncode == 0, seeded.stderr
    port = free_port()
    log = (tmp / "serve.log").open("wb")
    process = subprocess.Popen([*VOLTWAY, "serve", "--port", str(port)], env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base)
        yield Served(base, env, "")
    finally:
        stop_process(process, 30)
        log.close()


def simulation(served: Served) -> RunningSimulation:
    return RunningSimulation(
        SimulatorConfig(
            url=f"ws://127.0.0.1:{served.env['VOLTWAY_OCPP_PORT']}/ocpp",
            chargers=1,
            id_prefix="SIM-",
            password=DEMO_CHARGER_SECRET,
            duration=None,
            arrival_rate=0.0,
            fault_rate=0.0,
            disconnect_rate=0.0,
        )
    )


def connected(served: Served, headers: dict[str, str]) -> bool:
    chargers = httpx.get(f"{served.base}/v1/admin/chargers", headers=headers).json()
    return any(c["ocppId"] == CHARGER and c["connected"] for c in chargers)


def outages(served: Served, headers: dict[str, str], **filters: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{served.base}/v1/admin/outages", params={"charger": CHARGER, **filters}, headers=headers)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


async def _history(database_url: str) -> None:
    """Earlier outages of two other chargers of the operator's region, so the page has something below the lines:
    SIM-00002 faulted for 30 hours (about 95.8 % over 30 days), SIM-00003 offline for 15 hours (about 97.9 %)."""
    now = datetime.now(UTC)
    async with database_session(database_url) as session:
        for charger, hours, cause, error in (
            ("SIM-00002", 30, "fault", "GroundFailure"),
            ("SIM-00003", 15, "offline", None),
        ):
            port = (
                await session.execute(
                    select(Evse.id, Evse.charging_station_id, Evse.location_id)
                    .join(ChargingStation, ChargingStation.id == Evse.charging_station_id)
                    .where(ChargingStation.ocpp_id == charger)
                )
            ).first()
            assert port is not None
            started = now - timedelta(days=10)
            session.add(
                PortOutage(
                    id=uuid.uuid4(),
                    evse_id=port[0],
                    charging_station_id=port[1],
                    location_id=port[2],
                    cause=cause,
                    error_code=error,
                    started_at=started,
                    ended_at=started + timedelta(hours=hours),
                )
            )
            await reroll(session, [Evse.id == port[0]], started)  # as the outage log's own writer does
        await session.commit()


def test_a_charger_offline_and_back_is_an_outage_an_operator_reads_and_excludes(page: Any, served: Served) -> None:
    operator = served.headers(OPERATOR)
    with simulation(served):
        wait_for(lambda: connected(served, operator), "the simulated charger to connect")
    # the simulation stopped: its websocket closed, the charger is offline
    wait_for(lambda: outages(served, operator, open="true"), "an open outage for the lost connection")
    (open_outage,) = outages(served, operator, open="true")
    assert (open_outage["cause"], open_outage["endedAt"]) == ("offline", None)
    with simulation(served):
        wait_for(lambda: connected(served, operator), "the charger to come back")
        wait_for(lambda: not outages(served, operator, open="true"), "the outage to close")
    (closed,) = [item for item in outages(served, operator) if item["id"] == open_outage["id"]]
    assert closed["endedAt"] is not None
    assert closed["endedAt"] >= closed["startedAt"]

    off_the_browser_loop(_history(served.env["VOLTWAY_DATABASE_URL"]))
    page.goto(f"{served.base}/console?next=/console/uptime")
    page.get_by_label("Email").fill(OPERATOR)
    page.get_by_label("Password").fill("voltway-demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/console/uptime**")
    page.get_by_label("Per", exact=True).select_option("charger")
    row = page.locator("#u-rows tr", has_text=CHARGER)
    row.wait_for()
    assert "%" in row.inner_text()
    chart = page.locator("#u-chart")
    chart.wait_for(state="visible")
    assert page.evaluate("() => document.getElementById('u-chart').naturalWidth") > 0
    log_row = page.locator("#u-log tr", has_text=CHARGER).first
    log_row.wait_for()
    assert "offline" in log_row.inner_text().lower()

    row.get_by_role("button", name="Exclude…").click()
    page.get_by_label("Reason category", exact=True).select_option("grid_outage")
    page.get_by_label("Why (kept for the audit)", exact=True).fill("Utility feeder trip reported by the grid operator")
    page.get_by_role("button", name="Mark exclusion").click()
    marked = page.locator("#u-exclusions tr", has_text="Utility feeder trip")
    marked.wait_for()
    assert CHARGER in marked.inner_text()
    assert accessibility_violations(page) == []
    page.locator("#u-summary-title").scroll_into_view_if_needed()
    screenshot(page, "uptime.png")
