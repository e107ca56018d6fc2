"""Ending a sign-in (sign-out, reused refresh token, erasure) ends its access tokens too, on every process."""

from __future__ import annotations

import uuid

import pytest
from litestar import Litestar
from litestar.exceptions import WebSocketDisconnect
from litestar.testing import AsyncTestClient

from api.db.engine import create_engine, create_session_factory
from api.domain.drivers.id_tokens import IdTokenCreate, add_driver_token
from api.errors import Unauthorized
from api.security.sign_ins import SignInCheck
from tests.integration.conftest import ClientFactory
from tests.integration.test_accounts import assert_problem, bearer, login, register
from tests.support import make_settings

Client = AsyncTestClient[Litestar]


class ManualClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def signed_in(client: Client, email: str = "dana@example.com") -> dict[str, str]:
    await register(client, email=email)
    return bearer(await login(client, email=email))


async def test_an_erased_accounts_token_opens_no_driver_route(client: Client) -> None:
    token = await signed_in(client)
    assert (await client.get("/v1/me", headers=token)).status_code == 200
    assert (await client.delete("/v1/me", headers=token)).status_code == 204

    anywhere = uuid.uuid4()
    attempts = [
        client.post("/v1/sessions", json={"evseUid": "NL*VWY*E1"}, headers={**token, "Idempotency-Key": str(anywhere)}),
        client.get("/v1/sessions", headers=token),
        client.post("/v1/me/tokens", json={"uid": "0A0B0C0D0E0F"}, headers=token),
        client.get("/v1/me/tokens", headers=token),
        client.post("/v1/chat/conversations", json={}, headers=token),
        client.put(f"/v1/me/favourites/{anywhere}", headers=token),
        client.get("/v1/me/favourites", headers=token),
        client.post("/v1/me/devices", json={"platform": "ios", "token": "push-token"}, headers=token),
        client.post("/v1/me/payment-methods/setup", headers=token),
        client.post(f"/v1/stations/{anywhere}/reports", json={"category": "broken", "text": "x"}, headers=token),
        client.get("/v1/me/export", headers=token),
        client.patch("/v1/me", json={"name": "Still here"}, headers=token),
    ]
    for attempt in attempts:
        problem = assert_problem(await attempt, 401)
        assert problem["type"] == "urn:voltway:problem:unauthorized"


async def test_the_live_socket_refuses_an_erased_accounts_token(client: Client) -> None:
    tokens = await login(client, email=(await register(client))["email"])
    assert (await client.delete("/v1/me", headers=bearer(tokens))).status_code == 204
    socket = await client.websocket_connect(
        f"/v1/sessions/{uuid.uuid4()}/live", params={"token": tokens["accessToken"]}
    )
    with pytest.raises(WebSocketDisconnect) as closed, socket:  # refused during the handshake
        socket.receive_json()
    assert closed.value.code == 4401


async def test_logout_ends_that_sign_ins_access_token_only(client: Client) -> None:
    await register(client)
    phone = await login(client)
    laptop = await login(client)
    assert (await client.post("/v1/auth/logout", json={"refreshToken": phone["refreshToken"]})).status_code == 204
    assert_problem(await client.get("/v1/me", headers=bearer(phone)), 401)
    assert (await client.get("/v1/me", headers=bearer(laptop))).status_code == 200


async def test_a_reused_refresh_token_ends_the_sign_ins_access_tokens(client: Client) -> None:
    await register(client)
    first = await login(client)
    other_device = await login(client)
    second = (await client.post("/v1/auth/refresh", json={"refreshToken": first["refreshToken"]})).json()
    assert (await client.get("/v1/me", headers=bearer(second))).status_code == 200

    replay = await client.post("/v1/auth/refresh", json={"refreshToken": first["refreshToken"]})
    assert_problem(replay, 401)
    assert_problem(await client.get("/v1/me", headers=bearer(first)), 401)
    assert_problem(await client.get("/v1/me", headers=bearer(second)), 401)
    assert (await client.get("/v1/me", headers=bearer(other_device))).status_code == 200


async def test_a_password_reset_ends_every_access_token(client: Client, database_url: str) -> None:
    import re

    from api.mail.commands import list_mail

    await register(client)
    tokens = await login(client)
    await client.post("/v1/auth/password-reset", json={"email": "dana@example.com"})
    outbox = await list_mail(make_settings(database_url=database_url), to="dana@example.com", limit=1)
    code = re.search(r"valid for 1 hour\):\s+(\S+)", outbox)
    assert code is not None
    confirm = {"token": code.group(1), "password": "an entirely new passphrase"}
    assert (await client.post("/v1/auth/password-reset/confirm", json=confirm)).status_code == 204
    assert_problem(await client.get("/v1/me", headers=bearer(tokens)), 401)


@pytest.mark.parametrize("ending", ["logout", "erasure"])
async def test_another_process_stops_accepting_within_five_seconds(client_factory: ClientFactory, ending: str) -> None:
    here = await client_factory()
    there = await client_factory()  # a second process on the same database
    clock = ManualClock()
    check: SignInCheck = there.app.state.sign_ins
    check.clock = clock

    await register(here)
    tokens = await login(here)
    assert (await there.get("/v1/me/tokens", headers=bearer(tokens))).status_code == 200

    if ending == "logout":
        assert (await here.post("/v1/auth/logout", json={"refreshToken": tokens["refreshToken"]})).status_code == 204
    else:
        assert (await here.delete("/v1/me", headers=bearer(tokens))).status_code == 204
    assert_problem(await here.get("/v1/me/tokens", headers=bearer(tokens)), 401)  # at once where it happened

    clock.now += 4.9  # still within the time another process may trust what it checked
    clock.now += 0.1
    assert_problem(await there.get("/v1/me/tokens", headers=bearer(tokens)), 401)


async def test_the_check_asks_the_database_at_most_once_per_period(database_url: str, client: Client) -> None:
    """Many requests with one token cost one query per period, not one per request."""
    await register(client)
    tokens = await login(client)
    check: SignInCheck = client.app.state.sign_ins
    clock = ManualClock()
    check.clock = clock
    queries = 0
    factory = check._session_factory

    def counting_factory() -> object:
        nonlocal queries
        queries += 1
        return factory()

    check._session_factory = counting_factory  # type: ignore[assignment]
    for _ in range(20):
        assert (await client.get("/v1/me/tokens", headers=bearer(tokens))).status_code == 200
    assert queries == 1
    clock.now += 5
    assert (await client.get("/v1/me/tokens", headers=bearer(tokens))).status_code == 200
    assert queries == 2


async def test_no_card_can_be_added_to_an_erased_account(client: Client, database_url: str) -> None:
    profile = await register(client)
    tokens = await login(client)
    assert (await client.delete("/v1/me", headers=bearer(tokens))).status_code == 204
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            with pytest.raises(Unauthorized):
                await add_driver_token(
                    session, make_settings(), uuid.UUID(profile["id"]), IdTokenCreate(uid="0A0B0C0D0E0F")
                )
    finally:
        await engine.dispose()
