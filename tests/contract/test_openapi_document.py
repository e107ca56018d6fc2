"""The checked-in OpenAPI document is what the running app serves; app developers generate clients from it."""

from __future__ import annotations

import json
import uuid
from typing import Any

from litestar import Litestar, post

from api.app import openapi_config
from api.cli.openapi import openapi_document
from api.openapi_contract import document_problems
from api.security.guards import admin_only
from tests.support import REPO_ROOT

DOCUMENT = REPO_ROOT / "openapi" / "openapi.json"


def test_checked_in_document_matches_the_app() -> None:
    assert DOCUMENT.read_text(encoding="utf-8") == openapi_document(), (
        "openapi/openapi.json is out of date: run `voltway openapi` and commit the result"
    )


def test_document_describes_the_account_api() -> None:
    schema = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    assert schema["openapi"].startswith("3.1")
    login = schema["paths"]["/v1/auth/login"]["post"]
    assert login["requestBody"]["content"]["application/json"]
    assert schema["paths"]["/v1/me"]["get"]["security"] == [{"BearerToken": []}]
    register = schema["components"]["schemas"]["RegisterRequest"]
    assert set(register["required"]) == {"email", "password", "name"}
    assert "preferredCurrency" in register["properties"]


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in {"get", "put", "post", "patch", "delete"}
    ]


def test_every_error_is_documented_as_problem_details() -> None:
    schema = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    problem = {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}
    for method, path, operation in _operations(schema):
        for status, response in operation["responses"].items():
            if int(status) >= 400 and not (path == "/ready" and status == "503"):
                assert response["content"] == {"application/problem+json": problem}, (method, path, status)


def test_statuses_follow_from_guards_parameters_and_bodies() -> None:
    schema = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    for method, path, operation in _operations(schema):
        statuses = set(operation["responses"])
        if operation.get("security") == [{"BearerToken": []}]:
            assert "401" in statuses, (method, path)
        if "{" in path:
            assert {"404", "422"} <= statuses, (method, path)
        if "requestBody" in operation:
            assert {"400", "413", "422"} <= statuses, (method, path)
        if not path.startswith(("/health", "/ready", "/metrics")):
            assert "429" in statuses, (method, path)
    admin = schema["paths"]["/v1/admin/users"]["get"]["responses"]
    assert {"401", "403"} <= set(admin)
    report = schema["paths"]["/v1/stations/{location_id}/reports"]["post"]
    assert report["security"] == [{"BearerToken": []}]
    assert "401" in report["responses"]
    start = schema["paths"]["/v1/sessions"]["post"]
    assert {"402", "409"} <= set(start["responses"])
    assert [p["required"] for p in start["parameters"] if p["name"] == "idempotency-key"] == [True]
    assert "One of `evseUid` or `emi3EvseId` is required" in schema["paths"]["/v1/sessions/quote"]["get"]["description"]


def test_a_new_route_is_documented_without_declaring_anything() -> None:
    @post("/v1/things/{thing_id:uuid}", guards=[admin_only])
    async def change_thing(thing_id: uuid.UUID, data: dict[str, str]) -> None:
        return None

    app = Litestar([change_thing], openapi_config=openapi_config())
    document_problems(app)
    operation = app.openapi_schema.to_schema()["paths"]["/v1/things/{thing_id}"]["post"]
    assert set(operation["responses"]) == {"201", "400", "401", "403", "404", "413", "422", "429"}
    assert operation["security"] == [{"BearerToken": []}]
    assert operation["responses"]["403"]["content"]["application/problem+json"]
