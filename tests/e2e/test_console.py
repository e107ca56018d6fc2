"""The agent console in a real browser (Debian's Chromium, headless, driven by Playwright) against `voltway serve`
with its OCPP bridge, a simulated charger over a real websocket and localstripe for the card payments.

The acceptance scenario: a driver charges, the cable gets stuck, the driver tells the assistant and is handed over
to a person; an agent signs in to /console, takes the ticket from the queue, reads the transcript and the
diagnostics, unlocks the connector through the bridge (the simulated charger really unlocks), replies (the driver
gets it on the conversation's live feed), refunds part of the session (localstripe), solves the ticket, and the
driver rates it. Every page passes axe-core without serious or critical violations.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import select

from api.db.models import ChargingSession, ChargingStation, Evse
from ocpp_bridge.simulator import Simulation, SimulatorConfig
from tests.e2e.test_docs_page import CHROMIUM_ARGS, chromium_or_skip
from tests.integration.conftest import localstripe_url
from tests.integration.stripe_support import VISA, add_card, app_side_client, captured_on, stripe_environment
from tests.support import REPO_ROOT, cli_environment, database_session, free_port, stop_process, wait_until_ready

__all__ = ["localstripe_url"]  # the session-wide localstripe server of the integration tests

T = TypeVar("T")
VOLTWAY = [sys.executable, "-m", "api"]
DEMO_PASSWORD = "voltway-demo"
DEMO_CHARGER_SECRET = "voltway-demo-charger"
CHARGER = "SIM-00001"
ARTIFACTS = REPO_ROOT / "test-artifacts" / "console"
SERIOUS = {"serious", "critical"}
VIEWPORT = {"width": 1366, "height": 768}


class Served:
    def __init__(self, base: str, env: dict[str, str], stripe_base: str) -> None:
        self.base = base
        self.env = env
        self.stripe_base = stripe_base

    def headers(self, email: str) -> dict[str, str]:
        tokens = httpx.post(f"{self.base}/v1/auth/login", json={"email": email, "password": DEMO_PASSWORD}).json()
        return {"Authorization": f"Bearer {tokens['accessToken']}"}


class RunningSimulation:
    """Simulated chargers on their own event loop in a thread, talking to the server over websockets."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.simulation = Simulation(config)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(self.simulation.run(),))

    def __enter__(self) -> Simulation:
        self.thread.start()
        return self.simulation

    def __exit__(self, *_: object) -> None:
        self.loop.call_soon_threadsafe(self.simulation.request_stop)
        self.thread.join(timeout=30)
        self.loop.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, localstripe_url: str) -> Iterator[Served]:
    """The demo data (its driver, agent and admin accounts, SIM- chargers with tariffs) served with Stripe."""
    tmp = tmp_path_factory.mktemp("console")
    env = cli_environment(tmp, VOLTWAY_CATALOG_POLL_MS="200", **stripe_environment(localstripe_url))
    seeded = subprocess.run([*VOLTWAY, "seed", "demo"], env=env, capture_output=True, text=True, timeout=300)
    assert seeded.returncode == 0, seeded.stderr
    port = free_port()
    log = (tmp / "serve.log").open("wb")  # the server's log, for a failure's report
    process = subprocess.Popen([*VOLTWAY, "serve", "--port", str(port)], env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base)
        yield Served(base, env, localstripe_url)
    finally:
        stop_process(process, 30)
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module (Debian's, never a downloaded one)."""
    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # The browser runs on the real clock: preloaded libraries (libfaketime) stall it.
        environment: dict[str, str | float | bool] = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, env=environment)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any, served: Served, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh tab at laptop size that may reach only the app; page errors and CSP violations fail the test."""
    context = browser.new_context(viewport=VIEWPORT)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    tab.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}")
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )

    def local_only(route: Any) -> None:
        if route.request.url.startswith(served.base + "/"):
            route.continue_()
        else:
            problems.append(f"left the app: {route.request.url}")
            route.abort("internetdisconnected")

    tab.route("**/*", local_only)
    yield tab
    screenshot(tab, f"{request.node.name}-last.png")  # how the page looked at the end, for a failure's report
    context.close()
    assert problems == []


def accessibility_violations(tab: Any) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]

    results = Axe().run(tab)
    return [
        f"{violation['id']} ({violation['impact']}): {[node['target'] for node in violation['nodes']][:3]}"
        for violation in results.response["violations"]
        if violation["impact"] in SERIOUS
    ]


def sign_in(tab: Any, base: str, email: str, password: str = DEMO_PASSWORD) -> None:
    tab.goto(f"{base}/console")
    tab.get_by_label("Email").fill(email)
    tab.get_by_label("Password").fill(password)
    tab.get_by_role("button", name="Sign in").click()


def screenshot(tab: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    tab.screenshot(path=str(path), full_page=False)
    return path


def wait_for(condition: Callable[[], Any], what: str, seconds: float = 30.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def off_the_browser_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on a loop of its own: Playwright's synchronous API holds this thread's loop."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _evse_uid_of(database_url: str, charger: str) -> str:
    async with database_session(database_url) as session:
        statement = select(Evse.uid).join(ChargingStation, Evse.charging_station_id == ChargingStation.id)
        return str((await session.execute(statement.where(ChargingStation.ocpp_id == charger))).scalars().first())


async def _payment_reference(database_url: str, session_id: str) -> str:
    async with database_session(database_url) as session:
        record = await session.get(ChargingSession, uuid.UUID(session_id))
        assert record is not None
        assert record.payment_reference
        return record.payment_reference


class ConversationFeed:
    """The driver's live conversation feed (`GET /v1/chat/conversations/{id}/events`) read in a thread."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.events: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        self.stop = threading.Event()
        self.seen: list[str] = []
        self.failure: Exception | None = None
        self.thread = threading.Thread(target=self._read, args=(url, headers), daemon=True)

    def _read(self, url: str, headers: dict[str, str]) -> None:
        try:
            self._follow(url, headers)
        except Exception as error:  # reported by `next`
            self.failure = error

    def _follow(self, url: str, headers: dict[str, str]) -> None:
        with (
            httpx.Client(timeout=httpx.Timeout(5, read=None)) as client,
            client.stream("GET", url, headers=headers) as answer,
        ):
            kind, data = "message", []
            for line in answer.iter_lines():
                if self.stop.is_set():
                    return
                if line.startswith("event:"):
                    kind = line.split(":", 1)[1].strip()
                elif line.startswith("data:"):
                    data.append(line.split(":", 1)[1].removeprefix(" "))
                elif not line:  # the end of an event
                    if "".join(data).strip():
                        self.events.put((kind, json.loads("\n".join(data))))
                    kind, data = "message", []

    def __enter__(self) -> ConversationFeed:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()

    def next(self, kind: str, seconds: float = 30.0, where: Callable[[dict[str, Any]], bool] = bool) -> dict[str, Any]:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                got, data = self.events.get(timeout=left)
            except queue.Empty:
                break
            self.seen.append(got)
            if got == kind and where(data):
                return data
        pytest.fail(f"no {kind} event on the conversation feed (seen {self.seen}, failure {self.failure!r})")


