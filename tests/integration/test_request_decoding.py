"""Hostile input at the boundary: control characters in any string are a 422 naming the field, on both databases,
and a JSON body nested too deeply to decode is the 400 of any other unreadable body, never a 500.

The endpoints come from the application's own OpenAPI document, so an endpoint added later is covered too.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any
from urllib.parse import quote

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.domain.drivers.commands import add_user
from tests.integration.conftest import ClientFactory
from tests.support import make_settings

Client = AsyncTestClient[Litestar]
PASSWORD = "correct horse battery"
NUL = "a\x00b"
METHODS = ("get", "post", "put", "patch", "delete")


async def _admin(client: Client, database_url: str) -> dict[str, str]:
    """An admin passes every guard, so each request reaches the decoding of its input."""
    await add_user(
        make_settings(database_url=database_url), email="ops@example.com", password=PASSWORD, role="admin", name="Ops"
    )
    tokens = (await client.post("/v1/auth/login", json={"email": "ops@example.com", "password": PASSWORD})).json()
    return {"Authorization": f"Bearer {tokens['accessToken']}"}


def _operations(client: Client) -> list[tuple[str, str, dict[str, Any]]]:
    document = client.app.openapi_schema.to_schema()
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def _path(path: str, operation: dict[str, Any], **values: str) -> str:
    """`path` with every parameter filled: `values` where given, else a well-formed value of its type."""
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path":
            name = parameter["name"]
            schema = parameter["schema"]
            filler = (
                str(uuid.uuid4()) if schema.get("format") == "uuid" else "1" if schema.get("type") == "integer" else "x"
            )
            path = path.replace("{" + name + "}", values.get(name, filler))
    return path


def _body_fields(client: Client, operation: dict[str, Any]) -> list[str]:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return []
    schema = content["schema"]
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = client.app.openapi_schema.to_schema()["components"]["schemas"][name]
    return list(schema.get("properties", {})) or ["name"]  # free-form objects: any key will do


def _refused(response: Any) -> list[tuple[str, str]]:
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"] == "urn:voltway:problem:invalid-input"
    return [(error["field"], error["source"]) for error in problem["errors"]]


async def test_a_control_character_in_any_field_of_any_endpoint_is_a_422_naming_the_field(
    client_factory: ClientFactory, database_url: str
) -> None:
    client = await client_factory(rate_limit_per_minute=100_000)
    headers = await _admin(client, database_url)
    checked: list[str] = []
    for method, path, operation in _operations(client):
        for parameter in operation.get("parameters", []):
            params: dict[str, str] = {}
            extra: dict[str, str] = {}
            name, where = parameter["name"], parameter["in"]
            if where == "query":
                url, params = _path(path, operation), {name: NUL}
            elif where == "path":
                url = _path(path, operation, **{name: quote(NUL)})
            elif where == "header" and name.lower() != "authorization":
                url, extra = _path(path, operation), {name: "a\x01b"}
            else:
                continue
            response = await client.request(method.upper(), url, params=params, headers={**headers, **extra})
            fields = _refused(response)
            assert (name, where) in fields or (where == "header" and (name.title(), where) in fields), (path, fields)
            checked.append(f"{method} {path} {where} {name}")
        for field in _body_fields(client, operation):
            response = await client.request(
                method.upper(), _path(path, operation), json={field: NUL}, headers={**headers, "Idempotency-Key": "k"}
            )
            assert _refused(response) == [(field, "body")], (path, field)
            checked.append(f"{method} {path} body {field}")
    # The ones found sending NUL to the running product, five of them to anyone without an account.
    for expected in (
        "post /v1/auth/login body email",
        "post /v1/auth/login body password",
        "post /v1/auth/register body name",
        "post /v1/auth/password-reset body email",
        "get /v1/sessions/quote query evseUid",
        "post /v1/guest/sessions body evseUid",
        "post /v1/guest/sessions header idempotency-key",
        "post /v1/sessions header idempotency-key",
    ):
        assert expected in checked


async def test_nothing_is_stored_from_a_refused_request(client_factory: ClientFactory) -> None:
    client = await client_factory()
    refused = await client.post(
        "/v1/auth/register", json={"email": "eve@example.com", "password": PASSWORD, "name": NUL}
    )
    assert _refused(refused) == [("name", "body")]
    login = await client.post("/v1/auth/login", json={"email": "eve@example.com", "password": PASSWORD})
    assert login.status_code == 401
    nested = await client.post(
        "/v1/auth/register",
        json={"email": "eve@example.com", "password": PASSWORD, "name": "Eve", "extra": [{"deep": ["x", "\x07"]}]},
    )
    assert _refused(nested) == [("extra[0].deep[1]", "body")]


async def test_free_text_keeps_tabs_and_line_breaks_but_never_nul(client_factory: ClientFactory) -> None:
    client = await client_factory()
    await client.post("/v1/auth/register", json={"email": "eve@example.com", "password": PASSWORD, "name": "Eve"})
    tokens = (await client.post("/v1/auth/login", json={"email": "eve@example.com", "password": PASSWORD})).json()
    headers = {"Authorization": f"Bearer {tokens['accessToken']}"}
    conversation = (await client.post("/v1/chat/conversations", json={}, headers=headers)).json()
    messages = f"/v1/chat/conversations/{conversation['id']}/messages"

    typed = await client.post(messages, json={"text": "my car\twon't charge\r\nat all"}, headers=headers)
    assert typed.status_code in (200, 201), typed.text

    refused = await client.post(messages, json={"text": "won't\x00charge"}, headers=headers)
    assert _refused(refused) == [("text", "body")]
    assert (
        refused.json()["errors"][0]["message"] == "must not contain control characters other than tab and line breaks"
    )
    name = await client.patch("/v1/me", json={"name": "Eve\nSmith"}, headers=headers)
    assert _refused(name) == [("name", "body")]


@pytest.mark.parametrize("depth", [1_000, 100_000])
async def test_json_nested_too_deeply_is_an_unreadable_body_on_every_json_endpoint(
    client_factory: ClientFactory, database_url: str, depth: int
) -> None:
    client = await client_factory(rate_limit_per_minute=100_000)
    headers = await _admin(client, database_url)
    deep = b'{"a":' + b"[" * depth + b"]" * depth + b"}"
    posted = 0
    for method, path, operation in _operations(client):
        if "application/json" not in operation.get("requestBody", {}).get("content", {}):
            continue
        response = await client.request(
            method.upper(),
            _path(path, operation),
            content=deep,
            headers={**headers, "content-type": "application/json", "Idempotency-Key": "k"},
        )
        assert response.status_code == 400, (path, response.text)
        problem = response.json()
        assert problem["type"] == "urn:voltway:problem:bad-request"
        assert "JSON" in problem["detail"]
        posted += 1
    assert posted >= 10


async def test_json_nested_too_deeply_in_a_query_cursor_is_a_422(client: Client) -> None:
    depth = 5_000  # deeper than the interpreter can recurse, and still within the 16 KiB request head limit
    cursor = base64.urlsafe_b64encode(b"[" * depth + b"]" * depth).decode().rstrip("=")
    response = await client.get("/v1/stations", params={"lat": 52, "lon": 4, "cursor": cursor})
    assert _refused(response) == [("cursor", "query")]
