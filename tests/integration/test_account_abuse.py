"""What a stranger cannot do with accounts: flood an address with mail, learn who has an account, put words into
our mails, or pile up devices, cards and conversations."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from api.db.engine import create_engine, create_session_factory
from api.db.models import MailMessage, User
from tests.integration.conftest import ClientFactory
from tests.integration.test_accounts import PASSWORD, assert_problem, bearer, login, register

Client = AsyncTestClient[Litestar]


async def mails_to(database_url: str, address: str) -> list[MailMessage]:
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            query = select(MailMessage).where(MailMessage.to_address == address).order_by(MailMessage.created_at)
            return list((await session.execute(query)).scalars())
    finally:
        await engine.dispose()


async def count_users(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            return int(await session.scalar(select(func.count()).select_from(User)) or 0)
    finally:
        await engine.dispose()


async def test_password_reset_mails_stop_at_the_hourly_limit(client_factory: ClientFactory, database_url: str) -> None:
    client = await client_factory(mail_per_address_per_hour=3)
    await register(client)
    answers = [await client.post("/v1/auth/password-reset", json={"email": "dana@example.com"}) for _ in range(30)]
    assert {a.status_code for a in answers} == {202}
    assert len({a.text for a in answers}) == 1  # the same answer, sent or not
    resets = [m for m in await mails_to(database_url, "dana@example.com") if m.kind == "password_reset"]
    assert len(resets) == 3


async def test_verification_mails_stop_at_the_hourly_limit(client_factory: ClientFactory, database_url: str) -> None:
    client = await client_factory(mail_per_address_per_hour=3)
    await register(client)  # the first verification mail
    tokens = await login(client)
    answers = [await client.post("/v1/me/email-verification", headers=bearer(tokens)) for _ in range(20)]
    assert {a.status_code for a in answers} == {202}
    assert len({a.text for a in answers}) == 1
    verifications = [m for m in await mails_to(database_url, "dana@example.com") if m.kind == "verify_email"]
    assert len(verifications) == 3


async def test_registering_a_taken_address_answers_alike_and_tells_its_owner(client: Client, database_url: str) -> None:
    first = await client.post(
        "/v1/auth/register", json={"email": "dana@example.com", "password": PASSWORD, "name": "Dana"}
    )
    again = await client.post(
        "/v1/auth/register",
        json={"email": "DANA@example.com", "password": "another long password", "name": "log in at http://evil"},
    )
    fresh = await client.post(
        "/v1/auth/register", json={"email": "erin@example.com", "password": PASSWORD, "name": "log in at http://evil"}
    )
    assert first.status_code == again.status_code == fresh.status_code == 201
    assert again.json().keys() == fresh.json().keys() == first.json().keys()
    assert again.json()["emailVerified"] is fresh.json()["emailVerified"] is False
    assert await count_users(database_url) == 2
    # The owner keeps the account and password, and hears that someone tried.
    assert (await login(client))["accessToken"]
    subjects = [m.subject for m in await mails_to(database_url, "dana@example.com")]
    assert subjects == ["Confirm your email address", "Someone tried to register with your address"]


async def test_mails_carry_no_text_the_registrant_typed(client: Client, database_url: str) -> None:
    bait = "Dana - log in at http://evil.example"
    await register(client, email="stranger@example.com", name=bait)
    await client.post("/v1/auth/register", json={"email": "stranger@example.com", "password": PASSWORD, "name": bait})
    await client.post("/v1/auth/password-reset", json={"email": "stranger@example.com"})
    tokens = await login(client, email="stranger@example.com")
    await register(client, email="owner@example.com")
    await client.patch("/v1/me", headers=bearer(tokens), json={"email": "owner@example.com", "name": bait})
    await client.patch("/v1/me", headers=bearer(tokens), json={"email": "new@example.com"})
    sent = [
        *await mails_to(database_url, "stranger@example.com"),
        *await mails_to(database_url, "owner@example.com"),
        *await mails_to(database_url, "new@example.com"),
    ]
    assert len(sent) >= 5
    for mail in sent:
        assert "evil" not in mail.body
        assert "evil" not in mail.subject
        assert "Dana" not in mail.body


async def test_changing_to_a_taken_address_answers_alike_and_tells_its_owner(client: Client, database_url: str) -> None:
    await register(client, email="owner@example.com")
    await register(client)
    tokens = await login(client)
    taken = await client.patch("/v1/me", headers=bearer(tokens), json={"email": "owner@example.com"})
    free = await client.patch("/v1/me", headers=bearer(tokens), json={"email": "free@example.com"})
    assert taken.status_code == free.status_code == 200
    assert taken.json().keys() == free.json().keys()
    assert taken.json()["pendingEmail"] == "owner@example.com"
    assert free.json()["pendingEmail"] == "free@example.com"
    owner_mails = [m.subject for m in await mails_to(database_url, "owner@example.com")]
    assert owner_mails[-1] == "Someone tried to use your address"
    assert "Confirm your new email address" in [m.subject for m in await mails_to(database_url, "free@example.com")]
    # The owner's account is untouched.
    assert (await login(client, email="owner@example.com"))["accessToken"]


async def test_an_old_change_link_cannot_confirm_a_later_address(client: Client, database_url: str) -> None:
    import re

    await register(client)
    tokens = await login(client)
    await client.patch("/v1/me", headers=bearer(tokens), json={"email": "first@example.com"})
    await client.patch("/v1/me", headers=bearer(tokens), json={"email": "second@example.com"})
    first_link = re.search(r"token=(\S+)", (await mails_to(database_url, "first@example.com"))[0].body)
    assert first_link is not None
    stale = await client.post("/v1/auth/verify-email", json={"token": first_link.group(1)})
    assert_problem(stale, 422)
    assert (await client.get("/v1/me", headers=bearer(tokens))).json()["email"] == "dana@example.com"


async def _fill(client: Client, headers: dict[str, str], kind: str, n: int) -> list[Any]:
    answers = []
    for i in range(n):
        if kind == "devices":
            body = {"platform": "ios", "token": f"push-{i}"}
            answers.append(await client.post("/v1/me/devices", json=body, headers=headers))
        elif kind == "cards":
            answers.append(await client.post("/v1/me/tokens", json={"uid": f"0A0B0C0D{i:04X}"}, headers=headers))
        else:
            answers.append(await client.post("/v1/chat/conversations", json={}, headers=headers))
    return answers


async def test_devices_cards_and_conversations_are_capped_per_account(client_factory: ClientFactory) -> None:
    client = await client_factory(max_devices_per_account=3, max_cards_per_account=2, max_conversations_per_day=2)
    await register(client)
    headers = bearer(await login(client))
    for kind, cap in (("devices", 3), ("cards", 2), ("conversations", 2)):
        answers = await _fill(client, headers, kind, cap + 2)
        assert all(a.status_code in {200, 201} for a in answers[:cap]), kind
        for refused in answers[cap:]:
            problem = assert_problem(refused, 409)
            assert problem["type"] == "urn:voltway:problem:limit-reached"
            assert str(cap) in problem["detail"]
    # Registering a device already known is not a new one.
    again = await client.post("/v1/me/devices", json={"platform": "ios", "token": "push-0"}, headers=headers)
    assert again.status_code == 201
    # Another account has its own room.
    await register(client, email="erin@example.com")
    erin = bearer(await login(client, email="erin@example.com"))
    assert (await client.post("/v1/me/tokens", json={"uid": "0E0E0E0E"}, headers=erin)).status_code == 201
