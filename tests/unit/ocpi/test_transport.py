"""OCPI transport without I/O: the envelope, Token header parsing, pagination (parameters and next links), lenient
decoding, and errors answered in the envelope."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from litestar import Litestar, Request, Response, get
from litestar.di import Provide
from litestar.testing import TestClient

from api.domain.ocpi.auth import token_candidates
from api.domain.ocpi.client import authorization_header, read_reply
from api.domain.ocpi.envelope import OcpiError, OcpiStatus, ocpi_response
from api.domain.ocpi.lenient import Repairs, decode_lenient
from api.domain.ocpi.pagination import Page, PageRequest, paginated_response, provide_page
from api.domain.ocpi.router import ocpi_error_response
from api.domain.ocpi.schemas import Credentials, format_datetime, parse_datetime
from api.domain.ocpi.token_vault import decrypt_token, encrypt_token, hash_token
from tests.support import make_settings


def _body(response: Response[bytes]) -> dict[str, Any]:
    decoded: dict[str, Any] = msgspec.json.decode(response.content)
    return decoded


# -- envelope ------------------------------------------------------------------------------------------------------


def test_the_envelope_has_data_status_and_a_utc_timestamp() -> None:
    body = _body(ocpi_response({"price": Decimal("0.25")}))
    assert body["data"] == {"price": 0.25}  # OCPI numbers are JSON numbers, money included
    assert body["status_code"] == 1000
    assert "status_message" not in body
    assert body["timestamp"].endswith("Z")
    assert len(body["timestamp"]) == 20


def test_the_envelope_leaves_data_out_when_there_is_none() -> None:
    response = ocpi_response(None, status_code=OcpiStatus.INVALID_PARAMETERS, status_message="bad", http_status=400)
    assert response.status_code == 400
    assert _body(response).keys() == {"status_code", "status_message", "timestamp"}


def test_status_codes_are_the_specs() -> None:
    codes = [
        OcpiStatus.INVALID_PARAMETERS,
        OcpiStatus.UNKNOWN_LOCATION,
        OcpiStatus.UNABLE_TO_USE_CLIENT_API,
        OcpiStatus.NO_MATCHING_ENDPOINTS,
        OcpiStatus.UNKNOWN_RECEIVER,
        OcpiStatus.TIMEOUT,
        OcpiStatus.CONNECTION_PROBLEM,
    ]
    assert [int(code) for code in codes] == [2001, 2003, 3001, 3003, 4001, 4002, 4003]


def test_ocpi_error_http_status_defaults() -> None:
    assert OcpiError(2001, "x").http_status == 400
    assert OcpiError(3000, "x").http_status == 500
    assert OcpiError(2000, "x", http_status=401).http_status == 401


def test_unexpected_errors_are_3000_without_detail() -> None:
    @get("/ocpi/crash")
    async def crash(request: Request[Any, Any, Any]) -> Response[bytes]:
        return ocpi_error_response(request, RuntimeError("secret internals at line 42"))

    with TestClient(Litestar([crash])) as client:
        answer = client.get("/ocpi/crash")
    assert answer.status_code == 500
    assert answer.json()["status_code"] == 3000
    assert "secret internals" not in answer.text
    assert "Traceback" not in answer.text


def test_ocpi_datetimes() -> None:
    assert format_datetime(datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=UTC)) == "2026-01-02T03:04:05Z"
    assert parse_datetime("2026-01-02T03:04:05Z") == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert parse_datetime(" 2026-01-02T03:04:05 ") == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)  # no zone: UTC
    assert parse_datetime("2026-01-02T05:04:05.5+02:00") == datetime(2026, 1, 2, 3, 4, 5, 500000, tzinfo=UTC)
    # a naive time is UTC (as stored), never the machine's local time
    assert format_datetime(datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02T03:04:05Z"
    assert format_datetime(datetime(2026, 1, 2, 5, 4, 5, tzinfo=timezone(timedelta(hours=2)))) == "2026-01-02T03:04:05Z"
    with pytest.raises(ValueError, match="yesterday"):
        parse_datetime("yesterday")


# -- Token header -------------------------------------------------------------------------------------------------


def test_token_header_base64_and_raw() -> None:
    encoded = base64.b64encode(b"example-token").decode()
    assert token_candidates(f"Token {encoded}") == ["example-token", encoded]
    assert token_candidates("token   example-token ")[-1] == "example-token"
    # the spec's own example encodes a trailing line feed: it is not part of the token
    assert token_candidates("Token ZXhhbXBsZS10b2tlbgo=")[0] == "example-token"
    assert token_candidates("Bearer eyJhbGciOi.x.y") == []
    assert token_candidates("Token") == []
    assert token_candidates("") == []


def test_we_send_base64_tokens() -> None:
    assert authorization_header("example-token") == "Token ZXhhbXBsZS10b2tlbg=="


def test_tokens_are_hashed_and_encrypted() -> None:
    settings = make_settings()
    assert hash_token("abc") == hash_token("abc")
    assert len(hash_token("abc")) == 64
    stored = encrypt_token(settings, "their-token")
    assert "their-token" not in stored
    assert decrypt_token(settings, stored) == "their-token"
    other = make_settings(ocpi_token_key="a passphrase of our own")
    with pytest.raises(Exception, match="VOLTWAY_OCPI_TOKEN_KEY"):
        decrypt_token(other, stored)
    fernet_key = base64.urlsafe_b64encode(bytes(range(32))).decode()
    keyed = make_settings(ocpi_token_key=fernet_key)
    assert decrypt_token(keyed, encrypt_token(keyed, "t")) == "t"


# -- pagination ---------------------------------------------------------------------------------------------------


def test_page_parameters() -> None:
    page = PageRequest.parse({"offset": "10", "limit": " 50", "date_from": "2026-01-01T00:00:00Z"}, 1000)
    assert (page.offset, page.limit) == (10, 50)
    assert page.date_from == datetime(2026, 1, 1, tzinfo=UTC)
    assert page.date_to is None
    assert PageRequest.parse({"limit": "5000"}, 1000).limit == 1000  # capped at the server's maximum
    assert PageRequest.parse({}, 200).limit == 200


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ({"offset": "abc"}, "offset must be a whole number"),
        ({"limit": "-1"}, "limit must not be negative"),
        ({"date_from": "yesterday"}, "date_from must be a date and time"),
        ({"date_from": "2026-02-01T00:00:00Z", "date_to": "2026-01-01T00:00:00Z"}, "date_to must not be before"),
    ],
)
def test_bad_page_parameters_are_2001(query: dict[str, str], words: str) -> None:
    with pytest.raises(OcpiError, match=words) as raised:
        PageRequest.parse(query, 1000)
    assert raised.value.status_code == 2001


ITEMS = [{"id": str(n)} for n in range(25)]


@get("/ocpi/cpo/2.2.1/things", dependencies={"page": Provide(provide_page, sync_to_thread=False)}, sync_to_thread=False)
def things(request: Request[Any, Any, Any], page: Page) -> Response[bytes]:
    window = ITEMS[page.offset : page.offset + page.limit]
    return paginated_response(request, window, len(ITEMS), page)


def test_next_links_carry_every_filter_until_the_last_page() -> None:
    app = Litestar([things], exception_handlers={OcpiError: ocpi_error_response})
    app.state.settings = make_settings(ocpi_page_limit=10)
    with TestClient(app) as client:
        answer = client.get("/ocpi/cpo/2.2.1/things", params={"date_from": "2026-01-01T00:00:00Z", "limit": "100"})
        assert answer.headers["x-total-count"] == "25"
        assert answer.headers["x-limit"] == "10"
        seen = [item["id"] for item in answer.json()["data"]]
        links = [answer.headers["link"]]
        while "link" in answer.headers:
            url = answer.headers["link"].removeprefix("<").split(">;")[0]
            assert answer.headers["link"].endswith('>; rel="next"')
            assert "date_from=2026-01-01T00%3A00%3A00Z" in url
            answer = client.get(url)
            seen += [item["id"] for item in answer.json()["data"]]
            links.append(answer.headers.get("link", ""))
        assert seen == [item["id"] for item in ITEMS]
        assert links[0].startswith("<http://testserver.local/ocpi/cpo/2.2.1/things?offset=10&limit=10&date_from=")
        assert len(links) == 3
        bad = client.get("/ocpi/cpo/2.2.1/things", params={"offset": "x"})
        assert bad.json()["status_code"] == 2001


# -- lenient decoding and replies ---------------------------------------------------------------------------------


def test_lenient_decoding_repairs_and_names_each_repair() -> None:
    repairs = Repairs("credentials")
    raw = {
        "token": "abc ",
        "url": " https://x/versions",
        "extra": 1,
        "roles": [{"role": "cpo", "party_id": "ABC", "country_code": "NL", "business_details": {"name": "N"}}],
    }
    credentials = decode_lenient(raw, Credentials, repairs)
    assert credentials.token == "abc"
    assert credentials.roles[0].role == "CPO"
    assert any(".extra: unknown field ignored" in note for note in repairs.notes)
    assert len(repairs.notes) == 4


def test_lenient_decoding_still_refuses_what_cannot_be_repaired() -> None:
    with pytest.raises(OcpiError, match=r"roles") as raised:
        decode_lenient({"token": "t", "url": "u", "roles": "CPO"}, Credentials, Repairs("credentials"))
    assert raised.value.status_code == 2001
    with pytest.raises(OcpiError, match="not valid JSON"):
        decode_lenient(b"{nope", Credentials, Repairs("credentials"))


def test_replies_are_read_leniently() -> None:
    import httpx

    reply = read_reply(httpx.Response(200, json={"status_code": "1000", "data": [1]}))
    assert reply.ok
    assert reply.status_code == 1000
    assert reply.data == [1]
    assert not read_reply(httpx.Response(200, text="<html>")).ok
    refused = read_reply(httpx.Response(401, json={"status_code": 2000, "status_message": "Unknown token"}))
    assert refused.describe() == "HTTP 401, OCPI 2000, Unknown token"


def test_a_database_outage_is_503_in_the_envelope() -> None:
    from sqlalchemy.exc import OperationalError

    @get("/ocpi/outage")
    async def outage(request: Request[Any, Any, Any]) -> Response[bytes]:
        return ocpi_error_response(request, OperationalError("SELECT secret", {}, ConnectionRefusedError()))

    with TestClient(Litestar([outage])) as client:
        answer = client.get("/ocpi/outage")
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "5"
    assert answer.json()["status_code"] == 3000
    assert "secret" not in answer.text


def test_a_caller_never_shows_its_token() -> None:
    import uuid

    from api.domain.ocpi.auth import OcpiCaller

    caller = OcpiCaller(uuid.uuid4(), "DE", "ABC", "EMSP", registered=True, token="the-secret-token")
    assert "the-secret-token" not in f"{caller} {caller!r}"
    assert "DE/ABC/EMSP" in repr(caller)