# ----- the pages and their protection ---------------------------------------------------------------------------


def test_console_pages_are_shells_with_a_strict_policy(served: Served) -> None:
    for path in ["/console", "/console/queue", "/console/tickets/1", "/console/knowledge"]:
        answer = httpx.get(f"{served.base}{path}")
        assert answer.status_code == 200, path
        policy = answer.headers["content-security-policy"]
        assert "script-src 'self'" in policy
        assert "unsafe-inline" not in policy
        assert "unsafe-eval" not in policy
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert "<script>" not in answer.text  # every script is a file of the app
        assert not re.search(r"(src|href)=\"(https?:)?//", answer.text)  # nothing from elsewhere
    assert httpx.get(f"{served.base}/console/assets/shell.js").status_code == 200
    document = httpx.get(f"{served.base}/schema/openapi.json").json()
    assert not [path for path in document["paths"] if path.startswith("/console")]
    assert "/v1/support/knowledge" in document["paths"]


def test_a_driver_token_cannot_read_the_consoles_data(served: Served) -> None:
    driver = served.headers("driver@example.com")
    agent = served.headers("agent@example.com")
    for path in ["/v1/support/queue", "/v1/support/knowledge", "/v1/support/tickets/1"]:
        answer = httpx.get(f"{served.base}{path}", headers=driver)
        assert answer.status_code == 403, path
        assert answer.headers["content-type"] == "application/problem+json"
    assert httpx.get(f"{served.base}/v1/support/knowledge", headers=agent).status_code == 200
    assert httpx.get(f"{served.base}/v1/support/knowledge").status_code == 401


