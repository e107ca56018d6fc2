"""Operational surface: probes, metrics, request ids, problem details for routing errors, the schema UI."""

from __future__ import annotations

import asyncio
import json

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.integration.conftest import ClientFactory

Client = AsyncTestClient[Litestar]


async def test_health_and_ready(client: Client) -> None:
    health = await client.get("/health")
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    ready = await client.get("/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "database": "ok"}


async def test_ready_reports_an_unreachable_database(client_factory: ClientFactory) -> None:
    client = await client_factory(database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none")
    assert (await client.get("/health")).status_code == 200
    ready = await client.get("/ready")
    assert ready.status_code == 503
    assert ready.json()["database"] == "unreachable"


async def test_request_id_is_echoed_or_generated(client: Client) -> None:
    echoed = await client.get("/health", headers={"X-Request-ID": "app-1234"})
    assert echoed.headers["x-request-id"] == "app-1234"
    generated = await client.get("/health")
    assert len(generated.headers["x-request-id"]) == 32
    hostile = await client.get("/health", headers={"X-Request-ID": "bad id\twith spaces"})
    assert hostile.headers["x-request-id"] != "bad id\twith spaces"
    missing = await client.get("/no/such/route", headers={"X-Request-ID": "trace-404"})
    assert missing.headers["x-request-id"] == "trace-404"
    assert missing.json()["requestId"] == "trace-404"


async def test_unknown_routes_and_methods_are_problem_details(client: Client) -> None:
    missing = await client.get("/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["type"] == "urn:voltway:problem:not-found"
    wrong_method = await client.put("/health")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["title"] == "Method not allowed"


async def test_oversized_body_is_refused(client: Client) -> None:
    response = await client.post(
        "/v1/auth/login", content=b"{" + b" " * (2 * 1024 * 1024) + b"}", headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


async def test_metrics_count_requests(client: Client) -> None:
    await client.get("/health")
    metrics = await client.get("/metrics")
    assert metrics.status_code == 200
    assert 'voltway_requests_total{app_name="voltway",method="GET",path="/health"' in metrics.text


async def test_openapi_document_and_interactive_ui(client: Client) -> None:
    document = await client.get("/schema/openapi.json")
    assert document.status_code == 200
    schema = json.loads(document.text)
    assert schema["openapi"].startswith("3.1")
    assert "/v1/auth/login" in schema["paths"]
    assert "BearerToken" in schema["components"]["securitySchemes"]
    ui = await client.get("/schema")
    assert ui.status_code == 200
    assert "swagger" in ui.text.lower()


async def test_cors_origins_are_configurable(client_factory: ClientFactory) -> None:
    client = await client_factory(cors_origins=("https://app.example.com",))
    preflight = await client.options(
        "/v1/auth/login",
        headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.headers["access-control-allow-origin"] == "https://app.example.com"
    stranger = await client.get("/health", headers={"Origin": "https://evil.example.com"})
    assert "access-control-allow-origin" not in stranger.headers


async def test_ready_asks_the_database_once_however_many_probes_arrive_together(client: Client) -> None:
    # /ready is outside the rate limit, so a flood of probes must not become a flood of database queries.
    answers = await asyncio.gather(*(client.get("/ready") for _ in range(50)))
    assert [answer.status_code for answer in answers] == [200] * 50
    assert client.app.state.readiness.checks_run == 1
