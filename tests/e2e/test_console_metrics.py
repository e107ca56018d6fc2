"""The operations console's metrics page in a real browser (Debian's Chromium, headless, Playwright) against
`voltway serve` on the demo data with a month of finished sessions counted by `voltway metrics rebuild`.

The demo operator signs in, opens Metrics, reads the key figures, the heatmap and the charger table of their own
region only, with the NEVI uptime (a charger three days out is marked below 97 %), narrows the period, and downloads
the chargers CSV. The page passes axe-core without serious or critical violations; the screenshot is saved as
`metrics.png` among the console artifacts.
"""

from __future__ import annotations

import random
import subprocess
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from api.db.models import ChargingSession, ChargingStation, Evse, Location, PortOutage
from api.db.types import utc_now
from tests.e2e.test_console import (
    VOLTWAY,
    Served,
    accessibility_violations,
    browser,
    off_the_browser_loop,
    page,
    screenshot,
    sign_in,
    wait_for,
)
from tests.support import cli_environment, database_session, free_port, stop_process, wait_until_ready

__all__ = ["browser", "page"]  # the browser and tab fixtures of the agent console's tests

OPERATOR = "operator@example.com"
ADMIN = "admin@example.com"
OUT_CHARGER = "SIM-00001"  # in the demo operator's region


async def _history(database_url: str) -> int:
    """Sixty finished sessions a day apart on the demo's simulated chargers, at hours drivers charge."""
    rng = random.Random(6)
    now = utc_now().replace(microsecond=0)
    async with database_session(database_url) as session:
        chargers = (
            await session.execute(
                select(ChargingStation.id, ChargingStation.location_id, Location.time_zone, Evse.id)
                .join(Location, Location.id == ChargingStation.location_id)
                .join(Evse, Evse.charging_station_id == ChargingStation.id)
                .where(ChargingStation.ocpp_id.like("SIM-%"))
                .order_by(ChargingStation.ocpp_id)
            )
        ).all()
        for n in range(60):
            station_id, location_id, zone, evse_id = chargers[n % len(chargers)]
            start = now - timedelta(days=1 + n % 28, hours=rng.choice([2, 5, 8, 9, 10, 14]), minutes=rng.randint(0, 59))
            minutes = rng.randint(20, 90)
            kwh = round(rng.uniform(5, 45), 3)
            session.add(
                ChargingSession(
                    id=uuid.uuid4(),
                    source="app",
                    location_id=location_id,
                    evse_id=evse_id,
                    charging_station_id=station_id,
                    connector_id=1,
                    id_token=f"DRIVER-{n % 17}",
                    status="completed",
                    time_zone=zone,
                    currency="EUR",
                    amount_due=str(round(kwh * 0.45, 2)),
                    amount_due_minor=round(kwh * 45),
                    cdr={"total_energy": str(kwh)},
                    created_at=start,
                    started_at=start,
                    ended_at=start + timedelta(minutes=minutes),
                    billed_at=start + timedelta(minutes=minutes),
                    updated_at=start + timedelta(minutes=minutes),
                )
            )
        await session.commit()
    return 60


