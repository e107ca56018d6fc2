"""The outbound OCPI client against the fake eMSP: what every request carries, how answers are read, and the
fake's own controls (rejecting, real-time authorisation, waiting for a request)."""

from __future__ import annotations

import base64
import re

import httpx
import pytest

from api.domain.ocpi.client import OcpiClient, OcpiUnreachable
from tests.ocpi_fake_emsp import FakeEmsp
from tests.support import make_settings


async def test_requests_carry_token_ids_and_routing_headers(fake_emsp: FakeEmsp) -> None:
    async with OcpiClient(make_settings()) as client:
        reply = await client.request(
            "PUT",
            fake_emsp.url("sessions") + "/NL/VWY/s-1",
            token=fake_emsp.partner_token,
            json={"id": "s-1", "kwh": 1.5},
            to_country_code="DE",
            to_party_id="FKE",
            correlation_id="corr-7",
        )
    assert reply.ok
    assert reply.status_code == 1000
    pushed = await fake_emsp.wait_for(lambda r: r.path.endswith("/sessions/NL/VWY/s-1"), timeout=5)
    assert pushed.method == "PUT"
    assert pushed.json == {"id": "s-1", "kwh": 1.5}
    assert pushed.headers["authorization"] == "Token " + base64.b64encode(fake_emsp.partner_token.encode()).decode()
    assert pushed.headers["x-request-id"]
    assert pushed.headers["x-correlation-id"] == "corr-7"
    assert (pushed.headers["ocpi-from-country-code"], pushed.headers["ocpi-from-party-id"]) == ("NL", "VWY")
    assert (pushed.headers["ocpi-to-country-code"], pushed.headers["ocpi-to-party-id"]) == ("DE", "FKE")
    assert pushed.headers["content-type"] == "application/json"


async def test_a_rejecting_partner_and_an_unknown_token_are_told_apart(fake_emsp: FakeEmsp) -> None:
    async with OcpiClient(make_settings()) as client:
        unknown = await client.request("GET", fake_emsp.url("tokens"), token="who-is-this")
        assert (unknown.http_status, unknown.status_code, unknown.ok) == (401, 2000, False)
        fake_emsp.reject_with(401)
        refused = await client.request("GET", fake_emsp.url("tokens"), token=fake_emsp.partner_token)
        assert refused.http_status == 401
        fake_emsp.reject_with(None)
        listed = await client.request("GET", fake_emsp.url("tokens"), token=fake_emsp.partner_token)
        assert listed.ok
        assert listed.data == []
    assert [r.status for r in fake_emsp.requests_to("/tokens")] == [401, 401, 200]


async def test_real_time_authorisation_answers_as_told(fake_emsp: FakeEmsp) -> None:
    fake_emsp.authorize_answer = "BLOCKED"
    async with OcpiClient(make_settings()) as client:
        reply = await client.request(
            "POST",
            fake_emsp.url("tokens") + "/04A1B2/authorize",
            token=fake_emsp.partner_token,
            params={"type": "RFID"},
        )
    assert reply.data["allowed"] == "BLOCKED"
    assert reply.data["token"]["uid"] == "04A1B2"
    assert reply.data["authorization_reference"]
    assert fake_emsp.received[-1].query == {"type": ["RFID"]}


async def test_an_unreachable_partner_raises(fake_emsp: FakeEmsp) -> None:
    async with OcpiClient(make_settings(ocpi_timeout_seconds=2.0)) as client:
        with pytest.raises(OcpiUnreachable, match="ConnectError"):
            await client.request("GET", "http://127.0.0.1:9/ocpi/versions", token="t")


async def test_waiting_for_a_request_that_never_comes_fails_clearly(fake_emsp: FakeEmsp) -> None:
    async with httpx.AsyncClient() as http:
        await http.get(fake_emsp.url("locations"), headers={"Authorization": f"Token {fake_emsp.partner_token}"})
    with pytest.raises(AssertionError, match=re.escape("GET /ocpi/emsp/2.2.1/locations")):
        await fake_emsp.wait_for(lambda r: r.method == "DELETE", timeout=0.2)
