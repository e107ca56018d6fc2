"""Sessions paid with Stripe: the real `stripe` SDK against localstripe, a simulated charger over a real websocket.

The hold is placed before the start, the captured amount equals the pricing engine's amount due for the stored
samples, a declined card is a 402 in words, and a start that never happens releases the hold.
"""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import select

from api.db.engine import create_engine, create_session_factory
from api.db.models import ChargingSession, MailMessage
from tests.integration.stripe_support import (
    CHARGE_DECLINED,
    VISA,
    add_card,
    app_side_client,
    captured_on,
    signed_event,
    stripe_settings,
)
from tests.integration.test_sessions import Network, expected_bill, serve, session_status
from tests.support import database_session, wait_for


async def stored(database_url: str, session_id: str) -> ChargingSession:
    async with database_session(database_url) as session:
        record = await session.get(ChargingSession, uuid.UUID(session_id))
        assert record is not None
        return record


async def test_the_card_is_held_then_charged_exactly_the_amount_due(database_url: str, localstripe_url: str) -> None:
    async with (
        serve(database_url, chargers=1, **stripe_settings(localstripe_url)) as net,
        httpx.AsyncClient(timeout=15) as client,
    ):
        headers = await net.driver(client, "paying@example.com")
        evse = net.evse_uids[0]
        no_card = await client.post(
            f"{net.base}/v1/sessions", json={"evseUid": evse}, headers={"Idempotency-Key": "no-card", **headers}
        )
        assert no_card.status_code == 402
        assert "payment method" in no_card.json()["detail"]
        assert no_card.json()["type"] == "urn:voltway:problem:payment-required"

        await add_card(client, net.base, headers, localstripe_url, VISA)
        started = await client.post(
            f"{net.base}/v1/sessions", json={"evseUid": evse}, headers={"Idempotency-Key": "paid", **headers}
        )
        assert started.status_code == 202, started.text
        session = started.json()
        assert session["payment"]["provider"] == "stripe"
        assert session["payment"]["status"] == "held"
        quote = (await client.get(f"{net.base}/v1/sessions/quote", params={"evseUid": evse})).json()
        # the quote for 60 kWh at 22 kW over two hours (44 kWh), under the EUR cap of 75
        assert Decimal(session["payment"]["holdAmount"]) == Decimal(quote["holdAmount"]) == Decimal("24.28")
        session_id = session["id"]

        async def charging() -> bool:
            return await session_status(client, net.base, headers, session_id) == "charging"

        await wait_for(charging, "charging")
        await wait_for(lambda: _energy(client, net, headers, session_id), "energy")
        await client.post(f"{net.base}/v1/sessions/{session_id}/stop", headers=headers)

        async def completed() -> bool:
            return await session_status(client, net.base, headers, session_id) == "completed"

        await wait_for(completed, "billing")
        amount_due, minor = await expected_bill(net.database_url, session_id)
        final = (await client.get(f"{net.base}/v1/sessions/{session_id}", headers=headers)).json()
        assert final["payment"]["status"] == "captured"
        assert Decimal(final["payment"]["captured"]) == amount_due
        record = await stored(net.database_url, session_id)
        assert record.payment_reference
        assert captured_on(app_side_client(localstripe_url), record.payment_reference) == minor
        receipt = (await client.get(f"{net.base}/v1/sessions/{session_id}/receipt", headers=headers)).json()
        assert Decimal(receipt["amountDue"]) == amount_due == Decimal(receipt["payment"]["captured"])

        # a refund made in Stripe's dashboard shows on the session through the webhook
        payload, signature = signed_event(
            "charge.refunded",
            {"object": "charge", "id": "ch_refund", "payment_intent": record.payment_reference, "amount_refunded": 50},
            event_id="evt_refund_1",
        )
        hook = await client.post(
            f"{net.base}/webhooks/stripe",
            content=payload,
            headers={"Stripe-Signature": signature, "content-type": "application/json"},
        )
        assert hook.status_code == 200, hook.text
        refunded = (await client.get(f"{net.base}/v1/sessions/{session_id}", headers=headers)).json()
        assert refunded["payment"]["status"] == "refunded"


