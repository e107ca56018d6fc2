"""Every refusal of bad input looks the same to an app: 422 with each field, where it was and what is wrong in
plain words; 400 only for a body that cannot be parsed."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

Client = AsyncTestClient[Litestar]


def invalid(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    assert problem["type"] == "urn:voltway:problem:invalid-input"
    assert problem["status"] == 422
    errors: list[dict[str, str]] = problem["errors"]
    for error in errors:  # no decoder internals: no regular expressions, no type names in backticks
        assert "`" not in error["message"]
        assert "regex" not in error["message"]
        assert "^" not in error["message"]
    return errors


async def _signed_in(client: Client) -> dict[str, str]:
    await client.post(
        "/v1/auth/register", json={"email": "eve@example.com", "password": "long enough password", "name": "Eve"}
    )
    tokens = (
        await client.post("/v1/auth/login", json={"email": "eve@example.com", "password": "long enough password"})
    ).json()
    return {"Authorization": f"Bearer {tokens['accessToken']}"}


async def test_body_values_missing_or_wrong_are_422_in_plain_words(client: Client) -> None:
    empty = invalid(await client.post("/v1/auth/register", content=b"", headers={"content-type": "application/json"}))
    assert empty == [{"field": "body", "message": "must be a JSON object", "source": "body"}]
    assert invalid(await client.post("/v1/auth/register", json=[1])) == empty

    errors = invalid(
        await client.post(
            "/v1/auth/register", json={"email": "not-an-email", "password": "x" * 12, "name": "A", "locale": 5}
        )
    )
    by_field = {error["field"]: error for error in errors}
    assert by_field["email"]["message"] == "is not in the expected format: Email address"
    assert by_field["locale"]["message"] == "must be a string, not an integer"
    assert {error["source"] for error in errors} == {"body"}

    short = invalid(await client.post("/v1/auth/login", json={"email": "eve@example.com", "password": ""}))
    assert short == [{"field": "password", "message": "must have at least 1 character", "source": "body"}]


async def test_only_a_body_that_cannot_be_parsed_is_400(client: Client) -> None:
    broken = await client.post("/v1/auth/login", content=b"{not json", headers={"content-type": "application/json"})
    assert broken.status_code == 400
    assert broken.json()["type"] == "urn:voltway:problem:bad-request"
    assert "JSON" in broken.json()["detail"]


async def test_query_path_and_header_values_name_where_they_were(client: Client) -> None:
    assert invalid(await client.get("/v1/stations/clusters")) == [
        {"field": "bbox", "message": "required query parameter is missing", "source": "query"}
    ]
    assert invalid(await client.get("/v1/stations/clusters", params={"bbox": "4,52,5,53", "zoom": "near"})) == [
        {"field": "zoom", "message": "must be an integer, not a string", "source": "query"}
    ]
    assert invalid(await client.get("/v1/stations", params={"lat": 52, "lon": 4, "limit": 0}))[0]["source"] == "query"
    assert invalid(await client.get("/v1/stations/not-a-station-id")) == [
        {"field": "location_id", "message": "must be a UUID", "source": "path"}
    ]

    headers = await _signed_in(client)
    assert invalid(await client.post("/v1/sessions", json={"evseUid": "E1"}, headers=headers)) == [
        {"field": "Idempotency-Key", "message": "send an Idempotency-Key header (a unique string)", "source": "header"}
    ]
    assert invalid(await client.get("/v1/sessions", params={"cursor": "%%%"}, headers=headers))[0]["source"] == "query"