async def _outage(database_url: str) -> None:
    """The operator's first simulated charger (one port) out for three days of the last thirty."""
    now = utc_now().replace(microsecond=0)
    async with database_session(database_url) as session:
        evse_id, station_id, location_id = (
            await session.execute(
                select(Evse.id, ChargingStation.id, ChargingStation.location_id)
                .join(Evse, Evse.charging_station_id == ChargingStation.id)
                .where(ChargingStation.ocpp_id == OUT_CHARGER)
            )
        ).one()
        session.add(
            PortOutage(
                evse_id=evse_id,
                charging_station_id=station_id,
                location_id=location_id,
                cause="fault",
                started_at=now - timedelta(days=5),
                ended_at=now - timedelta(days=2),
            )
        )
        await session.commit()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The demo data with a month of sessions, its rollups rebuilt from them, served."""
    tmp = tmp_path_factory.mktemp("metrics-console")
    env = cli_environment(tmp)
    seeded = subprocess.run([*VOLTWAY, "seed", "demo"], env=env, capture_output=True, text=True, timeout=300)
    assert seeded.returncode == 0, seeded.stderr
    off_the_browser_loop(_history(env["VOLTWAY_DATABASE_URL"]))
    off_the_browser_loop(_outage(env["VOLTWAY_DATABASE_URL"]))
    rebuilt = subprocess.run([*VOLTWAY, "metrics", "rebuild"], env=env, capture_output=True, text=True, timeout=300)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "rebuilt from 60 finished sessions" in rebuilt.stdout
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


def test_an_operator_reads_the_metrics_of_their_region(page: Any, served: Served, tmp_path: Path) -> None:
    tab = page
    sign_in(tab, served.base, OPERATOR)
    tab.wait_for_url(lambda url: "/console/" in url and not url.rstrip("/").endswith("/console"))
    tab.goto(f"{served.base}/console/metrics")
    tab.wait_for_selector("body[data-loaded='true']")
    current = tab.get_by_role("navigation", name="Console").locator("[aria-current='page']")
    assert current.inner_text() == "Metrics"

    figures = tab.locator("#key-figures")
    sessions_figure = figures.locator("div").filter(has=tab.locator("dt", has_text="Sessions")).locator("dd")

    def shown_sessions() -> int:
        return int(sessions_figure.inner_text().split()[0].replace(",", "").replace("\u202f", ""))

    sessions = shown_sessions()
    assert sessions > 0
    # the operator's own region only: fewer chargers than the whole network the admin sees
    everything = httpx.get(f"{served.base}/v1/admin/metrics", headers=served.headers(ADMIN)).json()
    assert everything["totals"]["sessions"] == 60
    mine = httpx.get(f"{served.base}/v1/admin/metrics", headers=served.headers(OPERATOR)).json()
    assert mine["chargersCount"] < everything["chargersCount"]
    assert f"{mine['chargersCount']} chargers" in sessions_figure.inner_text()
    assert sessions == mine["totals"]["sessions"]
    assert "kWh" in figures.inner_text()
    assert "%" in figures.inner_text()
    assert tab.locator("#heatmap svg rect").count() == 7 * 24
    assert tab.locator("#heatmap svg rect[fill^='rgb']").count() > 0  # busy hours are coloured
    rows = tab.locator("#charger-rows tr")
    assert rows.count() >= 1
    assert all(text.startswith("SIM-") for text in tab.locator("#charger-rows td.mono").all_inner_texts())

    # uptime: the operator's figure as the API gives it, and the charger three days out marked under the NEVI line
    uptime_figure = figures.locator("div").filter(has=tab.locator("dt", has_text="Uptime")).locator("dd")
    assert abs(float(uptime_figure.inner_text().split()[0]) - mine["totals"]["uptimePercent"]) < 0.05
    assert "1 port below 97 %" in uptime_figure.inner_text()  # the operator's sites: only that one is out
    out_row = rows.filter(has=tab.locator("td.mono", has_text=OUT_CHARGER))
    assert out_row.locator(".below-nevi").count() == 1
    assert "below 97 %" in out_row.inner_text()
    assert tab.locator("#location-rows tr").count() == len(mine["locations"][:50])
    assert accessibility_violations(tab) == []
    screenshot(tab, "metrics.png")

    # a shorter period: fewer sessions, and the address keeps the filters for a reload or a link
    week_ago = (utc_now().date() - timedelta(days=6)).isoformat()
    tab.locator("#f-from").fill(week_ago)
    tab.get_by_role("button", name="Show").click()
    wait_for(lambda: f"from={week_ago}" in tab.url, "the filters in the address")
    wait_for(lambda: shown_sessions() < sessions, "the week's figures")

    with tab.expect_download() as download:
        tab.get_by_role("button", name="Chargers").click()
    saved = tmp_path / "chargers.csv"
    download.value.save_as(saved)
    lines = saved.read_text().splitlines()
    assert lines[0].startswith("charger_id,model,location_id,location,ports,sessions")
    assert all(line.startswith("SIM-") for line in lines[1:])
