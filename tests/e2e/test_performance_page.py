"""The charger performance page in a real browser (Debian's Chromium, headless, Playwright) against `voltway serve`:
an operator sees the connector derating now, opens the charger, reads its baseline per state of charge against its
rating and its sessions' delivered versus expected power. The page passes axe-core without serious violations."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from api.db.engine import create_engine, create_session_factory
from api.db.migrate import upgrade
from api.domain.drivers.commands import add_user
from api.domain.operations.conditions import DEFAULT_RULES, StaticRuleBook
from api.domain.operations.performance import PerformanceMonitor
from tests.e2e.test_console import accessibility_violations, browser, page, screenshot, sign_in
from tests.integration.test_charger_performance import dc_charger, ended_session
from tests.support import cli_environment, free_port, make_settings, stop_process, wait_until_ready

__all__ = ["browser", "page"]  # the console tests' headless Chromium and tab

VOLTWAY = [sys.executable, "-m", "api"]
PASSWORD = "operations password"


class Served:
    def __init__(self, base: str) -> None:
        self.base = base


async def _history(database_url: str) -> None:
    """Two DC chargers: one that delivered 50 kW, then one capping at 20 kW three sessions in a row."""
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        factory = create_session_factory(engine)
        async with factory() as session:
            capped = await dc_charger(session, "PERF-DC-7")
            healthy = await dc_charger(session, "PERF-DC-8")
        monitor = PerformanceMonitor(factory, StaticRuleBook(DEFAULT_RULES))
        start = datetime.now(UTC) - timedelta(days=3)
        for n in range(3):
            await monitor.judge(
                await ended_session(factory, capped, [40, 50, 50, 50, 50], started=start + timedelta(hours=n))
            )
            await monitor.judge(await ended_session(factory, healthy, [50] * 5, started=start + timedelta(hours=n)))
        for n in range(3):
            later = start + timedelta(days=1, hours=n)
            await monitor.judge(await ended_session(factory, capped, [15, 20, 20, 20, 20], started=later, soc_from=30))
    finally:
        await engine.dispose()
    await add_user(
        make_settings(database_url=database_url), email="ops@example.com", password=PASSWORD, role="admin", name="Ops"
    )


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("performance")
    env = cli_environment(tmp)
    asyncio.run(_history(env["VOLTWAY_DATABASE_URL"]))
    port = free_port()
    log = (tmp / "serve.log").open("wb")
    process = subprocess.Popen([*VOLTWAY, "serve", "--port", str(port)], env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base)
        yield Served(base)
    finally:
        stop_process(process, 30)
        log.close()


def test_the_performance_page_is_a_shell_for_operations_staff(served: Served) -> None:
    answer = httpx.get(f"{served.base}/console/performance")
    assert answer.status_code == 200
    assert "unsafe-inline" not in answer.headers["content-security-policy"]
    assert httpx.get(f"{served.base}/v1/admin/derating").status_code == 401


def test_an_operator_finds_the_derating_charger_and_reads_its_baseline(page: Any, served: Served) -> None:
    sign_in(page, served.base, "ops@example.com", PASSWORD)
    page.wait_for_url("**/console/**")
    page.goto(f"{served.base}/console/performance")
    derating = page.locator("#p-derating table")
    derating.wait_for()
    rows = derating.locator("tbody tr")
    assert rows.count() == 1  # the healthy charger is not listed
    assert "PERF-DC-7" in rows.first.inner_text()
    assert "20.0 kW" in rows.first.inner_text()
    assert "50.0 kW" in rows.first.inner_text()

    rows.first.get_by_role("link", name="PERF-DC-7").click()
    detail = page.locator("#p-detail")
    detail.get_by_role("img", name="Baseline of connector 1 per state of charge").wait_for()
    assert "rated 50.0 kW DC" in detail.inner_text()
    assert "Derating" in detail.inner_text()
    sessions = detail.locator("table tbody tr")
    assert sessions.count() == 6
    assert sessions.filter(has_text="derating").count() == 3
    assert sessions.filter(has_text="normal").count() == 3
    screenshot(page, "performance.png")
    assert accessibility_violations(page) == []

    page.locator("#p-charger").fill("PERF-DC-8")
    page.get_by_role("button", name="Show").click()
    page.locator("#p-detail-title", has_text="PERF-DC-8").wait_for()
    assert "Derating" not in page.locator("#p-detail").inner_text()
