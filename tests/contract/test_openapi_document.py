"""The checked-in OpenAPI document is what the running app serves; app developers generate clients from it."""

from __future__ import annotations

import json

from api.cli.openapi import openapi_document
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
