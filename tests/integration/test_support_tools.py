"""The support desk's tools on a ticket, end to end on SQLite and PostgreSQL: the app served by uvicorn with its OCPP
bridge and simulated chargers over real websockets; remote actions the simulated charger really carries out,
diagnostics after a real session with meter values, and refunds through localstripe and with the `none` provider
that show on the receipt, the CSV export and the ticket."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import msgspec
from sqlalchemy import select

from api.db.models import ChatActionAudit, SupportTicket, SupportTicketEvent, SupportTicketMessage
from api.db.types import utc_now
from api.domain.chargers.provisioning import add_charger
from api.domain.drivers.commands import add_user
from api.domain.support.audit import SYSTEM
from api.domain.support.sla import build_policy
from api.domain.support.workflow import open_ticket
from api.security.tokens import Role
from tests.integration.stripe_support import VISA, add_card, app_side_client, captured_on, stripe_settings
from tests.integration.test_sessions import Network, serve, session_status
from tests.support import database_session, make_settings, wait_for

PASSWORD = "long enough password"


async def staff(client: httpx.AsyncClient, net: Network, role: Role, name: str) -> tuple[dict[str, str], str]:
    """A signed-in agent or admin: (headers, user id)."""
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    user_id = await add_user(
        make_settings(database_url=net.database_url), email=email, password=PASSWORD, role=role, name=name
    )
    tokens = (await client.post(f"{net.base}/v1/auth/login", json={"email": email, "password": PASSWORD})).json()
    return {"Authorization": f"Bearer {tokens['accessToken']}"}, user_id


async def me(client: httpx.AsyncClient, net: Network, headers: dict[str, str]) -> uuid.UUID:
    return uuid.UUID((await client.get(f"{net.base}/v1/me", headers=headers)).json()["id"])


async def ticket_about(
    net: Network, *, charger_id: str | None, user_id: uuid.UUID | None, session_id: str | None
) -> int:
    """A ticket as the desk opens one, about a charger, a driver and their session."""
    async with database_session(net.database_url) as session:
        ticket = await open_ticket(
            session,
            policy=build_policy("", "", "UTC"),
            actor=SYSTEM,
            source="agent",
            priority="normal",
            category="charger_fault",
            summary="The driver's charge went wrong",
            now=utc_now(),
            user_id=user_id,
            charger_id=charger_id,
            session_id=uuid.UUID(session_id) if session_id else None,
        )
        await session.commit()
        return ticket.id


async def charge(
    client: httpx.AsyncClient, net: Network, headers: dict[str, str], evse: str, *, stop: bool = True
) -> str:
    """A session at `evse` with energy delivered; stopped and billed unless `stop` is False."""
    started = await client.post(
        f"{net.base}/v1/sessions", json={"evseUid": evse}, headers={"Idempotency-Key": str(uuid.uuid4()), **headers}
    )
    assert started.status_code == 202, started.text
    session_id: str = started.json()["id"]

    async def energy() -> bool:
        view = (await client.get(f"{net.base}/v1/sessions/{session_id}", headers=headers)).json()
        return view["status"] == "charging" and Decimal(view["energyKwh"]) > 0

    await wait_for(energy, "energy flowing")
    if stop:
        await client.post(f"{net.base}/v1/sessions/{session_id}/stop", headers=headers)

        async def completed() -> bool:
            return await session_status(client, net.base, headers, session_id) == "completed"

        await wait_for(completed, "the session to be billed")
    return session_id


async def events_of(net: Network, ticket_id: int) -> list[SupportTicketEvent]:
    async with database_session(net.database_url) as session:
        rows = await session.execute(
            select(SupportTicketEvent).where(SupportTicketEvent.ticket_id == ticket_id).order_by(SupportTicketEvent.id)
        )
        return list(rows.scalars())


async def messages_of(net: Network, ticket_id: int) -> list[str]:
    async with database_session(net.database_url) as session:
        rows = await session.execute(
            select(SupportTicketMessage.text)
            .where(SupportTicketMessage.ticket_id == ticket_id, SupportTicketMessage.visibility == "system")
            .order_by(SupportTicketMessage.id)
        )
        return list(rows.scalars())


def problem(answer: httpx.Response, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = answer.json()
    return body


async def test_agents_act_on_the_tickets_charger_and_the_charger_really_does_it(database_url: str) -> None:
    async with serve(database_url, chargers=1) as net, httpx.AsyncClient(timeout=30) as client:
        report = net.simulators[0].report
        driver = await net.driver(client, f"stuck-{uuid.uuid4().hex[:8]}@example.com")
        agent, agent_id = await staff(client, net, "agent", "Alex Agent")
        admin, _ = await staff(client, net, "admin", "Ada Admin")
        session_id = await charge(client, net, driver, net.evse_uids[0], stop=False)
        ticket = await ticket_about(
            net, charger_id="SES-00001", user_id=await me(client, net, driver), session_id=session_id
        )
        actions = f"{net.base}/v1/support/tickets/{ticket}/actions"

        offered = (await client.get(actions, headers=agent)).json()
        assert [a["action"] for a in offered] == ["unlock_connector", "stop_session", "soft_reset", "trigger_status"]
        assert [a["action"] for a in offered if a["needsConnector"]] == ["unlock_connector"]
        to_admins = (await client.get(actions, headers=admin)).json()
        assert {a["action"] for a in to_admins if a["adminOnly"]} == {"hard_reset", "change_availability"}
        assert (await client.get(f"{net.base}/v1/support/tickets/999999/actions", headers=agent)).status_code == 404
        assert (await client.get(actions, headers=driver)).status_code == 403

        # admin-only actions are refused to agents, and nothing reaches the charger
        boots = report.boots
        for body in ({"action": "hard_reset"}, {"action": "change_availability", "operative": False}):
            refused = problem(await client.post(actions, json=body, headers=agent), 403)
            assert body["action"] in refused["detail"]
        assert report.boots == boots

        status = await client.post(actions, json={"action": "trigger_status"}, headers=agent)
        assert status.status_code == 200, status.text
        assert status.json() == {"action": "trigger_status", "status": "Accepted", "detail": ""}

        # the agent stops the driver's session: the charger ends it and it is billed
        stopped = await client.post(actions, json={"action": "stop_session"}, headers=agent)
        assert stopped.json()["status"] == "Accepted", stopped.text

        async def completed() -> bool:
            return await session_status(client, net.base, driver, session_id) == "completed"

        await wait_for(completed, "the stopped session to be billed")
        nothing = problem(await client.post(actions, json={"action": "stop_session"}, headers=agent), 409)
        assert "No charging session" in nothing["detail"]

        assert report.unlocks == 0
        unlocked = await client.post(actions, json={"action": "unlock_connector"}, headers=agent)
        assert unlocked.json() == {"action": "unlock_connector", "status": "Unlocked", "detail": ""}
        assert report.unlocks == 1  # the charger released the cable

        reset = await client.post(actions, json={"action": "soft_reset"}, headers=agent)
        assert reset.json()["status"] == "Accepted"

        async def rebooted() -> bool:
            return report.boots > boots

        await wait_for(rebooted, "the charger to restart")

        async def back_online() -> bool:
            answer = await client.post(actions, json={"action": "trigger_status"}, headers=agent)
            return answer.status_code == 200

        await wait_for(back_online, "the charger back online")
        inoperative = await client.post(
            actions, json={"action": "change_availability", "operative": False}, headers=admin
        )
        assert inoperative.json()["status"] == "Accepted", inoperative.text
        no_flag = problem(await client.post(actions, json={"action": "change_availability"}, headers=admin), 422)
        assert no_flag["errors"][0]["field"] == "operative"

        # every action is on the ticket (audit trail with the agent's name, actions tried) and in the command audit
        trail = [e for e in await events_of(net, ticket) if e.action == "remote_action"]
        assert [(e.actor_name, e.detail["action"], e.detail["status"]) for e in trail][:4] == [
            ("Alex Agent", "trigger_status", "Accepted"),
            ("Alex Agent", "stop_session", "Accepted"),
            ("Alex Agent", "unlock_connector", "Unlocked"),
            ("Alex Agent", "soft_reset", "Accepted"),
        ]
        assert trail[-1].actor_name == "Ada Admin"
        assert trail[-1].detail["action"] == "change_availability"
        async with database_session(net.database_url) as session:
            stored = await session.get(SupportTicket, ticket)
            assert stored is not None
            assert [a["kind"] for a in stored.actions_tried][:2] == ["trigger_status", "stop_session"]
            assert stored.actions_tried[2]["by"] == "Alex Agent"
            audited = (
                await session.execute(select(ChatActionAudit).where(ChatActionAudit.user_id == uuid.UUID(agent_id)))
            ).scalars()
            assert {row.action for row in audited} >= {"unlock_connector", "stop_session", "soft_reset"}

        # a charger that is not connected is a clear 409, recorded on the ticket too
        async with database_session(net.database_url) as session:
            await add_charger(
                session, ocpp_id="OFF-00001", password="offline-charger-secret", country_code="NL", party_id="VWY"
            )
            await session.commit()
        offline = await ticket_about(net, charger_id="OFF-00001", user_id=None, session_id=None)
        gone = problem(
            await client.post(
                f"{net.base}/v1/support/tickets/{offline}/actions", json={"action": "unlock_connector"}, headers=agent
            ),
            409,
        )
        assert "not connected" in gone["detail"]
        assert [e.detail["status"] for e in await events_of(net, offline) if e.action == "remote_action"] == [
            "not-connected"
        ]


class FakeJournal:
    """A fake of the bridge's message journal, which is wired in at the composition root (not part of this test):
    it answers one frame for the charger it knows."""

    class Frame(msgspec.Struct, frozen=True):
        at: datetime
        direction: str
        message_type: str | None
        action: str | None
        unique_id: str | None
        payload: Any

    async def __call__(self, charger_id: str, limit: int) -> Sequence[FakeJournal.Frame] | None:
        if charger_id != "SES-00001":
            return None
        frame = FakeJournal.Frame(datetime.now(UTC), "charger->csms", "Call", "Heartbeat", "m1", {})
        return [frame][:limit]


async def test_diagnostics_and_adjustments_of_a_session_billed_outside_the_app(database_url: str) -> None:
    async with serve(database_url, chargers=1) as net, httpx.AsyncClient(timeout=30) as client:
        driver = await net.driver(client, f"billed-{uuid.uuid4().hex[:8]}@example.com")
        agent, _ = await staff(client, net, "agent", "Alex Agent")
        driver_id = await me(client, net, driver)
        session_id = await charge(client, net, driver, net.evse_uids[0])
        ticket = await ticket_about(net, charger_id="SES-00001", user_id=driver_id, session_id=session_id)
        base = f"{net.base}/v1/support/tickets/{ticket}"

        async def settled() -> dict[str, Any] | None:  # the charger reports its connector free again
            answer: dict[str, Any] = (await client.get(f"{base}/diagnostics", headers=agent)).json()
            return answer if answer["charger"]["status"] == "Available" else None

        diagnostics = await wait_for(settled, "the charger to report Available")
        charger = diagnostics["charger"]
        assert charger["id"] == "SES-00001"
        assert charger["connected"] is True
        assert charger["status"] == "Available"
        assert charger["lastHeard"] is not None
        assert charger["evses"][0]["evseId"] == 1
        assert charger["evses"][0]["connectors"][0]["status"] == "Available"
        # the charger's last OCPP messages, from the bridge's journal: its boot, statuses, the session's messages
        assert diagnostics["journalAvailable"] is True
        journal_actions = {line["action"] for line in diagnostics["journal"]}
        assert {"BootNotification", "StatusNotification", "StartTransaction", "StopTransaction"} <= journal_actions
        assert {line["direction"] for line in diagnostics["journal"]} == {"charger->csms", "csms->charger"}
        assert len(diagnostics["journal"]) <= 50
        session = diagnostics["session"]
        assert session["id"] == session_id
        assert session["status"] == "completed"
        curve = session["meterCurve"]
        assert len(curve) >= 2
        energies = [point["energyWh"] for point in curve if point["energyWh"] is not None]
        assert energies == sorted(energies)
        assert energies[-1] > 0
        assert any(point["powerW"] for point in curve)
        receipt = (await client.get(f"{net.base}/v1/sessions/{session_id}/receipt", headers=driver)).json()
        assert Decimal(session["cost"]["total"]) == Decimal(receipt["totalInclVat"])
        assert [line["description"] for line in session["cost"]["lines"]] == [
            line["description"] for line in receipt["lines"]
        ]
        assert diagnostics["driver"]["id"] == str(driver_id)
        assert [s["id"] for s in diagnostics["driver"]["lastSessions"]] == [session_id]
        assert diagnostics["driver"]["paymentState"] == "billed_outside"
        for unknown in ("999999", "0", str(2**64)):
            missing = await client.get(f"{net.base}/v1/support/tickets/{unknown}/diagnostics", headers=agent)
            assert missing.status_code == 404, unknown
            for route in ("", "/canned-replies"):  # the desk's own routes find tickets the same way
                missing = await client.get(f"{net.base}/v1/support/tickets/{unknown}{route}", headers=agent)
                assert missing.status_code == 404, (unknown, route)

        # the message journal comes from the reader the composition root gives
        net.app.state.journal_reader = FakeJournal()
        journal = (await client.get(f"{base}/diagnostics", headers=agent)).json()
        assert journal["journalAvailable"] is True
        assert [(line["action"], line["uniqueId"]) for line in journal["journal"]] == [("Heartbeat", "m1")]

        # adjustments: nothing moves through a provider, but the bill is lowered
        due = Decimal(receipt["amountDue"])
        assert due > Decimal("0.10")
        refunds = f"{base}/refunds"
        no_key = problem(await client.post(refunds, json={"reasonCode": "goodwill"}, headers=agent), 422)
        assert no_key["errors"][0]["field"] == "Idempotency-Key"
        first = await client.post(
            refunds, json={"reasonCode": "goodwill", "amount": "0.10"}, headers={**agent, "Idempotency-Key": "a1"}
        )
        assert first.status_code == 201, first.text
        assert first.json()["kind"] == "adjustment"
        assert first.json()["status"] == "recorded"
        assert first.json()["amount"] == "0.10"
        assert first.json()["providerReference"] is None
        again = await client.post(
            refunds, json={"reasonCode": "goodwill", "amount": "0.10"}, headers={**agent, "Idempotency-Key": "a1"}
        )
        assert again.status_code == 200
        assert again.json() == first.json()
        reused = problem(
            await client.post(
                refunds, json={"reasonCode": "goodwill", "amount": "0.20"}, headers={**agent, "Idempotency-Key": "a1"}
            ),
            422,
        )
        assert reused["type"] == "urn:voltway:problem:idempotency-key-reused"
        left = due - Decimal("0.10")
        too_much = problem(
            await client.post(
                refunds,
                json={"reasonCode": "billing_error", "amount": str(left + Decimal("0.01"))},
                headers={**agent, "Idempotency-Key": "a2"},
            ),
            422,
        )
        assert f"{left:.2f} EUR" in too_much["errors"][0]["message"]
        rest = await client.post(
            refunds, json={"reasonCode": "billing_error"}, headers={**agent, "Idempotency-Key": "a3"}
        )
        assert rest.status_code == 201, rest.text
        assert Decimal(rest.json()["amount"]) == left
        listed = (await client.get(refunds, headers=agent)).json()
        assert [item["id"] for item in listed] == [first.json()["id"], rest.json()["id"]]
        nothing_left = problem(
            await client.post(refunds, json={"reasonCode": "other"}, headers={**agent, "Idempotency-Key": "a4"}), 422
        )
        assert "nothing is left" in nothing_left["errors"][0]["message"]

        after = (await client.get(f"{net.base}/v1/sessions/{session_id}/receipt", headers=driver)).json()
        assert [(a["kind"], Decimal(a["amount"])) for a in after["adjustments"]] == [
            ("adjustment", Decimal("0.10")),
            ("adjustment", left),
        ]
        assert Decimal(after["netAmount"]) == 0
        page = (await client.get(f"{net.base}/v1/sessions/{session_id}/receipt.html", headers=driver)).text
        assert "Adjustment (goodwill" in page
        assert 'id="net-amount">0.00 EUR' in page
        exported = list(
            csv.DictReader(io.StringIO((await client.get(f"{net.base}/v1/sessions/export.csv", headers=driver)).text))
        )
        assert Decimal(exported[0]["refunded"]) == due
        assert Decimal(exported[0]["net_amount"]) == 0
        assert await messages_of(net, ticket) == [
            "Your bill was lowered by €0.10",
            f"Your bill was lowered by €{left:.2f}",
        ]
        assert [e.actor_name for e in await events_of(net, ticket) if e.action == "adjustment"] == ["Alex Agent"] * 2


async def test_refunds_through_stripe_partial_then_the_rest_once_each(database_url: str, localstripe_url: str) -> None:
    async with (
        serve(database_url, chargers=1, **stripe_settings(localstripe_url)) as net,
        httpx.AsyncClient(timeout=30) as client,
    ):
        driver = await net.driver(client, f"refund-{uuid.uuid4().hex[:8]}@example.com")
        await add_card(client, net.base, driver, localstripe_url, VISA)
        agent, _ = await staff(client, net, "agent", "Alex Agent")
        session_id = await charge(client, net, driver, net.evse_uids[0])
        ticket = await ticket_about(
            net, charger_id="SES-00001", user_id=await me(client, net, driver), session_id=session_id
        )
        view = (await client.get(f"{net.base}/v1/sessions/{session_id}", headers=driver)).json()
        captured = Decimal(view["payment"]["captured"])
        assert view["payment"]["status"] == "captured"
        assert captured > Decimal("0.25")
        async with database_session(net.database_url) as session:
            from api.db.models import ChargingSession

            record = await session.get(ChargingSession, uuid.UUID(session_id))
            assert record is not None
            assert record.payment_reference
            intent = record.payment_reference
        stripe = app_side_client(localstripe_url)
        captured_minor = captured_on(stripe, intent)
        refunds = f"{net.base}/v1/support/tickets/{ticket}/refunds"

        # the same request sent twice at once (a double click): one refund
        body = {"reasonCode": "charger_fault", "amount": "0.25", "comment": "Stopped early twice"}
        both = await asyncio.gather(
            *(client.post(refunds, json=body, headers={**agent, "Idempotency-Key": "double"}) for _ in range(2))
        )
        assert sorted(answer.status_code for answer in both) == [200, 201], [a.text for a in both]
        assert both[0].json() == both[1].json()
        first = both[0].json()
        assert first["kind"] == "refund"
        assert first["status"] == "succeeded"
        assert first["providerReference"].startswith("re_")
        assert captured_on(stripe, intent) == captured_minor - 25  # refunded once, not twice

        left = captured - Decimal("0.25")
        too_much = problem(
            await client.post(
                refunds,
                json={"reasonCode": "goodwill", "amount": str(left + Decimal("0.01"))},
                headers={**agent, "Idempotency-Key": "over"},
            ),
            422,
        )
        assert f"{left:.2f} EUR" in too_much["errors"][0]["message"]
        rest = await client.post(refunds, json={"reasonCode": "goodwill"}, headers={**agent, "Idempotency-Key": "rest"})
        assert rest.status_code == 201, rest.text
        assert Decimal(rest.json()["amount"]) == left
        assert captured_on(stripe, intent) == 0

        after = (await client.get(f"{net.base}/v1/sessions/{session_id}/receipt", headers=driver)).json()
        assert after["payment"]["status"] == "refunded"
        assert Decimal(after["payment"]["refunded"]) == captured
        assert [(a["kind"], a["reasonCode"]) for a in after["adjustments"]] == [
            ("refund", "charger_fault"),
            ("refund", "goodwill"),
        ]
        assert Decimal(after["netAmount"]) == Decimal(after["amountDue"]) - captured
        page = (await client.get(f"{net.base}/v1/sessions/{session_id}/receipt.html", headers=driver)).text
        assert "Refund (charger fault" in page
        assert f"{captured:.2f} EUR refunded" in page
        exported = list(
            csv.DictReader(io.StringIO((await client.get(f"{net.base}/v1/sessions/export.csv", headers=driver)).text))
        )
        assert Decimal(exported[0]["refunded"]) == captured
        assert await messages_of(net, ticket) == ["Refund of €0.25 issued", f"Refund of €{left:.2f} issued"]
        listed = (await client.get(refunds, headers=agent)).json()
        assert [item["amount"] for item in listed] == ["0.25", f"{left:.2f}"]
        assert listed[0]["comment"] == "Stopped early twice"
        assert listed[0]["actorName"] == "Alex Agent"
