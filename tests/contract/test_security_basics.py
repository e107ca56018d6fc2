"""What a browser, a scraper or an attacker meets at the edge of the served app: security headers, CORS, the
metrics token, forwarded addresses, size limits and the rate limit on unauthenticated routes."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import websockets

from api.app import create_app
from api.serving import MAX_WEBSOCKET_MESSAGE_BYTES, server_config
from tests.contract.conftest import METRICS_TOKEN, ServedApi, _Server, contract_settings

API_CSP = "default-src 'none'"


def serve_with_settings(database_url: str, **overrides: Any) -> Iterator[str]:
    """The app served exactly as `voltway serve` configures uvicorn (limits, proxy trust), on a free port."""
    settings = contract_settings(database_url, **{"host": "127.0.0.1", "port": 0, **overrides})
    server = _Server(server_config(create_app(settings), settings))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            assert thread.is_alive(), "the app did not start"
            threading.Event().wait(0.02)
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_every_answer_carries_the_security_headers(served_api: ServedApi) -> None:
    with httpx.Client(base_url=served_api.base_url) as client:
        answers = [
            client.get("/v1/stations/report-categories"),
            client.get("/v1/me"),  # 401 problem
            client.get("/no-such-route"),  # 404 problem
        ]
    for answer in answers:
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["content-security-policy"].startswith(API_CSP)
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
        assert "strict-transport-security" not in answer.headers  # http public URL


def test_the_docs_page_may_run_its_own_scripts_only(served_api: ServedApi) -> None:
    page = httpx.get(f"{served_api.base_url}/schema")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self' 'unsafe-inline'" in policy
    assert "connect-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy


def test_https_deployments_send_strict_transport_security(database_url: str) -> None:
    for base in serve_with_settings(database_url, public_url="https://api.example.com"):
        answer = httpx.get(f"{base}/health")
        assert answer.headers["strict-transport-security"].startswith("max-age=31536000")


def test_cors_preflight_answers_only_configured_origins(database_url: str) -> None:
    for base in serve_with_settings(database_url, cors_origins=("https://app.example.com",)):
        request = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
        allowed = httpx.options(f"{base}/v1/auth/login", headers={"Origin": "https://app.example.com", **request})
        foreign = httpx.options(f"{base}/v1/auth/login", headers={"Origin": "https://evil.example", **request})
        simple = httpx.get(f"{base}/health", headers={"Origin": "https://evil.example"})
        assert allowed.status_code in {200, 204}
        assert allowed.headers["access-control-allow-origin"] == "https://app.example.com"
        assert foreign.headers.get("access-control-allow-origin") is None
        assert foreign.status_code >= 400
        assert simple.headers.get("access-control-allow-origin") is None


def test_without_configured_origins_no_browser_origin_is_allowed(served_api: ServedApi) -> None:
    answer = httpx.options(
        f"{served_api.base_url}/v1/auth/login",
        headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST"},
    )
    assert answer.headers.get("access-control-allow-origin") is None


def test_metrics_answer_only_the_scrape_token(served_api: ServedApi) -> None:
    base = served_api.base_url
    anonymous = httpx.get(f"{base}/metrics")
    as_admin = httpx.get(f"{base}/metrics", headers=served_api.headers("admin"))
    wrong = httpx.get(f"{base}/metrics", headers={"Authorization": "Bearer not-the-token-at-all"})
    scraper = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    for refused in (anonymous, as_admin, wrong):
        assert refused.status_code == 401
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert "voltway_" not in refused.text
    assert scraper.status_code == 200
    assert "voltway_ocpp_connected_chargers" in scraper.text


def test_forwarded_addresses_count_only_from_trusted_proxies(database_url: str) -> None:
    """With one request a minute allowed, two callers behind a trusted proxy are two addresses; an untrusted peer
    claiming two addresses is still one."""
    for base in serve_with_settings(database_url, rate_limit_per_minute=1):
        first = httpx.get(f"{base}/v1/stations/report-categories", headers={"X-Forwarded-For": "203.0.113.1"})
        second = httpx.get(f"{base}/v1/stations/report-categories", headers={"X-Forwarded-For": "203.0.113.2"})
        assert (first.status_code, second.status_code) == (200, 429)
    for base in serve_with_settings(database_url, rate_limit_per_minute=1, trusted_proxies=("127.0.0.1/32",)):
        first = httpx.get(f"{base}/v1/stations/report-categories", headers={"X-Forwarded-For": "203.0.113.1"})
        second = httpx.get(f"{base}/v1/stations/report-categories", headers={"X-Forwarded-For": "203.0.113.2"})
        assert (first.status_code, second.status_code) == (200, 200)


def test_unauthenticated_routes_are_rate_limited(database_url: str) -> None:
    for base in serve_with_settings(database_url, rate_limit_per_minute=2):
        statuses = [httpx.post(f"{base}/v1/auth/password-reset", json={"email": "a@example.com"}).status_code]
        statuses.append(httpx.get(f"{base}/v1/stations/report-categories").status_code)
        limited = httpx.get(f"{base}/v1/stations/report-categories", headers={"X-Request-ID": "limited-1"})
        assert statuses == [202, 200]
        assert limited.status_code == 429
        # problem details like every other error, with the request id and when to come back
        assert limited.headers["content-type"] == "application/problem+json"
        assert int(limited.headers["retry-after"]) >= 1
        assert limited.json() == {
            "type": "urn:voltway:problem:rate-limited",
            "title": "Too many requests",
            "status": 429,
            "detail": f"Too many requests from this address; try again in {limited.headers['retry-after']} seconds.",
            "instance": "/v1/stations/report-categories",
            "requestId": "limited-1",
        }
        # a roaming partner over the limit reads it in the OCPI envelope, as every OCPI answer
        roaming = httpx.get(f"{base}/ocpi/versions")
        assert roaming.status_code == 429
        assert roaming.headers["content-type"] == "application/json"
        assert int(roaming.headers["retry-after"]) >= 1
        assert roaming.json()["status_code"] == 2000
        assert roaming.json()["status_message"].startswith("Too many requests from this address")


def test_oversized_bodies_and_heads_are_refused(served_api: ServedApi, database_url: str) -> None:
    body = httpx.post(
        f"{served_api.base_url}/v1/auth/login",
        content=b'{"email": "' + b"a" * (2 * 1024 * 1024) + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert body.status_code == 413
    assert body.headers["content-type"].startswith("application/problem+json")
    for base in serve_with_settings(database_url):
        head = httpx.get(f"{base}/health", headers={"X-Padding": "p" * (64 * 1024)})
        assert head.status_code == 431
        assert head.headers["content-type"].startswith("application/problem+json")
        assert head.json()["type"] == "urn:voltway:problem:request-head-too-large"
        assert head.json()["instance"] == "/health"
        roaming = httpx.get(f"{base}/ocpi/versions", headers={"X-Padding": "p" * (64 * 1024)})
        assert roaming.status_code == 431
        assert roaming.headers["content-type"] == "application/json"
        assert roaming.json()["status_code"] == 2000
        assert "headers may take at most" in roaming.json()["status_message"]


async def _echo_socket(scope: Any, receive: Any, send: Any) -> None:
    """A WebSocket endpoint that accepts and echoes: the served app's sockets need a live session to stay open."""
    if scope["type"] != "websocket":
        return
    while True:
        message = await receive()
        if message["type"] == "websocket.connect":
            await send({"type": "websocket.accept"})
        elif message["type"] == "websocket.receive":
            await send({"type": "websocket.send", "text": message.get("text") or ""})
        else:
            return


def test_oversized_websocket_messages_close_the_socket() -> None:
    """Served as `voltway serve` serves the app, a client message above the limit ends the socket (1009)."""
    settings = contract_settings("sqlite+aiosqlite:///:memory:", host="127.0.0.1", port=0)
    server = _Server(server_config(_echo_socket, settings))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()

    async def exchange(url: str) -> tuple[str, int]:
        async with websockets.connect(url, max_size=None) as socket:
            await socket.send("small")
            echoed = str(await socket.recv())
            await socket.send("x" * (MAX_WEBSOCKET_MESSAGE_BYTES + 1))
            try:
                await asyncio.wait_for(socket.recv(), timeout=10)
            except websockets.ConnectionClosed as closed:
                return echoed, closed.rcvd.code if closed.rcvd is not None else 1006
            return echoed, 1000

    try:
        while not server.started:
            assert thread.is_alive(), "the server did not start"
            threading.Event().wait(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        assert asyncio.run(exchange(f"ws://127.0.0.1:{port}/")) == ("small", 1009)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
