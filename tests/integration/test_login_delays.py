"""Sign-in: one password check whatever the address, and growing delays instead of a lock anyone could trigger."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import argon2
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.domain.drivers.services import AccountService
from tests.integration.conftest import ClientFactory
from tests.integration.test_accounts import PASSWORD, assert_problem, register

Client = AsyncTestClient[Litestar]
WRONG = {"email": "dana@example.com", "password": "wrong password"}
RIGHT = {"email": "dana@example.com", "password": PASSWORD}


class ManualClock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def controlled(client: Client) -> ManualClock:
    clock = ManualClock()
    accounts: AccountService = client.app.state.accounts
    accounts.clock = clock
    return clock


async def test_known_and_unknown_addresses_cost_one_password_check_each(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    await register(client)
    checks: list[str] = []
    original = argon2.PasswordHasher.verify

    def counting(self: argon2.PasswordHasher, stored: str | bytes, password: str | bytes) -> Any:
        checks.append("verify")
        return original(self, stored, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", counting)
    assert_problem(await client.post("/v1/auth/login", json=WRONG), 401)
    assert checks == ["verify"]
    assert_problem(await client.post("/v1/auth/login", json={**WRONG, "email": "nobody@example.com"}), 401)
    assert checks == ["verify", "verify"]
    assert (await client.post("/v1/auth/login", json=RIGHT)).status_code == 200
    assert checks == ["verify"] * 3


def from_addresses(client: Client) -> Client:
    """Let each request name its client address in `X-Test-Client`, as requests from different places would."""
    inner = client.app.asgi_handler

    async def handler(scope: Any, receive: Any, send: Any) -> None:
        for name, value in scope.get("headers", []):
            if name == b"x-test-client":
                scope["client"] = (value.decode(), 40000)
        await inner(scope, receive, send)

    client.app.asgi_handler = handler
    return client


def at(address: str) -> dict[str, str]:
    return {"X-Test-Client": address}


async def test_failures_delay_the_account_and_its_owner_gets_in_after_the_delay(
    client_factory: ClientFactory,
) -> None:
    client = from_addresses(await client_factory(login_failures_per_account=3, login_backoff_max_seconds=8))
    clock = controlled(client)
    await register(client)
    addresses = (f"10.0.0.{i}" for i in range(1, 200))  # a guesser with many addresses
    for _ in range(3):
        assert_problem(await client.post("/v1/auth/login", json=WRONG, headers=at(next(addresses))), 401)
    # From now on each failure doubles the wait, up to the cap: 1, 2, 4, 8, 8 seconds.
    waits = []
    for _ in range(5):
        refused = await client.post("/v1/auth/login", json=RIGHT, headers=at("192.0.2.1"))
        problem = assert_problem(refused, 429)
        assert "try again in" in problem["detail"]
        waits.append(int(refused.headers["retry-after"]))
        clock.advance(waits[-1])
        assert_problem(await client.post("/v1/auth/login", json=WRONG, headers=at(next(addresses))), 401)
    assert waits == [1, 2, 4, 8, 8]
    # Attempts during the delay are not checked and not counted, however many.
    for _ in range(20):
        assert_problem(await client.post("/v1/auth/login", json=WRONG, headers=at(next(addresses))), 429)
    clock.advance(8)
    signed_in = await client.post("/v1/auth/login", json=RIGHT, headers=at("192.0.2.1"))
    assert signed_in.status_code == 200, signed_in.text
    # Success starts the account afresh.
    assert_problem(await client.post("/v1/auth/login", json=WRONG, headers=at("192.0.2.1")), 401)


async def test_the_delay_is_shared_by_every_process(client_factory: ClientFactory) -> None:
    here = await client_factory(login_failures_per_account=2)
    there = await client_factory(login_failures_per_account=2)
    clock = controlled(here)
    controlled(there).now = clock.now
    await register(here)
    for _ in range(2):
        assert_problem(await here.post("/v1/auth/login", json=WRONG), 401)
    assert_problem(await there.post("/v1/auth/login", json=RIGHT), 429)


async def test_unknown_addresses_are_delayed_exactly_like_accounts(client_factory: ClientFactory) -> None:
    client = from_addresses(await client_factory(login_failures_per_account=2))
    controlled(client)
    await register(client)
    answers = {}
    for n, email in enumerate(("dana@example.com", "nobody@example.com")):
        answers[email] = [
            (
                await client.post(
                    "/v1/auth/login", json={"email": email, "password": "wrong"}, headers=at(f"10.{n}.0.{i}")
                )
            ).status_code
            for i in range(3)
        ]
    assert answers["dana@example.com"] == answers["nobody@example.com"] == [401, 401, 429]


async def test_a_guessing_client_address_is_slowed_far_more_than_the_owner(client_factory: ClientFactory) -> None:
    client = from_addresses(
        await client_factory(
            login_failures_per_account=2, login_backoff_max_seconds=2, login_client_backoff_max_seconds=600
        )
    )
    clock = controlled(client)
    await register(client)
    attacker = at("203.0.113.66")
    for _ in range(8):
        response = await client.post("/v1/auth/login", json=WRONG, headers=attacker)
        if response.status_code == 429:
            clock.advance(int(response.headers["retry-after"]))
            response = await client.post("/v1/auth/login", json=WRONG, headers=attacker)
        assert_problem(response, 401)
    refused = await client.post("/v1/auth/login", json=WRONG, headers=attacker)
    assert int(refused.headers["retry-after"]) >= 64
    # The owner, from home, waits at most the account's cap, then gets in.
    owner = await client.post("/v1/auth/login", json=RIGHT, headers=at("198.51.100.7"))
    if owner.status_code == 429:
        assert int(owner.headers["retry-after"]) <= 2
        clock.advance(int(owner.headers["retry-after"]))
        owner = await client.post("/v1/auth/login", json=RIGHT, headers=at("198.51.100.7"))
    assert owner.status_code == 200, owner.text
