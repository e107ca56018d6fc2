"""The OCPI credentials handshake with a (fake) eMSP in both directions, and the OCPI area's authentication."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import msgspec
import pytest
from litestar import Controller, Litestar, Request, Response, get
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from api.app import create_app
from api.db.engine import create_engine, create_session_factory
from api.db.models.ocpi import OcpiPartner
from api.domain.ocpi.auth import Caller
from api.domain.ocpi.modules import OCPI_MODULES, OcpiModule
from api.domain.ocpi.pagination import Page, PageRequest, date_window, paginated_response
from api.domain.ocpi.partners import token_b
from api.domain.ocpi.registration import (
    RegistrationError,
    register_with_partner,
    unregister_with_partner,
    update_with_partner,
)
from api.settings import Settings
from tests.ocpi_fake_emsp import (
    FakeEmsp,
    RegisteredPartner,
    add_partner,
    ocpi_headers,
    serve_in_thread,
)
from tests.support import make_settings

Client = AsyncTestClient[Litestar]
CREDENTIALS = "/ocpi/cpo/2.2.1/credentials"


@asynccontextmanager
async def partner_row(database_url: str, partner_id: uuid.UUID) -> AsyncIterator[OcpiPartner]:
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            partner = await session.get(OcpiPartner, partner_id)
            assert partner is not None
            yield partner
    finally:
        await engine.dispose()


def fake_credentials(fake: FakeEmsp, **changes: object) -> dict[str, object]:
    return {**fake.credentials_object(fake.partner_token), **changes}


# -- the eMSP registers with us ---------------------------------------------------------------------------------


async def test_an_emsp_registers_and_gets_token_c(
    client: Client, fake_emsp: FakeEmsp, ocpi_partner: RegisteredPartner, database_url: str
) -> None:
    # During the POST we read its versions and 2.2.1 endpoints with the token B it sent.
    fetched = fake_emsp.requests_to("/ocpi/2.2.1", "GET")
    assert fetched
    assert fetched[0].token == fake_emsp.partner_token
    assert fetched[0].headers["authorization"].startswith("Token ")
    assert fetched[0].headers["ocpi-from-country-code"] == "NL"
    assert ocpi_partner.credentials["roles"] == [
        {"role": "CPO", "business_details": {"name": "Voltway"}, "party_id": "VWY", "country_code": "NL"}
    ]
    assert ocpi_partner.credentials["url"].endswith("/ocpi/versions")
    async with partner_row(database_url, ocpi_partner.partner_id) as partner:
        assert partner.status == "registered"
        assert partner.registered_by == "partner"
        assert token_b(partner) == fake_emsp.partner_token
        assert fake_emsp.partner_token not in (partner.token_b_encrypted or "")
        assert ocpi_partner.token not in {partner.token_a_hash, partner.token_c_hash}
        assert {(e["identifier"], e["role"]) for e in partner.endpoints or []} >= {
            ("sessions", "RECEIVER"),
            ("cdrs", "RECEIVER"),
            ("tokens", "SENDER"),
        }
    answer = await client.get(CREDENTIALS, headers=ocpi_headers(ocpi_partner.token))
    assert answer.status_code == 200
    assert answer.json()["data"]["token"] == ocpi_partner.token


async def test_token_a_stops_working_once_registered(client: Client, fake_emsp: FakeEmsp, database_url: str) -> None:
    _, token_a = await add_partner(database_url, country_code="DE", party_id="FKE", role="EMSP", name="Fake")
    assert (await client.get("/ocpi/versions", headers=ocpi_headers(token_a))).status_code == 200
    registered = await client.post(CREDENTIALS, headers=ocpi_headers(token_a), json=fake_credentials(fake_emsp))
    assert registered.json()["status_code"] == 1000
    for path in ("/ocpi/versions", "/ocpi/2.2.1", CREDENTIALS):
        refused = await client.get(path, headers=ocpi_headers(token_a))
        assert refused.status_code == 401
        assert refused.json()["status_code"] == 2000
    token_c = registered.json()["data"]["token"]
    assert (await client.get("/ocpi/2.2.1", headers=ocpi_headers(token_c))).status_code == 200


async def test_registering_twice_is_405_and_put_before_registering_is_405(
    client: Client, fake_emsp: FakeEmsp, database_url: str
) -> None:
    _, token_a = await add_partner(database_url, country_code="DE", party_id="FKE", role="EMSP", name="Fake")
    for method in ("PUT", "DELETE"):
        early = await client.request(
            method, CREDENTIALS, headers=ocpi_headers(token_a), json=fake_credentials(fake_emsp)
        )
        assert early.status_code == 405, method
        assert early.json()["status_code"] == 2000
    registered = await client.post(CREDENTIALS, headers=ocpi_headers(token_a), json=fake_credentials(fake_emsp))
    token_c = registered.json()["data"]["token"]
    again = await client.post(CREDENTIALS, headers=ocpi_headers(token_c), json=fake_credentials(fake_emsp))
    assert again.status_code == 405
    assert "PUT" in again.json()["status_message"]


async def test_update_gives_a_new_token_c_and_reads_the_endpoints_again(
    client: Client, fake_emsp: FakeEmsp, ocpi_partner: RegisteredPartner, database_url: str
) -> None:
    fake_emsp.clear()
    new_b = "fake-emsp-b-renewed"
    fake_emsp.partner_token = new_b
    answer = await client.put(
        CREDENTIALS, headers=ocpi_headers(ocpi_partner.token), json=fake_credentials(fake_emsp, token=new_b)
    )
    assert answer.status_code == 200, answer.text
    new_c = answer.json()["data"]["token"]
    assert new_c != ocpi_partner.token
    assert [r.token for r in fake_emsp.requests_to("/ocpi/2.2.1", "GET")] == [new_b]
    assert (await client.get(CREDENTIALS, headers=ocpi_headers(ocpi_partner.token))).status_code == 401
    assert (await client.get(CREDENTIALS, headers=ocpi_headers(new_c))).status_code == 200
    async with partner_row(database_url, ocpi_partner.partner_id) as partner:
        assert token_b(partner) == new_b
        assert partner.registered_by == "partner"


async def test_unregister_ends_every_token(client: Client, ocpi_partner: RegisteredPartner, database_url: str) -> None:
    gone = await client.delete(CREDENTIALS, headers=ocpi_headers(ocpi_partner.token))
    assert gone.status_code == 200
    assert gone.json()["status_code"] == 1000
    assert "data" not in gone.json()
    after = await client.get("/ocpi/versions", headers=ocpi_headers(ocpi_partner.token))
    assert after.status_code == 401
    async with partner_row(database_url, ocpi_partner.partner_id) as partner:
        assert partner.status == "unregistered"
        assert partner.token_b_encrypted is None


async def test_credentials_with_spaces_extra_fields_and_lower_case_are_repaired_and_logged(
    client: Client, fake_emsp: FakeEmsp, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    _, token_a = await add_partner(database_url, country_code="DE", party_id="FKE", role="EMSP", name="Fake")
    body = {
        "token": f" {fake_emsp.partner_token}  ",
        "url": fake_emsp.versions_url + " ",
        "hub_party": "nobody",
        "roles": [
            {
                "role": "emsp",
                "business_details": {"name": "Fake eMSP ", "website": None, "tagline": "x"},
                "party_id": "fke ",
                "country_code": "de",
            }
        ],
    }
    with caplog.at_level(logging.WARNING, logger="api.domain.ocpi.lenient"):
        answer = await client.post(CREDENTIALS, headers=ocpi_headers(token_a), json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status_code"] == 1000
    repaired = " ".join(r.getMessage() for r in caplog.records)
    assert "hub_party: unknown field ignored" in repaired
    assert ".token: spaces around the value removed" in repaired
    assert "'emsp' read as 'EMSP'" in repaired
    registered = await client.get(CREDENTIALS, headers=ocpi_headers(answer.json()["data"]["token"]))
    assert registered.status_code == 200


@pytest.mark.parametrize(
    ("change", "status_code", "words"),
    [
        ({"url": "http://127.0.0.1:9/ocpi/versions"}, 3001, "could not reach"),
        ({"token": "has spaces inside"}, 2001, "printable"),
        ({"roles": []}, 2001, "at least one role"),
        ({"url": 12}, 2001, "invalid credentials"),
    ],
)
async def test_registration_errors_say_what_is_wrong(
    client: Client,
    fake_emsp: FakeEmsp,
    database_url: str,
    change: dict[str, object],
    status_code: int,
    words: str,
) -> None:
    _, token_a = await add_partner(database_url, country_code="DE", party_id="FKE", role="EMSP", name="Fake")
    answer = await client.post(CREDENTIALS, headers=ocpi_headers(token_a), json=fake_credentials(fake_emsp, **change))
    assert answer.status_code == 400
    assert answer.json()["status_code"] == status_code
    assert words in answer.json()["status_message"]
    # nothing was registered: token A still works, for a second try
    assert (await client.get("/ocpi/versions", headers=ocpi_headers(token_a))).status_code == 200


async def test_a_partner_without_2_2_1_is_3002(client: Client, fake_emsp: FakeEmsp, database_url: str) -> None:
    fake_emsp.offer_versions = ["2.1.1"]
    _, token_a = await add_partner(database_url, country_code="DE", party_id="FKE", role="EMSP", name="Fake")
    answer = await client.post(CREDENTIALS, headers=ocpi_headers(token_a), json=fake_credentials(fake_emsp))
    assert answer.json()["status_code"] == 3002
    assert "2.1.1" in answer.json()["status_message"]


# -- authentication of the OCPI area -----------------------------------------------------------------------------


async def test_missing_and_unknown_tokens_are_401_in_the_envelope(client: Client) -> None:
    for headers in ({}, {"Authorization": "Token bm8tc3VjaC10b2tlbg=="}, {"Authorization": "Token raw-unknown"}):
        answer = await client.get("/ocpi/versions", headers=headers)
        assert answer.status_code == 401
        assert answer.headers["content-type"] == "application/json"
        body = answer.json()
        assert body["status_code"] == 2000
        assert body["status_message"]
        assert body["timestamp"].endswith("Z")


async def test_the_app_jwt_never_opens_ocpi(client: Client, database_url: str) -> None:
    from api.domain.drivers.commands import add_user

    settings = make_settings(database_url=database_url)
    await add_user(settings, email="admin@example.com", password="correct horse battery", role="admin", name="A")
    login = await client.post(
        "/v1/auth/login", json={"email": "admin@example.com", "password": "correct horse battery"}
    )
    jwt = login.json()["accessToken"]
    assert (await client.get("/v1/me", headers={"Authorization": f"Bearer {jwt}"})).status_code == 200
    for header in (f"Bearer {jwt}", f"Token {jwt}"):
        answer = await client.get("/ocpi/versions", headers={"Authorization": header})
        assert answer.status_code == 401
        assert answer.json()["status_code"] == 2000


async def test_a_partner_token_never_opens_the_app_api(client: Client, ocpi_partner: RegisteredPartner) -> None:
    for header in (ocpi_headers(ocpi_partner.token)["Authorization"], f"Bearer {ocpi_partner.token}"):
        answer = await client.get("/v1/me", headers={"Authorization": header})
        assert answer.status_code == 401
        assert answer.headers["content-type"] == "application/problem+json"


async def test_raw_and_base64_tokens_both_work(client: Client, ocpi_partner: RegisteredPartner) -> None:
    for header in (ocpi_headers(ocpi_partner.token)["Authorization"], f"Token {ocpi_partner.token}"):
        assert (await client.get("/ocpi/2.2.1", headers={"Authorization": header})).status_code == 200


async def test_revoked_partner_gets_401(client: Client, ocpi_partner: RegisteredPartner, database_url: str) -> None:
    from api.domain.ocpi.partners import revoke_partner

    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            partner = await session.get(OcpiPartner, ocpi_partner.partner_id)
            assert partner is not None
            await revoke_partner(session, partner)
    finally:
        await engine.dispose()
    assert (await client.get("/ocpi/2.2.1", headers=ocpi_headers(ocpi_partner.token))).status_code == 401


async def test_headers_are_echoed_and_routing_headers_swapped(client: Client, ocpi_partner: RegisteredPartner) -> None:
    headers = {
        **ocpi_headers(ocpi_partner.token),
        "X-Request-ID": "req-1",
        "X-Correlation-ID": "corr-1",
        "OCPI-from-country-code": "DE",
        "OCPI-from-party-id": "FKE",
        "OCPI-to-country-code": "NL",
        "OCPI-to-party-id": "VWY",
    }
    answer = await client.get("/ocpi/2.2.1", headers=headers)
    assert answer.headers["x-request-id"] == "req-1"
    assert answer.headers["x-correlation-id"] == "corr-1"
    assert (answer.headers["ocpi-from-country-code"], answer.headers["ocpi-from-party-id"]) == ("NL", "VWY")
    assert (answer.headers["ocpi-to-country-code"], answer.headers["ocpi-to-party-id"]) == ("DE", "FKE")
    bare = await client.get("/ocpi/2.2.1", headers=ocpi_headers(ocpi_partner.token))
    assert bare.headers["x-request-id"]
    assert bare.headers["x-correlation-id"]


async def test_unknown_paths_and_methods_answer_in_the_envelope(
    client: Client, ocpi_partner: RegisteredPartner
) -> None:
    headers = ocpi_headers(ocpi_partner.token)
    missing = await client.get("/ocpi/cpo/2.2.1/no-such-module", headers=headers)
    assert missing.status_code == 404
    assert missing.json()["status_code"] == 2000
    assert missing.headers["content-type"] == "application/json"
    wrong = await client.patch(CREDENTIALS, headers=headers, json={})
    assert wrong.status_code == 405
    assert wrong.json()["status_code"] == 2000


async def test_version_details_list_every_module_with_full_urls(
    client: Client, ocpi_partner: RegisteredPartner
) -> None:
    from api.domain.ocpi.modules import OCPI_MODULES

    answer = await client.get("/ocpi/2.2.1", headers=ocpi_headers(ocpi_partner.token))
    details = answer.json()["data"]
    assert details["version"] == "2.2.1"
    listed = {(e["identifier"], e["role"]): e["url"] for e in details["endpoints"]}
    for module in OCPI_MODULES:
        assert listed[(module.identifier, module.role)] == f"http://testserver.local/ocpi/cpo/2.2.1{module.path}"


async def test_the_base_url_setting_names_our_urls(client_factory: object, ocpi_partner: RegisteredPartner) -> None:
    build = client_factory
    assert callable(build)
    other: Client = await build(ocpi_base_url="https://ocpi.example.com")
    versions = await other.get("/ocpi/versions", headers=ocpi_headers(ocpi_partner.token))
    assert versions.json()["data"] == [{"version": "2.2.1", "url": "https://ocpi.example.com/ocpi/2.2.1"}]


# -- we register with the eMSP -----------------------------------------------------------------------------------


@pytest.fixture
def served_app(database_url: str) -> Iterator[tuple[str, Settings]]:
    """Our app on a real socket (the eMSP reads our versions while we register), and settings naming its URL."""
    settings = make_settings(database_url=database_url)
    base_url, stop = serve_in_thread(create_app(settings), "voltway-ocpi")
    try:
        yield base_url, msgspec.structs.replace(settings, ocpi_base_url=base_url)
    finally:
        stop()


async def test_we_register_update_and_unregister_with_an_emsp(
    served_app: tuple[str, Settings], fake_emsp: FakeEmsp
) -> None:
    base_url, settings = served_app
    engine = create_engine(settings.database_url)
    sessions = create_session_factory(engine)
    try:
        partner = await register_with_partner(
            settings,
            sessions,
            versions_url=fake_emsp.versions_url,
            token_a=fake_emsp.token_a,
            country_code="de",
            party_id="fke",
            name="Fake eMSP",
        )
        assert partner.status == "registered"
        assert partner.registered_by == "us"
        assert token_b(partner, settings) == fake_emsp.issued_token
        assert fake_emsp.peer_versions_url == f"{base_url}/ocpi/versions"
        # the fake read our versions with the token we gave it, during our POST; the token works for everything
        first_token = fake_emsp.peer_token
        assert first_token is not None
        async with httpx.AsyncClient(base_url=base_url) as http:
            assert (await http.get("/ocpi/2.2.1", headers=ocpi_headers(first_token))).status_code == 200

            first_b = fake_emsp.issued_token
            updated = await update_with_partner(settings, sessions, "DE/FKE")
            assert fake_emsp.issued_token != first_b
            assert token_b(updated, settings) == fake_emsp.issued_token
            assert fake_emsp.requests_to("/credentials", "PUT")[0].token == first_b
            assert (await http.get("/ocpi/2.2.1", headers=ocpi_headers(first_token))).status_code == 401
            second_token = fake_emsp.peer_token
            assert second_token is not None
            assert (await http.get("/ocpi/2.2.1", headers=ocpi_headers(second_token))).status_code == 200

            await unregister_with_partner(settings, sessions, str(partner.id))
            assert fake_emsp.issued_token is None
            assert (await http.get("/ocpi/2.2.1", headers=ocpi_headers(second_token))).status_code == 401
        async with sessions() as session:
            stored = await session.get(OcpiPartner, partner.id)
            assert stored is not None
            assert stored.status == "unregistered"
    finally:
        await engine.dispose()


async def test_registering_with_a_wrong_token_a_says_so(served_app: tuple[str, Settings], fake_emsp: FakeEmsp) -> None:
    _, settings = served_app
    engine = create_engine(settings.database_url)
    try:
        with pytest.raises(RegistrationError, match="HTTP 401"):
            await register_with_partner(
                settings,
                create_session_factory(engine),
                versions_url=fake_emsp.versions_url,
                token_a="not-the-token",
                country_code="DE",
                party_id="FKE",
            )
    finally:
        await engine.dispose()


class _ProbeController(Controller):
    """A module only this test mounts: which tokens open a module that is not versions or credentials."""

    path = "/probe"

    @get(sync_to_thread=False)
    def probe(self, request: Request[Any, Any, Any], caller: Caller, page: Page) -> Response[bytes]:
        return paginated_response(request, [{"party": caller.party_id}], 3, page)


async def test_token_a_only_opens_versions_and_credentials(
    client_factory: Any, fake_emsp: FakeEmsp, database_url: str
) -> None:
    probe = OcpiModule("probe", "SENDER", "/probe", [_ProbeController])
    OCPI_MODULES.append(probe)
    try:
        client: Client = await client_factory()
        _, token_a = await add_partner(database_url, country_code="DE", party_id="FKE", role="EMSP", name="Fake")
        refused = await client.get("/ocpi/cpo/2.2.1/probe", headers=ocpi_headers(token_a))
        assert refused.status_code == 401
        assert "credentials handshake" in refused.json()["status_message"]
        answer = await client.post(CREDENTIALS, headers=ocpi_headers(token_a), json=fake_credentials(fake_emsp))
        token_c = answer.json()["data"]["token"]
        page = await client.get("/ocpi/cpo/2.2.1/probe?limit=1&country_code=NL", headers=ocpi_headers(token_c))
        assert page.status_code == 200
        assert page.json()["data"] == [{"party": "FKE"}]
        assert page.headers["x-total-count"] == "3"
        assert "offset=1&limit=1&country_code=NL" in page.headers["link"]
        details = await client.get("/ocpi/2.2.1", headers=ocpi_headers(token_c))
        assert {"identifier": "probe", "role": "SENDER", "url": "http://testserver.local/ocpi/cpo/2.2.1/probe"} in (
            details.json()["data"]["endpoints"]
        )
    finally:
        OCPI_MODULES.remove(probe)


async def test_the_rate_limit_answers_in_the_envelope_too(client_factory: Any, database_url: str) -> None:
    limited: Client = await client_factory(rate_limit_per_minute=2)
    _, token_a = await add_partner(database_url, country_code="DE", party_id="FKE", role="EMSP", name="Fake")
    answers = [await limited.get("/ocpi/versions", headers=ocpi_headers(token_a)) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].headers["content-type"] == "application/json"
    assert answers[2].headers["retry-after"]
    assert answers[2].json()["status_code"] == 2000
    assert answers[2].json()["status_message"]
    assert answers[2].headers["x-correlation-id"]


async def test_the_date_window_is_inclusive_from_and_exclusive_to(database_url: str) -> None:
    moments = [datetime(2026, 1, day, tzinfo=UTC) for day in (1, 2, 3)]
    for day, moment in zip(("AAA", "BBB", "CCC"), moments, strict=True):
        partner_id, _ = await add_partner(database_url, country_code="DE", party_id=day, role="EMSP", name=day)
        engine = create_engine(database_url)
        try:
            async with create_session_factory(engine)() as session:
                row = await session.get(OcpiPartner, partner_id)
                assert row is not None
                row.updated_at = moment
                await session.commit()
        finally:
            await engine.dispose()
    page = PageRequest.parse({"date_from": "2026-01-02T00:00:00Z", "date_to": "2026-01-03T00:00:00Z"})
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            found = await session.scalars(
                select(OcpiPartner.party_id).where(*date_window(OcpiPartner.updated_at, page))
            )
            assert list(found) == ["BBB"]
            everything = await session.scalars(
                select(OcpiPartner.party_id).where(*date_window(OcpiPartner.updated_at, PageRequest()))
            )
            assert sorted(everything) == ["AAA", "BBB", "CCC"]
    finally:
        await engine.dispose()
