"""A fake eMSP for OCPI tests: a real HTTP server on port 0 in the test process, standing in for a roaming
partner that cannot run here.

What it does:
- `GET /ocpi/versions` and `GET /ocpi/2.2.1` (version details) advertising: credentials (SENDER and RECEIVER),
  locations, tariffs, sessions and cdrs (RECEIVER), tokens (SENDER, with real-time authorisation) and commands
  (SENDER), all under `/ocpi/emsp/2.2.1/...`;
- credentials `POST`/`PUT`/`GET`/`DELETE` at `/ocpi/emsp/2.2.1/credentials`, so that we can register with it (it
  issues `token_a` at start; registering gives it our token and us a new token of its own);
- `POST /ocpi/emsp/2.2.1/tokens/{uid}/authorize`: answers `authorize_answer` ("ALLOWED", "BLOCKED", ...);
  `GET /ocpi/emsp/2.2.1/tokens`: `tokens` (a list of Token objects);
- every other path: records the request and answers the OCPI envelope with 1000 (no data).

Every request (rejected ones too) is recorded in `received` as a `Received` (method, path, query, headers, json).
Requests must carry `Authorization: Token <base64>` (raw accepted as well) with a token it knows: `token_a`, the
token it issued when we registered with it, or `partner_token` (the token B it hands us when it registers with
us; see `register_fake_emsp`). `reject_with(401)` makes every later request fail with that HTTP status.

Use in tests (fixtures `fake_emsp` and `ocpi_partner`, from tests/conftest.py):

    async def test_push(ocpi_partner: RegisteredPartner, fake_emsp: FakeEmsp, client) -> None:
        ... # make us push something
        pushed = await fake_emsp.wait_for(lambda r: r.method == "PUT" and "/sessions/" in r.path, timeout=5)
        assert pushed.json["id"] == ...

`ocpi_partner` registers the fake eMSP with the app of the `client` fixture as a real eMSP does (token A made by
the partners service, GET versions, GET details, POST credentials with its token B) and returns its token C
(`RegisteredPartner.token`, to call our endpoints as that partner: `ocpi_headers(token)`) and its partner id.
With an app served on a socket (e2e), call `register_fake_emsp(httpx.AsyncClient(base_url=URL), fake, database_url)`
(tests/contract/conftest.py does); `start_fake_emsp()` gives a fake outside a fixture (several partners: one each,
with other `country_code`/`party_id`).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import httpx
import msgspec
import pytest
import uvicorn

from api.db.engine import create_engine, create_session_factory
from api.domain.ocpi.client import authorization_header
from api.domain.ocpi.partners import create_partner
from tests.request_reading import asgi_body

Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]


@dataclass
class Received:
    """One request the fake eMSP got."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    json: Any
    status: int = 0  # the HTTP status it answered with

    @property
    def token(self) -> str:
        """The credentials token the request carried (decoded from Base64 when it was)."""
        return _token(self.headers.get("authorization", ""))


def _token(header: str) -> str:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "token":
        return ""
    value = value.strip()
    try:
        return base64.b64decode(value, validate=True).decode().strip()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return value


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _envelope(data: Any = None, status_code: int = 1000, message: str | None = None) -> bytes:
    body: dict[str, Any] = {"status_code": status_code, "timestamp": _now()}
    if data is not None:
        body["data"] = data
    if message:
        body["status_message"] = message
    return msgspec.json.encode(body)


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:
        return


