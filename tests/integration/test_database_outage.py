"""Without its database the API says so: 503 problem details with Retry-After, never a 500 or a stack trace."""

from __future__ import annotations

import logging
import socket
import uuid
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from api.app import create_app
from api.security.tokens import AccessTokenIssuer
from tests.integration.test_accounts import assert_problem
from tests.support import TEST_SECRET_KEY, make_settings


def unreachable_url(database_url: str, tmp_path: Path) -> str:
    """The same kind of database, somewhere it cannot be reached: a closed port, or a folder that does not exist."""
    if database_url.startswith("sqlite"):
        return f"sqlite+aiosqlite:///{tmp_path / 'missing-folder' / 'voltway.db'}"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"postgresql+asyncpg://postgres@127.0.0.1:{port}/test"


async def test_requests_get_503_while_the_database_is_unreachable(
    database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(database_url=unreachable_url(database_url, tmp_path))
    token = AccessTokenIssuer(TEST_SECRET_KEY, 900).issue(uuid.uuid4(), "driver", uuid.uuid4())
    password = "a password nobody may see"
    async with AsyncTestClient(create_app(settings)) as client:
        requests = [
            client.post("/v1/auth/login", json={"email": "dana@example.com", "password": password}),
            client.post("/v1/auth/register", json={"email": "dana@example.com", "password": password, "name": "Dana"}),
            client.post("/v1/auth/password-reset", json={"email": "dana@example.com"}),
            client.get("/v1/me", headers={"Authorization": f"Bearer {token}"}),
        ]
        for request in requests:
            response = await request
            problem = assert_problem(response, 503)
            assert problem["type"] == "urn:voltway:problem:service-unavailable"
            assert int(response.headers["retry-after"]) > 0
            assert "database" in problem["detail"]
        assert (await client.get("/ready")).status_code == 503
    for record in caplog.records:
        assert password not in record.getMessage()
        assert "dana@example.com" not in record.getMessage()
    assert any("database unavailable" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
