"""No secret in any log line: `voltway serve` at DEBUG (uvicorn, Litestar, websockets, SQLAlchemy, Stripe and our
own loggers all on), a simulated charger over a real websocket, payments through Stripe (localstripe), and a
driver going through everything: register, verify, reset the password, sign in, refresh, add a card, charge,
watch live over a WebSocket with `?token=`, stop, the receipt and its link, the assistant, and a database error
whose statement carries an email address and a password hash. Every line the server wrote is searched for the
secrets the test knows."""

from __future__ import annotations

import asyncio
import contextlib
import re
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from sqlalchemy import select, text

from api.db.engine import create_engine
from api.db.models import MailMessage
from api.domain.chargers.provisioning import add_charger
from ocpp_bridge.simulator import Simulation, SimulatorConfig
from tests.integration.stripe_support import SECRET_KEY, WEBHOOK_SECRET, add_card, stripe_environment
from tests.integration.test_sessions import running
from tests.support import cli_environment, database_session, free_port, stop_process, wait_for, wait_until_ready

VOLTWAY = [sys.executable, "-m", "api"]
CHARGER_SECRET = "charger-secret-never-logged-7f3a"
PASSWORD = "first password never logged"
NEW_PASSWORD = "second password never logged"


async def _refuse_inserts_of(database_url: str, email: str) -> None:
    """A trigger that makes the database fail the INSERT of this user: a database error with bound parameters."""
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            if database_url.startswith("sqlite"):
                await connection.execute(
                    text(
                        "CREATE TRIGGER refuse_test_user BEFORE INSERT ON users "
                        f"WHEN NEW.email = '{email}' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
                    )
                )
            else:
                await connection.execute(
                    text(
                        "CREATE FUNCTION refuse_test_user() RETURNS trigger AS $$ BEGIN "
                        f"IF NEW.email = '{email}' THEN RAISE EXCEPTION 'refused by the test'; END IF; "
                        "RETURN NEW; END $$ LANGUAGE plpgsql"
                    )
                )
                await connection.execute(
                    text(
                        "CREATE TRIGGER refuse_test_user BEFORE INSERT ON users "
                        "FOR EACH ROW EXECUTE FUNCTION refuse_test_user()"
                    )
                )
    finally:
        await engine.dispose()