async def _energy(client: httpx.AsyncClient, net: Network, headers: dict[str, str], session_id: str) -> bool:
    view = (await client.get(f"{net.base}/v1/sessions/{session_id}", headers=headers)).json()
    return Decimal(view["energyKwh"]) > 0


async def test_a_declined_card_is_refused_in_words_and_frees_the_connector(
    database_url: str, localstripe_url: str
) -> None:
    async with (
        serve(database_url, chargers=1, **stripe_settings(localstripe_url)) as net,
        httpx.AsyncClient(timeout=15) as client,
    ):
        headers = await net.driver(client, "declined@example.com")
        await add_card(client, net.base, headers, localstripe_url, CHARGE_DECLINED)
        evse = net.evse_uids[0]
        refused = await client.post(
            f"{net.base}/v1/sessions", json={"evseUid": evse}, headers={"Idempotency-Key": "d1", **headers}
        )
        assert refused.status_code == 402
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert "declined" in refused.json()["detail"].lower()
        assert refused.json()["type"] == "urn:voltway:problem:card-declined"
        replay = await client.post(
            f"{net.base}/v1/sessions", json={"evseUid": evse}, headers={"Idempotency-Key": "d1", **headers}
        )
        assert replay.status_code == 402  # the same key gives the same answer
        assert replay.json()["type"] == "urn:voltway:problem:card-declined"
        other = await net.driver(client, "other@example.com")
        await add_card(client, net.base, other, localstripe_url, VISA)
        started = await client.post(
            f"{net.base}/v1/sessions", json={"evseUid": evse}, headers={"Idempotency-Key": "o1", **other}
        )
        assert started.status_code == 202, started.text  # the declined attempt does not block the connector


async def test_a_cancelled_start_releases_the_hold(database_url: str, localstripe_url: str) -> None:
    async with (
        serve(database_url, chargers=1, **stripe_settings(localstripe_url)) as net,
        httpx.AsyncClient(timeout=15) as client,
    ):
        headers = await net.driver(client, "cancel@example.com")
        await add_card(client, net.base, headers, localstripe_url, VISA)
        net.simulators[0].request_stop()  # the charger will not start
        started = await client.post(
            f"{net.base}/v1/sessions",
            json={"evseUid": net.evse_uids[0]},
            headers={"Idempotency-Key": "c1", **headers},
        )
        if started.status_code == 409:
            return  # already shown offline: refused before any hold
        session_id = started.json()["id"]

        async def failed() -> bool:
            return await session_status(client, net.base, headers, session_id) == "failed"

        await wait_for(failed, "the start to fail", seconds=30)

        async def released() -> bool:
            # the hold is cancelled at the provider after the session is marked failed, then recorded
            view = (await client.get(f"{net.base}/v1/sessions/{session_id}", headers=headers)).json()
            return bool(view["payment"]["status"] == "released")

        await wait_for(released, "the hold to be released", seconds=30)
        record = await stored(net.database_url, session_id)
        assert record.payment_reference
        intent = app_side_client(localstripe_url).v1.payment_intents.retrieve(record.payment_reference)
        assert intent.status == "canceled"


