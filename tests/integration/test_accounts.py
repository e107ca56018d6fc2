"""Driver accounts as the app uses them, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.logs import JsonFormatter
from api.mail.commands import list_mail
from tests.integration.conftest import ClientFactory
from tests.support import make_settings

Client = AsyncTestClient[Litestar]
PASSWORD = "correct horse battery"


async def register(client: Client, email: str = "dana@example.com", **extra: Any) -> dict[str, Any]:
    body = {"email": email, "password": PASSWORD, "name": "Dana", "locale": "de-DE", "preferredCurrency": "EUR"}
    body.update(extra)
    response = await client.post("/v1/auth/register", json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def login(client: Client, email: str = "dana@example.com", password: str = PASSWORD) -> dict[str, Any]:
    response = await client.post("/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['accessToken']}"}


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert problem["type"].startswith("urn:voltway:problem:")
    assert "Traceback" not in response.text
    return problem


async def test_register_login_me_refresh_logout(client: Client) -> None:
    profile = await register(client, email="  Dana@Example.com ")
    assert profile["email"] == "dana@example.com"
    assert profile["emailVerified"] is False
    assert profile["role"] == "driver"
    assert profile["locale"] == "de-DE"

    tokens = await login(client, email="DANA@example.com")
    assert tokens["tokenType"] == "Bearer"
    assert tokens["expiresIn"] == 900

    me = await client.get("/v1/me", headers=bearer(tokens))
    assert me.status_code == 200
    assert me.json()["id"] == profile["id"]

    refreshed = await client.post("/v1/auth/refresh", json={"refreshToken": tokens["refreshToken"]})
    assert refreshed.status_code == 200
    pair = refreshed.json()
    assert pair["refreshToken"] != tokens["refreshToken"]
    assert (await client.get("/v1/me", headers=bearer(pair))).status_code == 200

    assert (await client.post("/v1/auth/logout", json={"refreshToken": pair["refreshToken"]})).status_code == 204
    after_logout = await client.post("/v1/auth/refresh", json={"refreshToken": pair["refreshToken"]})
    assert_problem(after_logout, 401)


async def test_reused_refresh_token_revokes_the_whole_family(client: Client) -> None:
    await register(client)
    first = await login(client)
    second = (await client.post("/v1/auth/refresh", json={"refreshToken": first["refreshToken"]})).json()

    replay = await client.post("/v1/auth/refresh", json={"refreshToken": first["refreshToken"]})
    assert "already used" in assert_problem(replay, 401)["detail"]
    # The thief's replay also ends the legitimate holder's newer token.
    assert_problem(await client.post("/v1/auth/refresh", json={"refreshToken": second["refreshToken"]}), 401)
    # A separate sign-in (another device) is unaffected.
    other = await login(client)
    assert (await client.post("/v1/auth/refresh", json={"refreshToken": other["refreshToken"]})).status_code == 200


async def test_wrong_password_and_unknown_account_look_the_same(client: Client) -> None:
    await register(client)
    wrong = assert_problem(
        await client.post("/v1/auth/login", json={"email": "dana@example.com", "password": "x"}), 401
    )
    unknown = assert_problem(
        await client.post("/v1/auth/login", json={"email": "nobody@example.com", "password": "x"}), 401
    )
    assert wrong["detail"] == unknown["detail"]
    assert wrong["type"] == "urn:voltway:problem:invalid-credentials"


async def test_malformed_bodies_name_every_bad_field(client: Client) -> None:
    response = await client.post(
        "/v1/auth/register", json={"email": "not-an-email", "password": "short", "name": "", "locale": 5}
    )
    problem = assert_problem(response, 422)
    fields = {error["field"] for error in problem["errors"]}
    assert fields == {"email", "password", "name", "locale"}

    missing = assert_problem(await client.post("/v1/auth/register", json={"email": "a@example.com"}), 422)
    assert {error["field"] for error in missing["errors"]} == {"password", "name"}

    broken = assert_problem(
        await client.post("/v1/auth/login", content=b"{not json", headers={"content-type": "application/json"}), 400
    )
    assert "JSON" in broken["detail"]


async def test_unsupported_language_and_currency_are_refused(client: Client) -> None:
    response = await client.post(
        "/v1/auth/register",
        json={"email": "a@example.com", "password": PASSWORD, "name": "A", "locale": "it", "preferredCurrency": "XYZ"},
    )
    problem = assert_problem(response, 422)
    assert {error["field"] for error in problem["errors"]} == {"locale", "preferredCurrency"}


async def test_login_attempts_are_rate_limited_per_address(client_factory: ClientFactory) -> None:
    client = await client_factory(login_attempts_per_ip_per_minute=5)
    statuses = [
        (await client.post("/v1/auth/login", json={"email": f"u{i}@example.com", "password": "whatever"})).status_code
        for i in range(7)
    ]
    assert statuses == [401] * 5 + [429] * 2


async def test_general_rate_limit_is_configurable(client_factory: ClientFactory) -> None:
    limited = await client_factory(rate_limit_per_minute=3)
    statuses = [(await limited.get("/v1/me")).status_code for _ in range(5)]
    assert statuses == [401, 401, 401, 429, 429]
    assert (await limited.get("/health")).status_code == 200  # probes are never limited
    unlimited = await client_factory(rate_limit_per_minute=0)
    assert {(await unlimited.get("/v1/me")).status_code for _ in range(50)} == {401}


async def test_profile_update_and_email_change_needs_new_verification(client: Client, database_url: str) -> None:
    await register(client)
    tokens = await login(client)
    response = await client.patch(
        "/v1/me", headers=bearer(tokens), json={"name": "Dana D.", "preferredCurrency": "CHF", "locale": "fr"}
    )
    assert response.status_code == 200
    assert response.json()["name"] == "Dana D."
    assert response.json()["preferredCurrency"] == "CHF"

    bad = await client.patch("/v1/me", headers=bearer(tokens), json={"preferredCurrency": "chf"})
    assert assert_problem(bad, 422)["errors"][0]["field"] == "preferredCurrency"

    # A new address takes effect once the link mailed to it is opened.
    changed = await client.patch("/v1/me", headers=bearer(tokens), json={"email": "New@example.com"})
    assert changed.json()["email"] == "dana@example.com"
    assert changed.json()["pendingEmail"] == "new@example.com"
    assert_problem(await client.post("/v1/auth/login", json={"email": "new@example.com", "password": PASSWORD}), 401)
    outbox = await list_mail(make_settings(database_url=database_url), to="new@example.com", limit=1)
    assert "Confirm your new email address" in outbox
    link = re.search(r"verify-email\?token=(\S+)", outbox)
    assert link is not None
    assert (await client.get("/v1/auth/verify-email", params={"token": link.group(1)})).status_code == 200
    me = (await client.get("/v1/me", headers=bearer(tokens))).json()
    assert (me["email"], me["emailVerified"], me["pendingEmail"]) == ("new@example.com", True, None)
    assert (await login(client, email="new@example.com"))["accessToken"]


async def test_email_verification_through_the_outbox(client: Client, database_url: str) -> None:
    await register(client)
    outbox = await list_mail(make_settings(database_url=database_url), to="dana@example.com", limit=5)
    assert "Confirm your email address" in outbox
    link = re.search(r"http://\S+/v1/auth/verify-email\?token=(\S+)", outbox)
    assert link is not None
    verified = await client.get("/v1/auth/verify-email", params={"token": link.group(1)})
    assert verified.status_code == 200
    assert verified.json() == {
        "emailVerified": True,
        "alreadyVerified": False,
        "detail": "Your email address is confirmed.",
    }
    tokens = await login(client)
    assert (await client.get("/v1/me", headers=bearer(tokens))).json()["emailVerified"] is True
    # a second click on the link says so, in JSON for the app and as a page for a browser
    again = await client.get("/v1/auth/verify-email", params={"token": link.group(1)})
    assert again.status_code == 200
    assert again.json()["alreadyVerified"] is True
    assert again.json()["detail"] == "Your email address is already confirmed."
    page = await client.get(
        "/v1/auth/verify-email",
        params={"token": link.group(1)},
        headers={"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
    )
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "<h1>Email address confirmed</h1>" in page.text
    assert "already confirmed" in page.text
    resend = await client.post("/v1/me/email-verification", headers=bearer(tokens))
    assert resend.json()["detail"] == "The email address is already verified."


async def test_a_link_that_is_not_valid_is_explained_to_app_and_browser(client: Client) -> None:
    await register(client)
    bogus = {"token": "not-a-token-we-ever-sent"}
    problem = assert_problem(await client.get("/v1/auth/verify-email", params=bogus), 422)
    assert problem["errors"] == [{"field": "token", "message": "invalid or expired", "source": "query"}]
    page = await client.get("/v1/auth/verify-email", params=bogus, headers={"Accept": "text/html"})
    assert page.status_code == 422
    assert page.headers["content-type"].startswith("text/html")
    assert "<h1>Link not valid</h1>" in page.text
    assert "ask for a new one" in page.text


async def test_password_reset_signs_out_everywhere(client: Client, database_url: str) -> None:
    await register(client)
    old = await login(client)
    accepted = await client.post("/v1/auth/password-reset", json={"email": "dana@example.com"})
    unknown = await client.post("/v1/auth/password-reset", json={"email": "nobody@example.com"})
    assert accepted.status_code == unknown.status_code == 202
    assert accepted.json() == unknown.json()

    outbox = await list_mail(make_settings(database_url=database_url), to="dana@example.com", limit=1)
    code = re.search(r"valid for 1 hour\):\s+(\S+)", outbox)
    assert code is not None

    short = await client.post("/v1/auth/password-reset/confirm", json={"token": code.group(1), "password": "short"})
    assert assert_problem(short, 422)["errors"][0]["field"] == "password"
    new_password = "an entirely new passphrase"
    done = await client.post("/v1/auth/password-reset/confirm", json={"token": code.group(1), "password": new_password})
    assert done.status_code == 204
    assert_problem(await client.post("/v1/auth/refresh", json={"refreshToken": old["refreshToken"]}), 401)
    assert_problem(await client.post("/v1/auth/login", json={"email": "dana@example.com", "password": PASSWORD}), 401)
    assert (await login(client, password=new_password))["accessToken"]
    again = await client.post("/v1/auth/password-reset/confirm", json={"token": code.group(1), "password": PASSWORD})
    assert assert_problem(again, 422)["errors"] == [
        {"field": "token", "message": "invalid or expired", "source": "body"}
    ]


async def test_export_contains_personal_data(client: Client) -> None:
    await register(client)
    tokens = await login(client)
    export = await client.get("/v1/me/export", headers=bearer(tokens))
    assert export.status_code == 200
    data = export.json()
    assert data["profile"]["email"] == "dana@example.com"
    assert len(data["signIns"]) == 1
    assert data["mails"][0]["subject"] == "Confirm your email address"


async def test_delete_erases_personal_data_and_blocks_sign_in(client: Client) -> None:
    profile = await register(client)
    tokens = await login(client)
    assert (await client.delete("/v1/me", headers=bearer(tokens))).status_code == 204
    # The still-valid access token no longer reaches the erased account.
    assert_problem(await client.get("/v1/me", headers=bearer(tokens)), 401)
    assert_problem(await client.post("/v1/auth/refresh", json={"refreshToken": tokens["refreshToken"]}), 401)
    assert_problem(await client.post("/v1/auth/login", json={"email": "dana@example.com", "password": PASSWORD}), 401)
    # The address is free again, and the new account is a different person.
    again = await register(client)
    assert again["id"] != profile["id"]


async def test_roles_guard_admin_routes(client: Client, database_url: str) -> None:
    from api.domain.drivers.commands import add_user

    settings = make_settings(database_url=database_url)
    await add_user(settings, email="root@example.com", password=PASSWORD, role="admin", name="Root")
    await add_user(settings, email="help@example.com", password=PASSWORD, role="agent", name="Help")
    await register(client)

    driver = await login(client)
    assert_problem(await client.get("/v1/admin/users", headers=bearer(driver)), 403)
    agent = await login(client, email="help@example.com")
    assert_problem(await client.get("/v1/admin/users", headers=bearer(agent)), 403)
    admin = await login(client, email="root@example.com")
    listed = await client.get("/v1/admin/users", headers=bearer(admin), params={"role": "agent"})
    assert listed.status_code == 200
    assert [user["email"] for user in listed.json()] == ["help@example.com"]
    me = await client.get("/v1/me", headers=bearer(admin))
    assert me.json()["role"] == "admin"
    assert me.json()["emailVerified"] is True


async def test_forged_and_expired_tokens_are_refused(client_factory: ClientFactory) -> None:
    client = await client_factory()
    await register(client)
    tokens = await login(client)
    header, payload, _signature = tokens["accessToken"].split(".")
    forged = f"{header}.{payload}.c2lnbmF0dXJl"
    assert_problem(await client.get("/v1/me", headers={"Authorization": f"Bearer {forged}"}), 401)
    other_key = await client_factory(secret_key="another-secret-key-that-is-long-enough-too")
    assert_problem(await other_key.get("/v1/me", headers=bearer(tokens)), 401)


async def test_no_password_or_token_in_any_log_line(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    await register(client)
    await client.post("/v1/auth/login", json={"email": "dana@example.com", "password": "a wrong password"})
    tokens = await login(client)
    await client.post("/v1/auth/refresh", json={"refreshToken": tokens["refreshToken"]})
    await client.post("/v1/auth/refresh", json={"refreshToken": tokens["refreshToken"]})
    await client.get("/v1/me", headers={"Authorization": "Bearer not-a-token"})
    formatter = JsonFormatter()
    lines = [formatter.format(record) for record in caplog.records]
    assert any('"status":201' in line for line in lines)  # the access log did run
    for secret in (PASSWORD, "a wrong password", tokens["accessToken"], tokens["refreshToken"], "not-a-token"):
        assert not any(secret in line for line in lines), secret