def test_sign_in_turns_drivers_away_and_explains_wrong_passwords(page: Any, served: Served) -> None:
    sign_in(page, served.base, "agent@example.com", "not the password")
    error = page.locator("#sign-in-error")
    error.wait_for()
    assert "wrong" in error.inner_text()
    assert accessibility_violations(page) == []

    sign_in(page, served.base, "driver@example.com")
    page.get_by_text("This console is for support staff").wait_for()
    assert page.evaluate("sessionStorage.length") == 0
    assert page.url.rstrip("/").endswith("/console")

    page.goto(f"{served.base}/console/queue")  # not signed in: back to the sign-in, coming back afterwards
    page.wait_for_url(re.compile(r"/console\?next="))
    sign_in_here = page.get_by_role("button", name="Sign in")
    page.get_by_label("Email").fill("agent@example.com")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    sign_in_here.click()
    page.wait_for_url(re.compile(r"/console/queue$"))
    page.locator("#who", has_text="Avery Agent (agent)").wait_for()

    # An access token about to expire is exchanged for a new pair before it does.
    first = page.evaluate("JSON.parse(sessionStorage.getItem('voltway.console.auth'))")
    page.evaluate(
        "() => { const a = JSON.parse(sessionStorage.getItem('voltway.console.auth'));"
        " a.expiresAt = Date.now() + 61000; sessionStorage.setItem('voltway.console.auth', JSON.stringify(a)); }"
    )
    page.reload()
    page.wait_for_function(
        "token => JSON.parse(sessionStorage.getItem('voltway.console.auth')).accessToken !== token",
        arg=first["accessToken"],
        timeout=20_000,
    )
    second = page.evaluate("JSON.parse(sessionStorage.getItem('voltway.console.auth'))")
    assert second["refreshToken"] != first["refreshToken"]

    # Signing out ends the sign-in at the API: its refresh token no longer works.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/console$"))
    assert page.evaluate("sessionStorage.length") == 0
    ended = httpx.post(f"{served.base}/v1/auth/refresh", json={"refreshToken": second["refreshToken"]})
    assert ended.status_code == 401


def test_knowledge_base_by_symptom_and_charger_make(page: Any, served: Served) -> None:
    from playwright.sync_api import expect

    sign_in(page, served.base, "agent@example.com")
    page.wait_for_url(re.compile(r"/console/queue"))
    page.get_by_role("link", name="Knowledge base").click()
    page.wait_for_url(re.compile(r"/console/knowledge"))
    page.get_by_text("ConnectorLockFailure").first.wait_for()
    page.get_by_label("Symptom", exact=True).select_option("cable_stuck")
    page.get_by_label("Charger make or model").fill("ABB")
    advice = page.locator("#k-advice")
    expect(advice).not_to_contain_text("Alfen")
    expect(advice).to_contain_text("ABB Terra")
    assert "UnlockConnector" in page.locator("#k-symptoms").inner_text()
    assert accessibility_violations(page) == []

    book = httpx.get(
        f"{served.base}/v1/support/knowledge",
        params={"symptom": "cable_stuck", "model": "alfen eve", "language": "de"},
        headers=served.headers("agent@example.com"),
    ).json()
    assert [code["code"] for code in book["errorCodes"]] == ["ConnectorLockFailure"]
    assert {advice["vendor"] for advice in book["vendorAdvice"]} == {"*", "alfen"}
    assert "Stecker" in book["errorCodes"][0]["meaning"]
    wrong = httpx.get(
        f"{served.base}/v1/support/knowledge",
        params={"symptom": "dancing"},
        headers=served.headers("agent@example.com"),
    )
    assert wrong.status_code == 422
    assert "cable_stuck" in wrong.json()["detail"]


