"""The OCPI credentials handshake with a (fake) eMSP registering with us, and the OCPI area's authentication."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.db.engine import create_engine, create_session_factory
from api.db.models.ocpi import OcpiPartner
from api.domain.ocpi.partners import token_b
from tests.ocpi_fake_emsp import FakeEmsp, RegisteredPartner, ocpi_headers

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


async def test_an_emsp_registers_and_gets_token_c(
    client: AsyncTestClient[Litestar], fake_emsp: FakeEmsp, ocpi_partner: RegisteredPartner, database_url: str
) -> None:
    # we read its versions and endpoints with its token B during the POST
    fetched = fake_emsp.requests_to("/ocpi/2.2.1", "GET")
    assert fetched
    assert fetched[0].token == fake_emsp.partner_token
    assert ocpi_partner.credentials["roles"][0]["role"] == "CPO"
    assert ocpi_partner.credentials["url"].endswith("/ocpi/versions")
    async with partner_row(database_url, ocpi_partner.partner_id) as partner:
        assert partner.status == "registered"
        assert token_b(partner) == fake_emsp.partner_token
        assert fake_emsp.partner_token not in (partner.token_b_encrypted or "")
        assert {(e["identifier"], e["role"]) for e in partner.endpoints or []} >= {("sessions", "RECEIVER")}
    answer = await client.get(CREDENTIALS, headers=ocpi_headers(ocpi_partner.token))
    assert answer.status_code == 200
    assert answer.json()["data"]["token"] == ocpi_partner.token
