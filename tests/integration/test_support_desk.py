"""The agents' desk over the API on both databases: the queue (filters, order, cursor), tickets opened by hand,
claims and assignments, every workflow move, replies and internal notes, canned replies, merges and bulk changes;
who may do what."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.db.types import utc_now
from api.domain.support.workflow import TRANSITIONS
from tests.integration.support_desk import (
    audit_actions,
    desk_accounts,
    escalated,
    update_ticket,
    user_id,
)

Client = AsyncTestClient[Litestar]


async def open_ticket(client: Client, headers: dict[str, str], **body: object) -> dict[str, Any]:
    answer = await client.post("/v1/support/tickets", json={"summary": "Charger reboots", **body}, headers=headers)
    assert answer.status_code == 201, answer.text
    ticket: dict[str, Any] = answer.json()
    return ticket


async def test_staff_only_and_drivers_are_refused(client: Client, database_url: str) -> None:
    desk = await desk_accounts(client, database_url)
    _, ticket_id = await escalated(client, desk.driver)
    for headers in (desk.driver, desk.other):
        assert (await client.get("/v1/support/queue", headers=headers)).status_code == 403
        assert (await client.get(f"/v1/support/tickets/{ticket_id}", headers=headers)).status_code == 403
        reply = await client.post(f"/v1/support/tickets/{ticket_id}/messages", json={"text": "hi"}, headers=headers)
        assert reply.status_code == 403
    assert (await client.get("/v1/support/queue")).status_code == 401
    for headers in (desk.agent, desk.admin):
        page = (await client.get("/v1/support/queue", headers=headers)).json()
        assert [t["id"] for t in page["items"]] == [ticket_id]
    assert (await client.get("/v1/support/tickets/999999", headers=desk.agent)).status_code == 404


async def test_an_escalated_ticket_in_detail(client: Client, database_url: str) -> None:
    desk = await desk_accounts(client, database_url)
    conversation_id, ticket_id = await escalated(client, desk.driver)
    detail = (await client.get(f"/v1/support/tickets/{ticket_id}", headers=desk.agent)).json()
    assert detail["number"] == f"T-{ticket_id:06d}"
    assert detail["status"] == "new"
    assert detail["source"] == "assistant"
    assert detail["conversationId"] == conversation_id
    assert detail["driver"]["email"] == "dana@example.com"
    assert detail["transcript"][0] == {"role": "driver", "text": "I want to talk to a human", "at": None}
    assert detail["slaState"] == "ok"
    assert [e["action"] for e in detail["events"]] == ["created"]
    assert detail["events"][0]["actorRole"] == "assistant"
    assert detail["rating"] is None


async def test_open_by_hand_claim_assign(client: Client, database_url: str) -> None:
    desk = await desk_accounts(client, database_url)
    driver = await user_id(database_url, "dana@example.com")
    ticket = await open_ticket(
        client,
        desk.agent,
        priority="high",
        category="billing",
        driverId=str(driver),
        chargerId="CP-1",
        tags=["phone"],
        text="Called about a double charge",
    )
    assert (ticket["source"], ticket["priority"], ticket["status"]) == ("agent", "high", "new")
    assert ticket["driver"]["name"] == "Dana"
    assert ticket["messages"][0]["visibility"] == "internal"
    ticket_id = ticket["id"]

    not_a_driver = await client.post(
        "/v1/support/tickets",
        json={"summary": "x", "driverId": str(await user_id(database_url, "agent@example.com"))},
        headers=desk.agent,
    )
    assert not_a_driver.status_code == 422
    assert not_a_driver.json()["errors"][0]["field"] == "driverId"
    safety = await open_ticket(client, desk.agent, priority="low", category="safety_hazard")
    assert safety["priority"] == "urgent"  # safety is always urgent

    claimed = (await client.post(f"/v1/support/tickets/{ticket_id}/claim", headers=desk.agent)).json()
    assert claimed["assignee"]["name"] == "Alex Agent"
    admin_id = str(await user_id(database_url, "admin@example.com"))
    assigned = await client.post(
        f"/v1/support/tickets/{ticket_id}/assign", json={"assigneeId": admin_id}, headers=desk.agent
    )
    assert assigned.json()["assignee"]["name"] == "Ada Admin"
    to_driver = await client.post(
        f"/v1/support/tickets/{ticket_id}/assign", json={"assigneeId": str(driver)}, headers=desk.agent
    )
    assert to_driver.status_code == 422
    nobody = await client.post(f"/v1/support/tickets/{ticket_id}/assign", json={"assigneeId": None}, headers=desk.admin)
    assert nobody.json()["assignee"] is None
    actions = await audit_actions(database_url, int(str(ticket_id)))
    assert actions == [
        ("agent", "created"),
        ("agent", "noted"),
        ("agent", "assigned"),
        ("agent", "assigned"),
        ("admin", "assigned"),
    ]


async def test_patch_recomputes_the_sla_and_keeps_safety_urgent(client: Client, database_url: str) -> None:
    desk = await desk_accounts(client, database_url)
    ticket = await open_ticket(client, desk.agent, priority="low")
    path = f"/v1/support/tickets/{ticket['id']}"
    changed = (
        await client.patch(path, json={"priority": "urgent", "tags": ["b", "a", "a"]}, headers=desk.agent)
    ).json()
    assert changed["priority"] == "urgent"
    assert changed["tags"] == ["a", "b"]
    assert changed["firstResponseDueAt"] < ticket["firstResponseDueAt"]
    safety = (await client.patch(path, json={"category": "safety_hazard"}, headers=desk.agent)).json()
    assert safety["priority"] == "urgent"
    lowered = await client.patch(path, json={"priority": "low"}, headers=desk.agent)
    assert lowered.status_code == 422
    bad = await client.patch(path, json={"priority": "whenever"}, headers=desk.agent)
    assert bad.status_code == 400 or bad.status_code == 422


@pytest.mark.parametrize("start", ["new", "open", "pending", "on_hold", "solved", "closed"])
async def test_every_status_move(client: Client, database_url: str, start: str) -> None:
    """Each move the workflow allows succeeds and is audited; every other one answers 409."""
    desk = await desk_accounts(client, database_url)
    for target in TRANSITIONS:
        ticket = await open_ticket(client, desk.agent)
        ticket_id = int(str(ticket["id"]))
        if start != "new":
            await update_ticket(
                database_url, ticket_id, status=start, solved_at=utc_now() if start == "solved" else None
            )
        moved = await client.post(
            f"/v1/support/tickets/{ticket_id}/status", json={"status": target, "comment": "why"}, headers=desk.agent
        )
        if target == start:
            assert moved.status_code == 200
        elif target in TRANSITIONS[start]:
            assert moved.status_code == 200, (start, target, moved.text)
            assert moved.json()["status"] == target
            assert (desk.agent and ("agent", "status")) in await audit_actions(database_url, ticket_id)
        else:
            assert moved.status_code == 409, (start, target, moved.text)
            assert moved.headers["content-type"].startswith("application/problem+json")
    unknown = await client.post(f"/v1/support/tickets/{ticket_id}/status", json={"status": "done"}, headers=desk.agent)
    assert unknown.status_code in (400, 422)


async def test_reply_note_and_first_response(client: Client, database_url: str) -> None:
    desk = await desk_accounts(client, database_url)
    conversation_id, ticket_id = await escalated(client, desk.driver)
    base = f"/v1/support/tickets/{ticket_id}"
    noted = await client.post(f"{base}/notes", json={"text": "Driver called twice before"}, headers=desk.agent)
    assert noted.status_code == 201
    assert noted.json()["status"] == "new"  # a note is no answer
    assert noted.json()["firstRespondedAt"] is None
    replied = (await client.post(f"{base}/messages", json={"text": "We are on it."}, headers=desk.agent)).json()
    assert replied["status"] == "open"
    assert replied["firstRespondedAt"] is not None
    assert replied["slaState"] in ("ok", "soon")
    assert [(m["visibility"], m["authorName"]) for m in replied["messages"]] == [
        ("internal", "Alex Agent"),
        ("public", "Alex Agent"),
    ]
    # The public reply is in the driver's chat; the note is not.
    chat = (await client.get(f"/v1/chat/conversations/{conversation_id}", headers=desk.driver)).json()
    agent_lines = [m for m in chat["messages"] if m["role"] == "agent"]
    assert [(m["text"], m["authorName"]) for m in agent_lines] == [("We are on it.", "Alex Agent")]
    assert all("twice" not in m["text"] for m in chat["messages"])
    empty = await client.post(f"{base}/messages", json={"text": ""}, headers=desk.agent)
    assert empty.status_code in (400, 422)


async def test_queue_filters_order_and_cursor(client: Client, database_url: str) -> None:
    desk = await desk_accounts(client, database_url)
    ids: dict[str, int] = {}
    for name, priority, category, charger in [
        ("low", "low", "other", None),
        ("normal", "normal", "billing", "CP-9"),
        ("urgent", "urgent", "other", None),
        ("high", "high", "other", "CP-9"),
        ("normal2", "normal", "other", None),
    ]:
        ticket = await open_ticket(
            client, desk.agent, summary=f"Ticket {name}", priority=priority, category=category, chargerId=charger
        )
        ids[name] = int(str(ticket["id"]))
    page = (await client.get("/v1/support/queue", headers=desk.agent)).json()
    assert [t["id"] for t in page["items"]] == [ids[n] for n in ("urgent", "high", "normal", "normal2", "low")]
    assert page["nextCursor"] is None

    seen: list[int] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/v1/support/queue", params=params, headers=desk.agent)).json()
        seen.extend(t["id"] for t in page["items"])
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert seen == [ids[n] for n in ("urgent", "high", "normal", "normal2", "low")]

    def queue(**params: Any) -> Awaitable[httpx.Response]:
        return client.get("/v1/support/queue", params=params, headers=desk.agent)

    assert [t["id"] for t in (await queue(priority="normal,low")).json()["items"]] == [
        ids["normal"],
        ids["normal2"],
        ids["low"],
    ]
    assert [t["id"] for t in (await queue(category="billing")).json()["items"]] == [ids["normal"]]
    assert [t["id"] for t in (await queue(charger="CP-9")).json()["items"]] == [ids["high"], ids["normal"]]
    assert [t["id"] for t in (await queue(q="TICKET URG")).json()["items"]] == [ids["urgent"]]
    await client.post(f"/v1/support/tickets/{ids['low']}/claim", headers=desk.agent)
    assert [t["id"] for t in (await queue(assignee="me")).json()["items"]] == [ids["low"]]
    assert ids["low"] not in [t["id"] for t in (await queue(assignee="none")).json()["items"]]
    admin_view = await client.get("/v1/support/queue", params={"assignee": "me"}, headers=desk.admin)
    assert admin_view.json()["items"] == []

    await client.post(f"/v1/support/tickets/{ids['high']}/status", json={"status": "solved"}, headers=desk.agent)
    assert ids["high"] not in [t["id"] for t in (await queue()).json()["items"]]
    solved = (await queue(status="solved")).json()["items"]
    assert [(t["id"], t["slaState"]) for t in solved] == [(ids["high"], "met")]
    both = client.get("/v1/support/queue", params=[("status", "solved"), ("status", "new")], headers=desk.agent)
    assert len((await both).json()["items"]) == 5

    # The clock: one ticket past its first-response time, one due within half an hour.
    now = utc_now()
    await update_ticket(database_url, ids["normal"], first_response_due_at=now - timedelta(minutes=1))
    await update_ticket(database_url, ids["low"], first_response_due_at=now + timedelta(minutes=10))
    breached = (await queue(sla="breached")).json()["items"]
    assert [(t["id"], t["slaState"]) for t in breached] == [(ids["normal"], "breached")]
    # urgent answers are due within 15 minutes: always "soon" at first
    soon = (await queue(sla="soon")).json()["items"]
    assert [(t["id"], t["slaState"]) for t in soon] == [(ids["urgent"], "soon"), (ids["low"], "soon")]

    for bad in ({"status": "done"}, {"sla": "late"}, {"assignee": "someone"}, {"cursor": "!!"}, {"limit": 0}):
        answer = await queue(**bad)
        assert answer.status_code in (400, 422), bad
        assert answer.headers["content-type"].startswith("application/problem+json")


async def test_bulk_reports_each_ticket(client: Client, database_url: str) -> None:
    desk = await desk_accounts(client, database_url)
    first = int(str((await open_ticket(client, desk.agent))["id"]))
    second = int(str((await open_ticket(client, desk.agent))["id"]))
    closed = int(str((await open_ticket(client, desk.agent))["id"]))
    await client.post(f"/v1/support/tickets/{closed}/status", json={"status": "closed"}, headers=desk.agent)
    answer = await client.post(
        "/v1/support/tickets/bulk",
        json={"ids": [first, second, closed, 999999], "status": "pending", "priority": "high", "addTags": ["outage"]},
        headers=desk.agent,
    )
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["updated"] == [first, second]
    assert [(f["id"], f["problem"]["status"]) for f in result["failed"]] == [(closed, 409), (999999, 404)]
    for ticket_id in (first, second):
        shown = (await client.get(f"/v1/support/tickets/{ticket_id}", headers=desk.agent)).json()
        assert (shown["status"], shown["priority"], shown["tags"]) == ("pending", "high", ["outage"])
    agent_id = str(await user_id(database_url, "agent@example.com"))
    assigned = await client.post(
        "/v1/support/tickets/bulk", json={"ids": [first], "assigneeId": agent_id}, headers=desk.admin
    )
    assert assigned.json()["updated"] == [first]
    kept = await client.post("/v1/support/tickets/bulk", json={"ids": [first], "priority": "low"}, headers=desk.admin)
    assert kept.json()["updated"] == [first]
    shown = (await client.get(f"/v1/support/tickets/{first}", headers=desk.agent)).json()
    assert shown["assignee"]["name"] == "Alex Agent"  # absent assigneeId leaves the assignee
    assert (await client.post("/v1/support/tickets/bulk", json={"ids": []}, headers=desk.agent)).status_code in (
        400,
        422,
    )


async def test_merge_keeps_messages_and_tells_the_driver(client: Client, database_url: str) -> None:
    desk = await desk_accounts(client, database_url)
    _, duplicate = await escalated(client, desk.driver)
    driver = await user_id(database_url, "dana@example.com")
    target = int(str((await open_ticket(client, desk.agent, driverId=str(driver)))["id"]))
    await client.post(f"/v1/support/tickets/{duplicate}/messages", json={"text": "Looking"}, headers=desk.agent)
    merged = await client.post(f"/v1/support/tickets/{duplicate}/merge", json={"intoId": target}, headers=desk.agent)
    assert merged.status_code == 200, merged.text
    assert merged.json()["id"] == target
    assert merged.json()["conversationId"] is not None  # the chat link moved to where the work continues
    source = (await client.get(f"/v1/support/tickets/{duplicate}", headers=desk.agent)).json()
    assert (source["status"], source["mergedIntoId"]) == ("closed", target)
    assert [m["visibility"] for m in source["messages"]] == ["public", "system"]
    assert f"T-{target:06d}" in source["messages"][-1]["text"]
    mine = (await client.get("/v1/me/tickets", headers=desk.driver)).json()
    told = next(t for t in mine if t["id"] == duplicate)
    assert f"T-{target:06d}" in told["messages"][-1]["text"]
    again = await client.post(f"/v1/support/tickets/{duplicate}/merge", json={"intoId": target}, headers=desk.agent)
    assert again.status_code == 409
    itself = await client.post(f"/v1/support/tickets/{target}/merge", json={"intoId": target}, headers=desk.agent)
    assert itself.status_code == 422
    _, others = await escalated(client, desk.other)
    foreign = await client.post(f"/v1/support/tickets/{others}/merge", json={"intoId": target}, headers=desk.agent)
    assert foreign.status_code == 409


async def test_canned_replies_in_the_drivers_language(client: Client, database_url: str) -> None:
    desk = await desk_accounts(client, database_url, driver_locale="de")
    listed = (await client.get("/v1/support/canned-replies", params={"language": "fr"}, headers=desk.agent)).json()
    ids = {r["id"] for r in listed}
    assert {"connector_unlocked", "refund_issued", "charger_restarted", "technician_sent", "need_more_info"} <= ids
    assert all(r["language"] == "fr" for r in listed)
    assert "{driver_name}" in next(r for r in listed if r["id"] == "connector_unlocked")["body"]
    unknown = (await client.get("/v1/support/canned-replies", params={"language": "pl"}, headers=desk.agent)).json()
    assert {r["language"] for r in unknown} == {"en"}

    driver = await user_id(database_url, "dana@example.com")
    ticket = await open_ticket(client, desk.agent, driverId=str(driver), chargerId="CP-DE-7")
    filled = (await client.get(f"/v1/support/tickets/{ticket['id']}/canned-replies", headers=desk.agent)).json()
    unlocked = next(r for r in filled if r["id"] == "connector_unlocked")
    assert unlocked["language"] == "de"
    assert unlocked["body"].startswith("Hallo Dana,")
    assert "CP-DE-7" in unlocked["body"]
    assert ticket["number"] in unlocked["body"]
    refund = next(r for r in filled if r["id"] == "refund_issued")
    assert "{amount}" in refund["body"]  # no session, no amount: left for the agent to fill
    assert (await client.get("/v1/support/canned-replies", headers=desk.driver)).status_code == 403