@dataclass
class FakeEmsp:
    """The fake eMSP's state; see the module docstring."""

    country_code: str = "DE"
    party_id: str = "FKE"
    name: str = "Fake eMSP"
    base_url: str = ""
    token_a: str = field(default_factory=lambda: "fake-emsp-a-" + secrets.token_hex(8))
    partner_token: str = field(default_factory=lambda: "fake-emsp-b-" + secrets.token_hex(8))
    issued_token: str | None = None  # the token it gave us when we registered with it
    peer_token: str | None = None  # the token we gave it (it calls us with it)
    peer_versions_url: str | None = None
    authorize_answer: str = "ALLOWED"
    tokens: list[dict[str, Any]] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    offer_versions: list[str] = field(default_factory=lambda: ["2.2.1"])
    _reject_status: int | None = None
    _changed: threading.Condition = field(default_factory=threading.Condition)

    # -- what tests use -------------------------------------------------------------------------------------------
    @property
    def versions_url(self) -> str:
        return f"{self.base_url}/ocpi/versions"

    def url(self, module: str) -> str:
        """The URL of one of its 2.2.1 modules, e.g. url("sessions")."""
        return f"{self.base_url}/ocpi/emsp/2.2.1/{module}"

    def reject_with(self, status: int | None) -> None:
        """Answer every later request with this HTTP status (None: back to normal)."""
        self._reject_status = status

    def clear(self) -> None:
        with self._changed:
            self.received.clear()

    def requests_to(self, path_part: str, method: str | None = None) -> list[Received]:
        with self._changed:
            return [r for r in self.received if path_part in r.path and (method is None or r.method == method)]

    def wait_for_sync(self, predicate: Callable[[Received], bool], timeout: float = 10.0) -> Received:
        """The first recorded request matching `predicate`, waiting (on arrivals, not sleeping) up to `timeout`."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for request in self.received:
                    if predicate(request):
                        return request
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [f"{r.method} {r.path}" for r in self.received]
                    raise AssertionError(f"the fake eMSP got no matching request within {timeout} s; it got {seen}")
                self._changed.wait(remaining)

    async def wait_for(self, predicate: Callable[[Received], bool], timeout: float = 10.0) -> Received:  # noqa: ASYNC109 (waits in a thread)
        """`wait_for_sync` without blocking the event loop."""
        return await asyncio.to_thread(self.wait_for_sync, predicate, timeout)

    # -- the server -----------------------------------------------------------------------------------------------
    def _known(self, token: str) -> bool:
        return bool(token) and token in {t for t in (self.token_a, self.issued_token, self.partner_token) if t}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = await asgi_body(receive)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            payload = msgspec.json.decode(body) if body else None
        except msgspec.DecodeError:
            payload = None
        request = Received(
            method=scope["method"],
            path=scope["path"],
            query=parse_qs(scope.get("query_string", b"").decode()),
            headers=headers,
            json=payload,
        )
        status, answer = await self._answer(request)
        request.status = status
        with self._changed:
            self.received.append(request)
            self._changed.notify_all()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"x-request-id", headers.get("x-request-id", "").encode()),
                    (b"x-correlation-id", headers.get("x-correlation-id", "").encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": answer})

    async def _answer(self, request: Received) -> tuple[int, bytes]:
        if self._reject_status is not None:
            return self._reject_status, _envelope(None, 2000, "rejected by the test")
        if not self._known(request.token):
            return 401, _envelope(None, 2000, "Unknown token")
        path = request.path.rstrip("/")
        if path == "/ocpi/versions" and request.method == "GET":
            return 200, _envelope([{"version": v, "url": f"{self.base_url}/ocpi/{v}"} for v in self.offer_versions])
        if path == "/ocpi/2.2.1" and request.method == "GET":
            return 200, _envelope({"version": "2.2.1", "endpoints": self._endpoints()})
        if path == "/ocpi/emsp/2.2.1/credentials":
            return await self._credentials(request)
        if path.startswith("/ocpi/emsp/2.2.1/tokens"):
            return self._tokens(request, path)
        return 200, _envelope(None)

    def _endpoints(self) -> list[dict[str, str]]:
        modules = [
            ("credentials", "SENDER"),
            ("credentials", "RECEIVER"),
            ("locations", "RECEIVER"),
            ("tariffs", "RECEIVER"),
            ("sessions", "RECEIVER"),
            ("cdrs", "RECEIVER"),
            ("tokens", "SENDER"),
            ("commands", "SENDER"),
        ]
        return [{"identifier": m, "role": r, "url": self.url(m)} for m, r in modules]

    def credentials_object(self, token: str) -> dict[str, Any]:
        """The fake's OCPI Credentials with `token` for the other side to call it with."""
        return {
            "token": token,
            "url": self.versions_url,
            "roles": [
                {
                    "role": "EMSP",
                    "business_details": {"name": self.name},
                    "party_id": self.party_id,
                    "country_code": self.country_code,
                }
            ],
        }

    async def _credentials(self, request: Received) -> tuple[int, bytes]:
        registered = self.issued_token is not None
        if request.method == "GET":
            return 200, _envelope(self.credentials_object(request.token))
        if request.method == "DELETE":
            if not registered:
                return 405, _envelope(None, 2000, "not registered")
            self.issued_token = None
            self.peer_token = None
            return 200, _envelope(None)
        if request.method not in {"POST", "PUT"}:
            return 405, _envelope(None, 2000, "method not allowed")
        if (request.method == "POST") == registered:
            return 405, _envelope(None, 2000, "already registered" if registered else "not registered")
        body = request.json if isinstance(request.json, dict) else {}
        token, url = body.get("token"), body.get("url")
        if not isinstance(token, str) or not isinstance(url, str):
            return 400, _envelope(None, 2001, "token and url are required")
        # A real eMSP reads our versions with the token we gave it before answering.
        async with httpx.AsyncClient(timeout=10) as client:
            try:
                check = await client.get(url, headers={"Authorization": authorization_header(token)})
            except httpx.HTTPError as exc:
                return 200, _envelope(None, 3001, f"cannot reach {url}: {exc}")
        if check.status_code != 200:
            return 200, _envelope(None, 3001, f"{url} answered {check.status_code}")
        self.peer_token, self.peer_versions_url = token, url
        self.issued_token = "fake-emsp-c-" + secrets.token_hex(8)
        if request.method == "POST":
            self.token_a = ""  # token A is spent
        return 200, _envelope(self.credentials_object(self.issued_token))

    def _tokens(self, request: Received, path: str) -> tuple[int, bytes]:
        if request.method == "POST" and path.endswith("/authorize"):
            uid = path.removesuffix("/authorize").rsplit("/", 1)[-1]
            token = next((t for t in self.tokens if t.get("uid") == uid), None) or self.make_token(uid)
            return 200, _envelope(
                {
                    "allowed": self.authorize_answer,
                    "token": token,
                    "authorization_reference": "fake-auth-" + secrets.token_hex(6),
                }
            )
        if request.method == "GET":
            return 200, _envelope(self.tokens)
        return 200, _envelope(None)

    def make_token(self, uid: str, **fields: Any) -> dict[str, Any]:
        """A Token object of this eMSP (as in the spec's examples), e.g. for `tokens` or a PUT to our tokens."""
        token: dict[str, Any] = {
            "country_code": self.country_code,
            "party_id": self.party_id,
            "uid": uid,
            "type": "RFID",
            "contract_id": f"{self.country_code}{self.party_id}C{uid[:8]}",
            "issuer": self.name,
            "valid": True,
            "whitelist": "ALLOWED",
            "last_updated": _now(),
        }
        token.update(fields)
        return token


