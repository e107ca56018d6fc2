"""Remote actions from the assistant reach a charger only for the driver's own session there (running, or ended a
few minutes ago); anything else goes to a person. The app served by uvicorn with its OCPP bridge and simulated
chargers over real websockets, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.integration.test_sessions import Network, serve, session_status
from tests.support import wait_for


async def converse(client: httpx.AsyncClient, net: Network, headers: dict[str, str], *texts: str) -> dict[str, Any]:
    """A new conversation; the assistant's answer to the last of `texts`, with the path for more."""
    conversation = (await client.post(f"{net.base}/v1/chat/conversations", json={}, headers=headers)).json()
    path = f"{net.base}/v1/chat/conversations/{conversation['id']}/messages"
    reply: dict[str, Any] = {}
    for text in texts:
        reply = (await client.post(path, json={"text": text}, headers=headers)).json()
    return {**reply, "path": path}


async def confirm(client: httpx.AsyncClient, headers: dict[str, str], reply: dict[str, Any]) -> dict[str, Any]:
    proposal = reply["proposedAction"]
    assert proposal is not None, reply
    answer: dict[str, Any] = (
        await client.post(reply["path"], json={"confirmActionId": proposal["id"]}, headers=headers, timeout=60)
    ).json()
    return answer


async def test_the_assistant_unlocks_only_where_the_driver_charges_or_just_charged(database_url: str) -> None:
    async with serve(database_url, chargers=2) as net, httpx.AsyncClient(timeout=15) as client:
        simulation = net.simulators[0]
        headers = await net.driver(client, f"stranger-{uuid.uuid4().hex[:8]}@example.com")

        # a driver with no session anywhere asks to unlock an idle charger: nothing is sent, a person takes over
        asked = await converse(client, net, headers, "my cable is stuck", "SES-00002")
        assert asked["proposedAction"]["kind"] == "unlock"
        refused = await confirm(client, headers, asked)
        assert [(a["kind"], a["status"]) for a in refused["performedActions"]] == [("unlock", "needs-a-person")]
        # the charger as the driver sees it: its location's name and the EVSE id printed on it
        assert "can't see a session of yours at Session test 2, NL*VWY*ESES000021" in refused["text"]
        assert "SES-00002" not in refused["text"]
        assert refused["ticketId"] is not None
        assert refused["ticketId"] in refused["text"]
        assert simulation.report.unlocks == 0

        # the same driver charges at SES-00001, stops, and the cable is stuck: the assistant unlocks it
        started = await client.post(
            f"{net.base}/v1/sessions", json={"evseUid": net.evse_uids[0]}, headers={"Idempotency-Key": "own", **headers}
        )
        assert started.status_code == 202, started.text
        session_id = started.json()["id"]

        async def charging() -> bool:
            return await session_status(client, net.base, headers, session_id) == "charging"

        await wait_for(charging, "charging")
        await client.post(f"{net.base}/v1/sessions/{session_id}/stop", headers=headers)

        async def over() -> bool:
            return await session_status(client, net.base, headers, session_id) == "completed"

        await wait_for(over, "the session to end")
        asked = await converse(client, net, headers, "my cable is stuck")
        assert asked["proposedAction"]["kind"] == "unlock"
        assert asked["proposedAction"]["chargerId"] == "SES-00001"
        done = await confirm(client, headers, asked)
        assert [(a["kind"], a["status"]) for a in done["performedActions"]] == [("unlock", "Unlocked")]
        assert simulation.report.unlocks == 1
