"""The desk as drivers meet it, on both databases: their own tickets (never internal notes, never another
driver's), replies, the live conversation stream (agent replies, status, survey), ratings once, reopening within
the window, chat messages that land on the open ticket, and solved tickets closing by themselves."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.db.engine import create_engine, create_session_factory
from api.db.types import utc_now
from api.domain.support.auto_close import close_solved
from api.domain.support.feed import TicketFeed
from tests.integration.support_desk import (
    EventReader,
    audit_actions,
    desk_accounts,
    escalated,
    served,
    update_ticket,
)
from tests.support import wait_for

Client = AsyncTestClient[Litestar]


async def test_drivers_see_their_own_tickets_without_internal_notes(client: Client, database_url: str) -> None:
    desk = await desk_accounts(client, database_url)
    _, ticket_id = await escalated(client, desk.driver)
    base = f"/v1/support/tickets/{ticket_id}"
    await client.post(f"{base}/notes", json={"text": "Secret: driver is on the watch list"}, headers=desk.agent)
    await client.post(f"{base}/messages", json={"text": "Hello Dana, we are looking."}, headers=desk.agent)

    [mine] = (await client.get("/v1/me/tickets", headers=desk.driver)).json()
    assert (mine["id"], mine["number"], mine["status"]) == (ticket_id, f"T-{ticket_id:06d}", "open")
    assert [m["text"] for m in mine["messages"]] == ["Hello Dana, we are looking."]
    assert (mine["canRate"], mine["canReopen"], mine["reopenUntil"]) == (False, False, None)
    assert (await client.get("/v1/me/tickets", headers=desk.other)).json() == []

    for path, body in [
        (f"/v1/me/tickets/{ticket_id}/messages", {"text": "me too"}),
        (f"/v1/me/tickets/{ticket_id}/rating", {"score": 5}),
        (f"/v1/me/tickets/{ticket_id}/reopen", None),
    ]:
        answer = await client.post(path, json=body, headers=desk.other)
        assert answer.status_code == 404, path  # another driver's ticket is not there for them
    other_chat = await client.get(
        f"/v1/chat/conversations/{(await escalated(client, desk.driver))[0]}/events", headers=desk.other
    )
    assert other_chat.status_code == 404


async def test_a_drivers_reply_reopens_a_pending_ticket(client: Client, database_url: str) -> None:
    desk = await desk_accounts(client, database_url)
    _, ticket_id = await escalated(client, desk.driver)
    await client.post(f"/v1/support/tickets/{ticket_id}/status", json={"status": "pending"}, headers=desk.agent)
    answer = await client.post(
        f"/v1/me/tickets/{ticket_id}/messages", json={"text": "Here is the photo"}, headers=desk.driver
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["status"] == "open"
    detail = (await client.get(f"/v1/support/tickets/{ticket_id}", headers=desk.agent)).json()
    assert (detail["messages"][-1]["authorRole"], detail["messages"][-1]["text"]) == ("driver", "Here is the photo")
    assert ("driver", "status") in await audit_actions(database_url, ticket_id)

    await client.post(f"/v1/support/tickets/{ticket_id}/status", json={"status": "solved"}, headers=desk.agent)
    await client.post(f"/v1/support/tickets/{ticket_id}/status", json={"status": "closed"}, headers=desk.agent)
    closed = await client.post(f"/v1/me/tickets/{ticket_id}/messages", json={"text": "again"}, headers=desk.driver)
    assert closed.status_code == 409
    assert closed.headers["content-type"].startswith("application/problem+json")


async def test_chat_messages_after_the_hand_over_land_on_the_ticket(client: Client, database_url: str) -> None:
    desk = await desk_accounts(client, database_url)
    conversation_id, ticket_id = await escalated(client, desk.driver)
    await client.post(f"/v1/support/tickets/{ticket_id}/status", json={"status": "pending"}, headers=desk.agent)
    path = f"/v1/chat/conversations/{conversation_id}/messages"
    for text in ("The screen says error 42", "what does charging cost here?"):
        assert (await client.post(path, json={"text": text}, headers=desk.driver)).status_code == 200
    detail = (await client.get(f"/v1/support/tickets/{ticket_id}", headers=desk.agent)).json()
    driver_lines = [m["text"] for m in detail["messages"] if m["authorRole"] == "driver"]
    assert driver_lines == ["The screen says error 42", "what does charging cost here?"]  # each once
    assert detail["status"] == "open"


async def test_conversation_stream_agent_reply_status_survey_and_rating(database_url: str) -> None:
    async with served(database_url) as client:
        desk = await desk_accounts(client, database_url)
        conversation_id, ticket_id = await escalated(client, desk.driver)
        number = f"T-{ticket_id:06d}"
        events = f"/v1/chat/conversations/{conversation_id}/events"
        async with client.stream("GET", events, headers=desk.driver) as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            reader = EventReader(stream)
            await reader.listening()

            base = f"/v1/support/tickets/{ticket_id}"
            await client.post(f"{base}/notes", json={"text": "internal only"}, headers=desk.agent)
            await client.post(f"{base}/messages", json={"text": "Restarting the charger now."}, headers=desk.agent)
            kind, reply = await reader.next()
            assert kind == "agent_reply"  # the note before it never reached the driver
            assert (reply["ticketId"], reply["number"], reply["text"]) == (
                ticket_id,
                number,
                "Restarting the charger now.",
            )
            assert reply["authorName"] == "Alex Agent"
            kind, status = await reader.next()
            assert (kind, status["status"], status["number"]) == ("ticket_status", "open", number)

            await client.post(f"{base}/status", json={"status": "solved"}, headers=desk.agent)
            kind, status = await reader.next()
            assert (kind, status["status"]) == ("ticket_status", "solved")
            kind, survey = await reader.next()
            assert kind == "survey"
            assert (survey["ticketId"], survey["scale"]) == (ticket_id, [1, 2, 3, 4, 5])

        chat = (await client.get(f"/v1/chat/conversations/{conversation_id}", headers=desk.driver)).json()
        asked = chat["messages"][-1]
        assert asked["quickReplies"] == ["1", "2", "3", "4", "5"]
        assert asked["text"] == survey["question"]
        # The driver taps "4": stored as the rating, thanked for, and once only.
        thanked = await client.post(
            f"/v1/chat/conversations/{conversation_id}/messages", json={"text": "4"}, headers=desk.driver
        )
        assert thanked.json()["intent"] == "survey"
        assert number in thanked.json()["text"]
        [mine] = (await client.get("/v1/me/tickets", headers=desk.driver)).json()
        assert mine["rating"]["score"] == 4
        assert mine["canRate"] is False
        twice = await client.post(f"/v1/me/tickets/{ticket_id}/rating", json={"score": 1}, headers=desk.driver)
        assert twice.status_code == 409
        detail = (await client.get(f"/v1/support/tickets/{ticket_id}", headers=desk.agent)).json()
        assert detail["rating"]["score"] == 4
        assert [e["action"] for e in detail["events"] if e["action"] in ("survey_sent", "rated")] == [
            "survey_sent",
            "rated",
        ]


async def test_queue_stream_sees_tickets_from_the_assistant_and_agents(database_url: str) -> None:
    async with served(database_url) as client:
        desk = await desk_accounts(client, database_url)
        refused = await client.get("/v1/support/queue/events", headers=desk.driver)
        assert refused.status_code == 403
        async with client.stream("GET", "/v1/support/queue/events", headers=desk.agent) as stream:
            reader = EventReader(stream)
            await reader.listening()
            conversation_id, ticket_id = await escalated(client, desk.driver)
            kind, summary = await reader.next()
            assert (kind, summary["id"], summary["status"], summary["source"]) == (
                "ticket",
                ticket_id,
                "new",
                "assistant",
            )
            assert summary["driver"]["name"] == "Dana"
            await client.post(f"/v1/support/tickets/{ticket_id}/claim", headers=desk.agent)
            kind, summary = await reader.next()
            assert summary["assignee"]["name"] == "Alex Agent"
            await client.post(f"/v1/support/tickets/{ticket_id}/status", json={"status": "pending"}, headers=desk.agent)
            assert (await reader.next())[1]["status"] == "pending"
            # The driver writes in the chat: the ticket opens again, and the queue hears it.
            await client.post(
                f"/v1/chat/conversations/{conversation_id}/messages", json={"text": "Still broken"}, headers=desk.driver
            )
            kind, summary = await reader.next()
            assert (kind, summary["id"], summary["status"]) == ("ticket", ticket_id, "open")


async def test_rating_through_the_api(client: Client, database_url: str) -> None:
    desk = await desk_accounts(client, database_url)
    _, ticket_id = await escalated(client, desk.driver)
    path = f"/v1/me/tickets/{ticket_id}/rating"
    early = await client.post(path, json={"score": 5}, headers=desk.driver)
    assert early.status_code == 409
    await client.post(f"/v1/support/tickets/{ticket_id}/status", json={"status": "solved"}, headers=desk.agent)
    [mine] = (await client.get("/v1/me/tickets", headers=desk.driver)).json()
    assert mine["canRate"] is True
    for bad in ({"score": 0}, {"score": 6}, {"score": "five"}, {}):
        assert (await client.post(path, json=bad, headers=desk.driver)).status_code in (400, 422), bad
    rated = await client.post(path, json={"score": 2, "comment": "Took long"}, headers=desk.driver)
    assert rated.status_code == 200, rated.text
    assert rated.json()["rating"]["score"] == 2
    assert rated.json()["rating"]["comment"] == "Took long"
    assert (await client.post(path, json={"score": 5}, headers=desk.driver)).status_code == 409
    assert ("driver", "rated") in await audit_actions(database_url, ticket_id)


async def test_reopen_within_the_window_only(client: Client, database_url: str) -> None:
    desk = await desk_accounts(client, database_url)
    _, ticket_id = await escalated(client, desk.driver)
    path = f"/v1/me/tickets/{ticket_id}/reopen"
    assert (await client.post(path, headers=desk.driver)).status_code == 409  # not solved
    await client.post(f"/v1/support/tickets/{ticket_id}/status", json={"status": "solved"}, headers=desk.agent)
    [mine] = (await client.get("/v1/me/tickets", headers=desk.driver)).json()
    assert mine["canReopen"] is True
    reopened = await client.post(path, headers=desk.driver)
    assert reopened.status_code == 200, reopened.text
    assert reopened.json()["status"] == "open"

    # Solved eight days ago, with the default window of seven days: too late.
    await client.post(f"/v1/support/tickets/{ticket_id}/status", json={"status": "solved"}, headers=desk.agent)
    await update_ticket(database_url, ticket_id, solved_at=utc_now() - timedelta(days=8))
    [mine] = (await client.get("/v1/me/tickets", headers=desk.driver)).json()
    assert mine["canReopen"] is False
    late = await client.post(path, headers=desk.driver)
    assert late.status_code == 409
    assert "7 days" in late.json()["detail"]
    assert late.json()["type"].endswith("ticket-reopen-window-over")


async def test_reopen_window_follows_the_setting(client_factory: object, database_url: str) -> None:
    client: Client = await client_factory(support_reopen_days=10)  # type: ignore[operator]
    desk = await desk_accounts(client, database_url)
    _, ticket_id = await escalated(client, desk.driver)
    await client.post(f"/v1/support/tickets/{ticket_id}/status", json={"status": "solved"}, headers=desk.agent)
    await update_ticket(database_url, ticket_id, solved_at=utc_now() - timedelta(days=8))
    assert (await client.post(f"/v1/me/tickets/{ticket_id}/reopen", headers=desk.driver)).status_code == 200


async def test_solved_tickets_close_by_themselves_once(client: Client, database_url: str) -> None:
    desk = await desk_accounts(client, database_url)
    _, old = await escalated(client, desk.driver)
    _, recent = await escalated(client, desk.driver)
    for ticket_id in (old, recent):
        await client.post(f"/v1/support/tickets/{ticket_id}/status", json={"status": "solved"}, headers=desk.agent)
    await update_ticket(database_url, old, solved_at=utc_now() - timedelta(days=5))
    engine = create_engine(database_url)
    feed = TicketFeed()
    try:
        factory = create_session_factory(engine)
        async with feed.subscribe_queue() as queue:
            assert await close_solved(factory, feed, days=4) == [old]
            event = queue.get_nowait()
            assert event is not None
            assert event.kind == "ticket"
        assert await close_solved(factory, feed, days=4) == []  # already closed: nothing twice
        # Four days on, the recent one is due too.
        assert await close_solved(factory, feed, days=4, now=utc_now() + timedelta(days=4, minutes=1)) == [recent]
    finally:
        await engine.dispose()
    statuses = {t["id"]: t["status"] for t in (await client.get("/v1/me/tickets", headers=desk.driver)).json()}
    assert statuses == {old: "closed", recent: "closed"}
    assert (await audit_actions(database_url, old))[-1] == ("system", "status")
    assert [a for a in await audit_actions(database_url, old) if a == ("system", "status")] == [("system", "status")]


async def test_the_feed_crosses_processes_on_postgresql(database_url: str) -> None:
    """Two feeds stand for two server processes: what one publishes reaches the other's streams over NOTIFY."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite runs one process: there is nothing to relay")
    here, there = TicketFeed(database_url), TicketFeed(database_url)
    await here.start()
    await there.start()
    try:

        async def both_listening() -> bool:
            return here.listening and there.listening

        await wait_for(both_listening, "both feeds listening on PostgreSQL")
        conversation = uuid.uuid4()
        async with there.subscribe_queue() as queue, there.subscribe_conversation(conversation) as chat:
            here.ticket_changed({"id": 7, "status": "open"})
            here.conversation_event(conversation, "ticket_status", {"ticketId": 7, "status": "open"})
            relayed = await asyncio.wait_for(queue.get(), 10)
            assert relayed is not None
            assert (relayed.kind, json.loads(relayed.data)) == (
                "ticket",
                {"id": 7, "status": "open"},
            )
            event = await asyncio.wait_for(chat.get(), 10)
            assert event is not None
            assert event.kind == "ticket_status"
            assert queue.empty()  # once, not twice
        async with here.subscribe_queue() as own:
            here.ticket_changed({"id": 8})
            assert own.get_nowait() is not None  # delivered in its own process at once, not echoed back later
    finally:
        await here.stop()
        await there.stop()