@dataclass
class RegisteredPartner:
    """The fake eMSP registered with our app: its partner id and the token C it calls us with."""

    partner_id: uuid.UUID
    token: str
    credentials: dict[str, Any]


def ocpi_headers(token: str) -> dict[str, str]:
    """Headers for calling our OCPI endpoints with a partner's token."""
    return {"Authorization": authorization_header(token)}


def serve_in_thread(app: Any, name: str) -> tuple[str, Callable[[], None]]:
    """Serve an ASGI app with uvicorn on a free port in a thread of its own: its base URL and a stop function."""
    server = _Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, access_log=False))
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:  # uvicorn offers no event to wait on from another thread
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not start within 30 s")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=30)

    return f"http://127.0.0.1:{port}", stop


def start_fake_emsp(**options: Any) -> tuple[FakeEmsp, Callable[[], None]]:
    """A fake eMSP served on a free port in a thread of its own; returns it and a function that stops it."""
    fake = FakeEmsp(**options)
    fake.base_url, stop = serve_in_thread(fake, "fake-emsp")
    return fake, stop


@pytest.fixture
def fake_emsp() -> Iterator[FakeEmsp]:
    """A fresh fake eMSP for one test."""
    fake, stop = start_fake_emsp()
    try:
        yield fake
    finally:
        stop()


async def add_partner(database_url: str, **identity: str) -> tuple[uuid.UUID, str]:
    """A pending partner made by the partners service (as `voltway ocpi partners add` does): its id and token A.

    Uses an engine of its own: the app under test may run its engine on another event loop.
    """
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            partner, token_a = await create_partner(session, **identity)
            return partner.id, token_a
    finally:
        await engine.dispose()


async def register_fake_emsp(client: Any, fake: FakeEmsp, database_url: str) -> RegisteredPartner:
    """Register `fake` with the app behind `client` (an httpx-style client of our app) as a real eMSP does.

    Token A comes from the partners service (as `voltway ocpi partners add` makes it); the fake then reads our
    versions and details with it and POSTs its credentials (token B = `fake.partner_token`); we answer with token C.
    """
    partner_id, token_a = await add_partner(
        database_url, country_code=fake.country_code, party_id=fake.party_id, role="EMSP", name=fake.name
    )
    headers = ocpi_headers(token_a)
    versions = await client.get("/ocpi/versions", headers=headers)
    assert versions.status_code == 200, versions.text
    details_url = next(v["url"] for v in versions.json()["data"] if v["version"] == "2.2.1")
    details = await client.get(httpx.URL(details_url).path, headers=headers)
    assert details.status_code == 200, details.text
    credentials_url = next(e["url"] for e in details.json()["data"]["endpoints"] if e["identifier"] == "credentials")
    answer = await client.post(
        httpx.URL(credentials_url).path,
        headers=headers,
        json=fake.credentials_object(fake.partner_token),
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["status_code"] == 1000, answer.text
    data = answer.json()["data"]
    fake.peer_token = data["token"]
    fake.peer_versions_url = data["url"]
    return RegisteredPartner(partner_id=partner_id, token=data["token"], credentials=data)


@pytest.fixture
async def ocpi_partner(client: Any, fake_emsp: FakeEmsp, database_url: str) -> RegisteredPartner:
    """The fake eMSP, registered with the app of the `client` fixture; call our OCPI API with `ocpi_headers(token)`."""
    return await register_fake_emsp(client, fake_emsp, database_url)