async def _drop_refusal(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            if database_url.startswith("sqlite"):
                await connection.execute(text("DROP TRIGGER IF EXISTS refuse_test_user"))
            else:
                await connection.execute(text("DROP TRIGGER IF EXISTS refuse_test_user ON users"))
                await connection.execute(text("DROP FUNCTION IF EXISTS refuse_test_user()"))
    finally:
        await engine.dispose()


async def _provision(database_url: str, ocpp_id: str) -> None:
    async with database_session(database_url) as session:
        await add_charger(
            session,
            ocpp_id=ocpp_id,
            password=CHARGER_SECRET,
            country_code="NL",
            party_id="VWY",
            coordinates=(52.2, 4.7),
            name="Log test",
        )
        await session.commit()


async def _mail_to(database_url: str, address: str) -> str:
    async with database_session(database_url) as session:
        bodies = (await session.execute(select(MailMessage.body).where(MailMessage.to_address == address))).all()
        return "\n".join(body for (body,) in bodies)


@contextlib.asynccontextmanager
async def served(database_url: str, localstripe_url: str, log: Path) -> AsyncIterator[tuple[str, int]]:
    """`voltway serve` at DEBUG with JSON logs into `log`: (base URL, OCPP port)."""
    port = free_port()
    env = cli_environment(
        log.parent,
        VOLTWAY_DATABASE_URL=database_url,
        VOLTWAY_LOG_LEVEL="DEBUG",
        VOLTWAY_LOG_FORMAT="json",
        VOLTWAY_CATALOG_POLL_MS="200",
        **stripe_environment(localstripe_url),
    )
    with log.open("wb") as sink:
        server = subprocess.Popen(  # noqa: ASYNC220 - started once, then only awaited through threads
            [*VOLTWAY, "serve", "--port", str(port)], env=env, stdout=sink, stderr=sink
        )
        try:
            base = f"http://127.0.0.1:{port}"
            await asyncio.to_thread(wait_until_ready, base)
            yield base, int(env["VOLTWAY_OCPP_PORT"])
        finally:
            await asyncio.to_thread(stop_process, server)


async def test_no_secret_in_any_log_line_of_a_full_run(database_url: str, localstripe_url: str, tmp_path: Path) -> None:
    run = uuid.uuid4().hex[:8]
    email, refused_email = f"logs-{run}@example.com", f"refused-{run}@example.com"
    prefix = f"LOG{run}-"
    charger = f"{prefix}00001"
    await _provision(database_url, charger)
    await _refuse_inserts_of(database_url, refused_email)
    log = tmp_path / "serve.log"
    secrets: dict[str, str] = {"charger password": CHARGER_SECRET, "password": PASSWORD, "new password": NEW_PASSWORD}
    try:
        async with served(database_url, localstripe_url, log) as (base, ocpp_port):
            config = SimulatorConfig(
                url=f"ws://127.0.0.1:{ocpp_port}/ocpp",
                chargers=1,
                id_prefix=prefix,
                password=CHARGER_SECRET,
                duration=None,
                speed=60.0,
                arrival_rate=0.0,
                fault_rate=0.0,
                disconnect_rate=0.0,
                meter_interval=60.0,
            )
            async with running(Simulation(config)), httpx.AsyncClient(base_url=base, timeout=20) as client:
                await _drive(client, base, email, refused_email, charger, localstripe_url, database_url, secrets)
    finally:
        await _drop_refusal(database_url)

    captured = log.read_text(encoding="utf-8", errors="replace")
    for path in ("/v1/auth/register", "/v1/auth/password-reset/confirm", "/v1/sessions", "/v1/chat/conversations"):
        assert path in captured, f"the log does not mention {path}: was it captured at all?"
    assert "WebSocket" in captured  # uvicorn's line for the live session
    assert "SELECT" in captured  # SQLAlchemy's statements
    assert "refused by the test" in captured  # the database error was logged
    leaks = {name: secret for name, secret in secrets.items() if secret in captured}
    assert leaks == {}, f"secrets in the log: {sorted(leaks)}"
    assert "$argon2" not in captured
    assert not re.search(r"eyJ[A-Za-z0-9_-]{4,}\.eyJ", captured), "a JWT is in the log"


async def _drive(
    client: httpx.AsyncClient,
    base: str,
    email: str,
    refused_email: str,
    charger: str,
    localstripe_url: str,
    database_url: str,
    secrets: dict[str, str],
) -> None:
    """Everything a driver does, with every secret the server hands out put into `secrets`."""
    profile = {"email": email, "password": PASSWORD, "name": "Logan", "locale": "en"}
    assert (await client.post("/v1/auth/register", json=profile)).status_code == 201
    secrets["email (driver)"] = email
    link = re.search(r"/v1/auth/verify-email\?token=(\S+)", await _mail_to(database_url, email))
    assert link is not None
    secrets["verification token"] = link.group(1)
    assert (await client.get("/v1/auth/verify-email", params={"token": link.group(1)})).status_code == 200
    assert (await client.post("/v1/auth/login", json={"email": email, "password": "wrong password"})).status_code == 401
    assert (await client.post("/v1/auth/password-reset", json={"email": email})).status_code == 202
    code = re.search(r"valid for 1 hour\):\s+(\S+)", await _mail_to(database_url, email))
    assert code is not None
    secrets["reset code"] = code.group(1)
    reset = {"token": code.group(1), "password": NEW_PASSWORD}
    assert (await client.post("/v1/auth/password-reset/confirm", json=reset)).status_code == 204
    tokens = (await client.post("/v1/auth/login", json={"email": email, "password": NEW_PASSWORD})).json()
    secrets["first refresh token"] = tokens["refreshToken"]
    tokens = (await client.post("/v1/auth/refresh", json={"refreshToken": tokens["refreshToken"]})).json()
    access = tokens["accessToken"]
    secrets["access token"], secrets["refresh token"] = access, tokens["refreshToken"]
    headers = {"Authorization": f"Bearer {access}"}

    setup = await add_card(client, base, headers, localstripe_url)
    secrets["setup intent secret"] = setup.get("clientSecret") or "-no client secret-"

    async def started() -> dict[str, Any] | None:
        answer = await client.post(
            "/v1/sessions", json={"evseUid": f"{charger}-1"}, headers={"Idempotency-Key": str(uuid.uuid4()), **headers}
        )
        return answer.json() if answer.status_code == 202 else None

    session = await wait_for(started, "a session to start at the simulated charger")
    session_id = session["id"]
    async with websockets.connect(
        f"ws://{base.removeprefix('http://')}/v1/sessions/{session_id}/live?token={access}"
    ) as ws:
        assert session_id in str(await asyncio.wait_for(ws.recv(), 10))

        async def charging() -> bool:
            view = (await client.get(f"/v1/sessions/{session_id}", headers=headers)).json()
            return bool(view["status"] == "charging")

        await wait_for(charging, "charging")
    await client.post(f"/v1/sessions/{session_id}/stop", headers=headers)

    async def completed() -> bool:
        view = (await client.get(f"/v1/sessions/{session_id}", headers=headers)).json()
        return bool(view["status"] == "completed")

    await wait_for(completed, "billing")
    receipt = (await client.get(f"/v1/sessions/{session_id}/receipt", headers=headers)).json()
    receipt_token = re.search(r"[?&]token=([^&]+)", receipt["printUrl"])
    assert receipt_token is not None
    secrets["receipt token"] = receipt_token.group(1)
    printable = await client.get(receipt["printUrl"].replace(receipt["printUrl"].split("/v1/")[0], base))
    assert printable.status_code == 200

    conversation = (await client.post("/v1/chat/conversations", json={}, headers=headers)).json()
    chat = f"/v1/chat/conversations/{conversation['id']}/messages"
    assert (await client.post(chat, json={"text": "my cable is stuck"}, headers=headers)).status_code in (200, 201)

    refused = {"email": refused_email, "password": PASSWORD, "name": "Refused", "locale": "en"}
    failed = await client.post("/v1/auth/register", json=refused)
    assert failed.status_code == 500
    assert "refused by the test" not in failed.text
    secrets["email (in a failed statement)"] = refused_email
    secrets["Stripe secret key"] = SECRET_KEY
    secrets["Stripe webhook secret"] = WEBHOOK_SECRET


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