def test_tickets_opened_by_hand_and_changed_in_bulk_from_the_queue(page: Any, served: Served) -> None:
    from playwright.sync_api import expect

    agent = served.headers("agent@example.com")
    opened = [
        httpx.post(f"{served.base}/v1/support/tickets", json=body, headers=agent).json()
        for body in (
            {
                "summary": "SIM-00007 shows offline since this morning",
                "priority": "normal",
                "category": "charger_offline",
            },
            {"summary": "Question about an invoice from last month", "priority": "low", "category": "billing_dispute"},
        )
    ]
    sign_in(page, served.base, "agent@example.com")
    page.wait_for_url(re.compile(r"/console/queue"))

    # A ticket opened by hand, e.g. for a driver who phoned.
    page.get_by_role("button", name="New ticket").click()
    dialog = page.get_by_role("dialog", name="New ticket")
    dialog.get_by_label("Summary").fill("Driver phoned: the display of SIM-00009 is dark")
    dialog.get_by_label("Priority").select_option("high")
    dialog.get_by_label("Category").fill("charger display")
    dialog.get_by_label("Charger (OCPP id, optional)").fill("SIM-00009")
    assert accessibility_violations(page) == []
    dialog.get_by_role("button", name="Open ticket").click()
    dialog.get_by_role("alert").filter(has_text="The category is lower-case words").wait_for()
    dialog.get_by_label("Category").fill("charger_display")
    dialog.get_by_role("button", name="Open ticket").click()
    page.wait_for_url(re.compile(r"/console/tickets/\d+"))
    page.locator("#t-summary", has_text="display of SIM-00009").wait_for()
    page.locator("#t-priority", has_text="High").wait_for()
    page.get_by_role("link", name="← Queue").click()
    page.wait_for_url(re.compile(r"/console/queue"))

    for ticket in opened:
        page.get_by_label(f"Select {ticket['number']}").check()
    page.locator("#bulk-count", has_text="2 selected").wait_for()
    page.get_by_label("New status for the selected tickets").select_option("pending")
    page.get_by_role("button", name="Apply status").click()
    page.locator(".toast-success", has_text="2 updated").wait_for()
    for ticket in opened:
        page.locator("#queue-rows tr", has_text=ticket["number"]).get_by_text("Pending").wait_for()
        shown = httpx.get(f"{served.base}/v1/support/tickets/{ticket['id']}", headers=agent).json()
        assert shown["status"] == "pending"
    page.get_by_label("Status", exact=True).select_option("pending")  # the filter follows the URL
    page.wait_for_url(re.compile(r"status=pending"))
    expect(page.locator("#queue-rows tr")).to_have_count(2)


# ----- the acceptance scenario ----------------------------------------------------------------------------------


