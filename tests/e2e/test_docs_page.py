"""The interactive documentation at /schema works on a machine without internet: a real browser, offline."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import cli_environment, free_port, stop_process, wait_until_ready

CHROMIUM = os.environ.get("VOLTWAY_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "options", "head", "trace"}


def browser_required() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true"} or os.environ.get("VOLTWAY_REQUIRE_BROWSER") == "1"


def chromium_or_skip() -> str:
    if Path(CHROMIUM).is_file() or shutil.which(CHROMIUM):
        return CHROMIUM
    reason = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    if browser_required():
        pytest.fail(f"{reason}; CI=true or VOLTWAY_REQUIRE_BROWSER=1 makes this a failure")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`voltway serve` on a free port, without the OCPP bridge (the docs need none)."""
    environment = cli_environment(tmp_path_factory.mktemp("docs"))
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "api", "serve", "--port", str(port), "--no-ocpp"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base, "/health")
        yield base
    finally:
        stop_process(process, 20)


def test_docs_page_lists_the_operations_without_internet(served: str) -> None:
    executable = chromium_or_skip()
    from playwright.sync_api import Route, sync_playwright

    document = httpx.get(f"{served}/schema/openapi.json").json()
    operations = sum(1 for item in document["paths"].values() for method in item if method in HTTP_METHODS)
    blocked: list[str] = []

    def local_only(route: Route) -> None:
        if route.request.url.startswith(served + "/"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort("internetdisconnected")

    with sync_playwright() as playwright:
        # The browser runs on the real clock: preloaded libraries (libfaketime in `make test-timeshift`) stall it.
        environment: dict[str, str | float | bool] = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, env=environment)
        try:
            page = browser.new_page()
            page.route("**/*", local_only)
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(f"{served}/schema")
            page.wait_for_selector(".opblock", timeout=30_000)
            shown = page.locator(".opblock").count()
            paths = page.locator(".opblock-summary-path").all_inner_texts()
        finally:
            browser.close()

    assert errors == []
    assert blocked == []  # nothing fetched from a CDN
    assert shown == operations
    assert any(path.replace("\u200b", "") == "/v1/stations" for path in paths)


@pytest.mark.parametrize("path", ["/schema", "/schema/swagger"])
def test_docs_ui_paths_serve_the_page_with_local_assets(served: str, path: str) -> None:
    page = httpx.get(f"{served}{path}")
    assert page.status_code == 200
    assert "/schema/assets/swagger-ui-bundle.js" in page.text
    assert "https://" not in page.text.split("<body>")[0]  # no asset from elsewhere
    asset = httpx.get(f"{served}/schema/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200
    assert "SwaggerUIBundle" in asset.text


@pytest.mark.parametrize(
    "path", ["/schema/redoc", "/schema/elements", "/schema/rapidoc", "/schema/scalar", "/schema/openapi.yaml"]
)
def test_other_docs_paths_answer_a_problem_404(served: str, path: str) -> None:
    answer = httpx.get(f"{served}{path}")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"] == "urn:voltway:problem:not-found"