async def test_a_guest_pays_with_a_card_and_is_charged_the_amount_due(database_url: str, localstripe_url: str) -> None:
    async with (
        serve(database_url, chargers=1, **stripe_settings(localstripe_url)) as net,
        httpx.AsyncClient(timeout=15) as client,
    ):
        email = f"guest-{uuid.uuid4().hex[:8]}@example.com"
        key = {"Idempotency-Key": f"qr-{uuid.uuid4()}"}
        body = {"evseUid": net.evse_uids[0], "email": email, "paymentMethodId": "pm_card_visa"}
        no_card = await client.post(
            f"{net.base}/v1/guest/sessions", json={"evseUid": net.evse_uids[0], "email": email}, headers=key
        )
        assert no_card.status_code == 422  # the card form's payment method is needed
        no_key = await client.post(f"{net.base}/v1/guest/sessions", json=body)
        assert no_key.status_code == 422
        assert no_key.json()["errors"][0]["field"] == "Idempotency-Key"
        started = await client.post(f"{net.base}/v1/guest/sessions", json=body, headers=key)
        assert started.status_code == 202, started.text
        first = started.json()
        session_id, token = first["session"]["id"], first["accessToken"]
        assert first["session"]["payment"]["status"] == "held"
        record = await stored(net.database_url, session_id)
        assert record.payment_reference
        assert app_side_client(localstripe_url).v1.payment_intents.retrieve(record.payment_reference).status == (
            "requires_capture"
        )

        # a retried request (the answer got lost) gets the same session and the same access token
        again = await client.post(f"{net.base}/v1/guest/sessions", json=body, headers=key)
        assert again.status_code == 202, again.text
        assert again.json()["session"]["id"] == session_id
        assert again.json()["accessToken"] == token
        reused = await client.post(
            f"{net.base}/v1/guest/sessions", json={**body, "paymentMethodId": "pm_card_mastercard"}, headers=key
        )
        assert reused.status_code == 422
        assert reused.json()["type"] == "urn:voltway:problem:idempotency-key-reused"

        async def charging() -> bool:
            view = await client.get(f"{net.base}/v1/guest/sessions/{session_id}", params={"token": token})
            return bool(view.json()["status"] == "charging")

        await wait_for(charging, "charging")
        await asyncio.sleep(2)
        await client.post(f"{net.base}/v1/guest/sessions/{session_id}/stop", params={"token": token})

        async def completed() -> bool:
            view = await client.get(f"{net.base}/v1/guest/sessions/{session_id}", params={"token": token})
            return bool(view.json()["status"] == "completed")

        await wait_for(completed, "billing")
        amount_due, minor = await expected_bill(net.database_url, session_id)
        record = await stored(net.database_url, session_id)
        assert record.payment_reference
        assert captured_on(app_side_client(localstripe_url), record.payment_reference) == minor
        receipt = (
            await client.get(f"{net.base}/v1/guest/sessions/{session_id}/receipt", params={"token": token})
        ).json()
        assert Decimal(receipt["amountDue"]) == amount_due
        page = await client.get(first["receiptUrl"].replace(first["receiptUrl"].split("/v1/")[0], net.base))
        assert page.status_code == 200
        assert f"{receipt['amountDue']} EUR" in page.text
        links = [mail for mail in await mails_to(net.database_url, email) if first["receiptUrl"] in mail.body]
        assert len(links) == 1  # the link went out once, not again for the retried request


async def test_guest_starts_are_limited_per_address_and_per_evse(database_url: str, localstripe_url: str) -> None:
    limits: dict[str, Any] = {"guest_starts_per_address_per_hour": 2, "guest_starts_per_evse_per_hour": 1}
    async with (
        serve(database_url, chargers=2, **stripe_settings(localstripe_url), **limits) as net,
        httpx.AsyncClient(timeout=15) as client,
    ):
        started: list[dict[str, Any]] = []

        async def guest_start(evse: str, address: str) -> httpx.Response:
            answer = await client.post(
                f"{net.base}/v1/guest/sessions",
                json={"evseUid": evse, "email": "limited@example.com", "paymentMethodId": "pm_card_visa"},
                headers={"Idempotency-Key": str(uuid.uuid4()), "X-Forwarded-For": address},
            )
            if answer.status_code == 202:
                started.append(answer.json())
            return answer

        first, second = net.evse_uids
        assert (await guest_start(first, "198.51.100.1")).status_code == 202
        at_evse = await guest_start(first, "198.51.100.2")
        assert at_evse.status_code == 429, at_evse.text
        assert at_evse.json()["type"] == "urn:voltway:problem:rate-limited"
        assert "charger" in at_evse.json()["detail"]
        assert 0 < int(at_evse.headers["retry-after"]) <= 3600
        assert (await guest_start(second, "198.51.100.1")).status_code == 202
        from_address = await guest_start(second, "198.51.100.1")
        assert from_address.status_code == 429, from_address.text
        assert "address" in from_address.json()["detail"]
        assert 0 < int(from_address.headers["retry-after"]) <= 3600
        assert len(started) == 2
        for body in started:
            await client.post(
                f"{net.base}/v1/guest/sessions/{body['session']['id']}/stop", params={"token": body["accessToken"]}
            )


async def mails_to(database_url: str, address: str) -> list[MailMessage]:
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            return list((await session.execute(select(MailMessage).where(MailMessage.to_address == address))).scalars())
    finally:
        await engine.dispose()