def test_an_agent_takes_a_stuck_cable_from_the_queue_to_a_rated_solution(page: Any, served: Served) -> None:
    base = served.base
    config = SimulatorConfig(
        url=f"ws://127.0.0.1:{served.env['VOLTWAY_OCPP_PORT']}/ocpp",
        chargers=1,
        id_prefix="SIM-",
        password=DEMO_CHARGER_SECRET,
        duration=None,
        arrival_rate=0.0,
        fault_rate=0.0,
        disconnect_rate=0.0,
        speed=600.0,  # ten simulated minutes per second: a meter value every second, euros within seconds
        meter_interval=600.0,
    )
    with RunningSimulation(config) as simulation:
        admin = served.headers("admin@example.com")

        def connected() -> bool:
            chargers = httpx.get(f"{base}/v1/admin/chargers", headers=admin).json()
            return any(c["ocppId"] == CHARGER and c["connected"] for c in chargers)

        wait_for(connected, "the simulated charger to connect")

        # The driver pays by card and charges; the session ends and is paid, but the cable stays stuck.
        driver = served.headers("driver@example.com")
        off_the_browser_loop(_add_card(base, driver, served.stripe_base))
        evse = off_the_browser_loop(_evse_uid_of(served.env["VOLTWAY_DATABASE_URL"], CHARGER))
        started = httpx.post(
            f"{base}/v1/sessions", json={"evseUid": evse}, headers={"Idempotency-Key": str(uuid.uuid4()), **driver}
        )
        assert started.status_code == 202, started.text
        session_id = started.json()["id"]

        def session() -> dict[str, Any]:
            return dict(httpx.get(f"{base}/v1/sessions/{session_id}", headers=driver).json())

        wait_for(
            lambda: Decimal((session()["cost"] or {}).get("amount", "0")) > Decimal("2.00"), "a few euros of energy"
        )
        assert httpx.post(f"{base}/v1/sessions/{session_id}/stop", headers=driver).status_code < 300
        wait_for(lambda: session()["payment"]["status"] == "captured", "the payment to be captured", 60)
        captured = Decimal(session()["payment"]["captured"])
        assert captured > Decimal("1.00")
        reference = off_the_browser_loop(_payment_reference(served.env["VOLTWAY_DATABASE_URL"], session_id))
        before_refund = captured_on(app_side_client(served.stripe_base), reference)

        # The driver tells the assistant and asks for a person: a ticket with the transcript.
        conversation = httpx.post(f"{base}/v1/chat/conversations", json={}, headers=driver).json()
        chat = f"{base}/v1/chat/conversations/{conversation['id']}"
        first = httpx.post(f"{chat}/messages", json={"text": "my cable is stuck and won't come out"}, headers=driver)
        assert first.json()["intent"] == "cable_stuck"
        handed = httpx.post(f"{chat}/messages", json={"text": "I want to talk to a person"}, headers=driver).json()
        number = handed.get("ticketId") or pytest.fail(str(handed))
        assert number.startswith("T-")
        assert simulation.report.unlocks == 0

        with ConversationFeed(f"{chat}/events", driver) as feed:
            # The agent signs in and finds the ticket at the top of the queue, live.
            sign_in(page, base, "agent@example.com")
            page.wait_for_url(re.compile(r"/console/queue"))
            row = page.locator("#queue-rows tr", has_text=number)
            row.wait_for()
            page.locator("#live-status[data-state='live']").wait_for()
            assert accessibility_violations(page) == []
            screenshot(page, "queue.png")

            # Keyboard: j/k to the ticket, c claims it, Enter opens it.
            position = [text.strip() for text in page.locator("#queue-rows tr th").all_inner_texts()].index(number)
            page.locator("body").press("k")
            for _ in range(position):
                page.keyboard.press("j")
            page.keyboard.press("c")
            row.get_by_text("Agent", exact=False).wait_for()
            page.keyboard.press("Enter")
            page.wait_for_url(re.compile(r"/console/tickets/\d+"))

            # Transcript, diagnostics: the charger is connected, the session and its meter curve are there.
            page.locator("#t-number", has_text=number).wait_for()
            assert "cable is stuck" in page.locator("#transcript").inner_text()
            page.get_by_text("What the assistant saw at the hand-over").click()
            page.locator("#snapshot", has_text="Reason").wait_for()
            page.locator("#charger-status", has_text=CHARGER).wait_for()
            assert "Connected" in page.locator("#charger-status").inner_text()
            page.locator("#session-status svg.meter-chart").wait_for()

            # Unlock through the bridge: the simulated charger really unlocks.
            page.locator("#actions [data-action='unlock_connector']").click()
            page.get_by_role("dialog").get_by_role("button", name=re.compile("Unlock", re.I)).click()
            page.locator(".toast-success", has_text=re.compile("Unlocked", re.I)).wait_for(timeout=30_000)
            wait_for(lambda: simulation.report.unlocks == 1, "the simulated charger to unlock")
            page.get_by_role("button", name="Refresh").click()
            journal = page.locator("#diagnostics details.journal")
            journal.locator("summary").click()
            journal.get_by_text("UnlockConnector").first.wait_for()
            assert accessibility_violations(page) == []
            journal.screenshot(path=str(ARTIFACTS / "journal.png"))
            journal.locator("summary").click()  # folded again

            # A public reply reaches the driver's conversation at once; an internal note stays internal.
            page.keyboard.press("r")
            page.get_by_role("textbox", name="Reply to the driver").fill(
                "The connector is unlocked, you can take the cable now."
            )
            page.get_by_role("button", name="Send reply").click()
            page.locator(".toast-success", has_text="Reply sent").wait_for()
            reply = feed.next("agent_reply")
            assert "connector is unlocked" in reply["text"]
            page.get_by_role("radio", name="Internal note").check()
            page.get_by_role("textbox", name="Internal note (never shown to the driver)").fill(
                "Lock fault on SIM-00001, watch it."
            )
            page.get_by_role("button", name="Add note").click()
            page.locator(".message-internal", has_text="Lock fault").wait_for()

            # A partial refund through localstripe, confirmed first.
            page.get_by_label("Amount", exact=True).fill("1.00")
            page.get_by_label("Reason", exact=True).select_option("charger_fault")
            page.get_by_label("Comment", exact=True).fill("Cable stuck after charging")
            page.get_by_role("button", name="Refund", exact=True).click()
            page.get_by_role("dialog").get_by_role("button", name="Refund").click()
            page.locator(".toast-success", has_text="Refund of").wait_for(timeout=30_000)
            assert captured_on(app_side_client(served.stripe_base), reference) == before_refund - 100
            page.locator("#session-status tr", has_text="Refunded").wait_for()
            page.locator("#refunds", has_text="charger fault").wait_for()
            assert accessibility_violations(page) == []

            # Solved: the driver is told, and rates the help.
            page.get_by_label("Status", exact=True).select_option("solved")
            page.get_by_role("button", name="Change status").click()
            page.locator("#t-status", has_text="Solved").wait_for()
            solved = feed.next("ticket_status", where=lambda event: event["status"] == "solved")
            assert solved["number"] == number
            survey = feed.next("survey")
            assert survey["scale"] == [1, 2, 3, 4, 5]

        mine = httpx.get(f"{base}/v1/me/tickets", headers=driver).json()
        [ticket] = [item for item in mine if item["number"] == number]
        assert all("Lock fault" not in message["text"] for message in ticket["messages"])
        rated = httpx.post(
            f"{base}/v1/me/tickets/{ticket['id']}/rating", json={"score": 5, "comment": "Quick!"}, headers=driver
        )
        assert rated.status_code < 300, rated.text
        page.locator("#t-rating", has_text="5 / 5").wait_for()
        page.evaluate("document.querySelectorAll('.toast').forEach(toast => toast.remove())")
        page.get_by_text("What the assistant saw at the hand-over").click()  # folded again
        screenshot(page, "ticket.png")
        # docs/console-ticket.png in the README is a copy of the whole page
        page.screenshot(path=str(ARTIFACTS / "ticket-full.png"), full_page=True)


async def _add_card(base: str, headers: dict[str, str], stripe_base: str) -> None:
    async with httpx.AsyncClient(timeout=15) as client:
        await add_card(client, base, headers, stripe_base, VISA)
