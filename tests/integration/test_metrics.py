"""What an operator sees on /metrics after a driver charged, a charger sent nonsense and a driver asked the assistant
for help: the app served by uvicorn with its OCPP bridge, a simulated charger over a real websocket. Every metric the
ready-made Grafana dashboard queries is there, and no label carries a charger, user or session id."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from typing import Any

import httpx
import websockets
from prometheus_client.parser import text_string_to_metric_families

from api.db.engine import create_engine, create_session_factory
from api.domain.chargers.provisioning import add_charger
from tests.integration.test_sessions import PASSWORD, serve, session_status
from tests.support import dashboard_metric_names, wait_for

Samples = list[tuple[str, dict[str, str], float]]


async def scrape(client: httpx.AsyncClient, base: str) -> Samples:
    response = await client.get(f"{base}/metrics")
    assert response.status_code == 200
    return [
        (sample.name, sample.labels, sample.value)
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    ]


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sum of the samples called `name` whose labels include `labels`."""
    return sum(v for n, found, v in samples if n == name and labels.items() <= found.items())


async def add_raw_charger(database_url: str, ocpp_id: str) -> None:
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            await add_charger(
                session, ocpp_id=ocpp_id, password=PASSWORD, country_code="NL", party_id="VWY", name="Raw"
            )
            await session.commit()
    finally:
        await engine.dispose()


async def test_metrics_show_chargers_sessions_payments_and_the_assistant(database_url: str) -> None:
    async with serve(database_url, chargers=1) as net, httpx.AsyncClient(timeout=10) as client:
        before = await scrape(client, net.base)
        assert value(before, "voltway_ocpp_connected_chargers", ocpp_version="1.6") >= 1
        headers = await net.driver(client, "metrics@example.com")

        # a driver charges, watching live, and stops
        key = {"Idempotency-Key": str(uuid.uuid4()), **headers}
        started = await client.post(f"{net.base}/v1/sessions", json={"evseUid": net.evse_uids[0]}, headers=key)
        assert started.status_code == 202, started.text
        session_id = started.json()["id"]

        async def charging() -> bool:
            return await session_status(client, net.base, headers, session_id) == "charging"

        await wait_for(charging, "the charger to report the transaction")
        during = await scrape(client, net.base)
        assert value(during, "voltway_sessions_active") == value(before, "voltway_sessions_active") + 1
        token = headers["Authorization"].removeprefix("Bearer ")
        live_url = net.base.replace("http", "ws") + f"/v1/sessions/{session_id}/live?token={token}"
        async with websockets.connect(live_url) as socket:
            for _ in range(3):  # the current state, then two updates taken from the stream's queue
                await asyncio.wait_for(socket.recv(), 5)
            watching = await scrape(client, net.base)
        assert value(watching, "voltway_live_update_subscribers") >= 1
        assert (await client.post(f"{net.base}/v1/sessions/{session_id}/stop", headers=headers)).status_code == 202

        async def completed() -> bool:
            return await session_status(client, net.base, headers, session_id) == "completed"

        await wait_for(completed, "the session to end and be billed")

        # a charger sends an action that does not exist
        await add_raw_charger(net.database_url, "MET-RAW-1")
        auth = base64.b64encode(f"MET-RAW-1:{PASSWORD}".encode()).decode()
        async with websockets.connect(
            f"{net.ocpp_url}/MET-RAW-1",
            subprotocols=["ocpp1.6"],  # type: ignore[list-item]
            additional_headers={"Authorization": f"Basic {auth}"},
        ) as raw:
            await raw.send('[2, "x1", "NoSuchAction", {}]')
            answer: list[Any] = json.loads(await asyncio.wait_for(raw.recv(), 5))
        assert answer[:3] == [4, "x1", "NotImplemented"]

        # a driver reports a hazard to the assistant, which opens an urgent ticket
        conversation = (await client.post(f"{net.base}/v1/chat/conversations", json={}, headers=headers)).json()
        reply = await client.post(
            f"{net.base}/v1/chat/conversations/{conversation['id']}/messages",
            json={"text": "sparks and smoke from the plug!"},
            headers=headers,
        )
        assert reply.json()["ticketId"]

        after = await scrape(client, net.base)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("voltway_session_starts_total", source="app") == 1
    assert value(after, "voltway_sessions_active") == value(before, "voltway_sessions_active")
    for action in ("StartTransaction", "MeterValues", "StopTransaction"):
        assert moved("voltway_ocpp_messages_total", ocpp_version="1.6", action=action) >= 1, action
        assert moved("voltway_ocpp_handler_seconds_count", ocpp_version="1.6", action=action) >= 1, action
    assert moved("voltway_ocpp_call_errors_total", ocpp_version="1.6", action="unknown", code="NotImplemented") == 1
    assert moved("voltway_ocpp_command_seconds_count", command="remote-start", outcome="ok") == 1
    assert moved("voltway_ocpp_command_seconds_count", command="remote-stop", outcome="ok") == 1
    assert moved("voltway_live_update_lag_seconds_count", path="local") >= 2
    assert moved("voltway_meter_flush_rows_sum") >= 1
    assert moved("voltway_meter_flush_seconds_count") >= 1
    assert moved("voltway_payment_calls_total", provider="none", operation="settle", outcome="ok") == 1
    assert moved("voltway_payment_call_seconds_count", provider="none", operation="settle") == 1
    assert moved("voltway_assistant_replies_total", intent="safety_hazard") == 1
    assert moved("voltway_assistant_escalations_total", priority="urgent") == 1

    label_values = {v for _, labels, _ in after for v in labels.values()}
    leaked = [v for v in label_values if "SES-" in v or "MET-" in v or session_id in v or "@" in v]
    assert leaked == []
    exported = {name for name, _, _ in after}
    assert dashboard_metric_names() - exported == set()
