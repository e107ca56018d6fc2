"""Roaming drivers at our chargers, on SQLite and PostgreSQL: the app served by uvicorn with its OCPP bridge, simulated
chargers over real websockets, and a fake eMSP (a real HTTP server in the test) that registers with us, pushes its
drivers' tokens, sends commands and receives our CommandResults."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from ocpi_types import v2_2_1
from sqlalchemy import select

from api.db.engine import create_engine, create_session_factory
from api.db.models import ChargingSession, Evse, Location, OcpiToken, Reservation
from api.domain.chargers.reservations import expire_reservations
from ocpp_bridge.simulator import SimulatedCharger
from tests.integration.test_sessions import Network, expected_bill, serve
from tests.ocpi_fake_emsp import FakeEmsp, ocpi_headers, register_fake_emsp, start_fake_emsp
from tests.support import wait_for

OCPI = "/ocpi/cpo/2.2.1"


@dataclass
class Roaming:
    """Our served network with the fake eMSP registered as a partner."""

    net: Network
    emsp: FakeEmsp
    partner_id: uuid.UUID
    headers: dict[str, str]
    client: httpx.AsyncClient

    async def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        return await self.client.request(method, f"{OCPI}{path}", json=body, headers=headers or self.headers)

    async def command(self, command: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
        answer = await self.call("POST", f"/commands/{command}", body, headers)
        assert answer.status_code == 200, answer.text
        envelope = answer.json()
        assert envelope["status_code"] == 1000, envelope
        v2_2_1.CommandResponse.from_dict(envelope["data"])  # the spec's shape
        assert envelope["data"]["timeout"] > 0
        return envelope["data"]

    def response_url(self, command: str) -> str:
        return f"{self.emsp.url('commands')}/{command}/{uuid.uuid4().hex}"

    async def result_at(self, url: str) -> Any:
        """The CommandResult POSTed to `url` once it arrives, checked against the spec's shape."""
        path = httpx.URL(url).path
        found = await self.emsp.wait_for(lambda r: r.method == "POST" and r.path == path, timeout=30)
        v2_2_1.CommandResult.from_dict(found.json)
        return found.json

    async def rows(self, query: Any) -> list[Any]:
        engine = create_engine(self.net.database_url)
        try:
            async with create_session_factory(engine)() as session:
                return list((await session.execute(query)).all())
        finally:
            await engine.dispose()

    async def location_of(self, evse_uid: str) -> str:
        found = await self.rows(
            select(Location.ocpi_id).join(Evse, Evse.location_id == Location.id).where(Evse.uid == evse_uid)
        )
        return str(found[0][0])

    async def session_of(self, **where: Any) -> ChargingSession | None:
        query = select(ChargingSession).order_by(ChargingSession.created_at.desc())
        for name, value in where.items():
            query = query.where(getattr(ChargingSession, name) == value)
        found = await self.rows(query.limit(1))
        return found[0][0] if found else None

    async def card_at_first_charger(self, uid: str) -> tuple[SimulatedCharger, ChargingSession]:
        """The roaming driver holds the card to the first charger's reader (Authorize and StartTransaction over the
        websocket); the charger and the driver's session once it charges."""
        charger = self.net.simulators[0].chargers[0]
        charger.remote_start = uid
        charger.wake.set()
        return charger, await self.charging("the roaming driver's session", id_token=uid)

    async def charging(self, what: str, **where: Any) -> ChargingSession:
        """The newest session matching `where`, once it charges; the test fails if it does not in time."""

        async def found() -> ChargingSession | None:
            session = await self.session_of(**where)
            return session if session is not None and session.status == "charging" else None

        session: ChargingSession = await wait_for(found, what)
        return session


@contextlib.asynccontextmanager
async def roaming(
    database_url: str, fake_emsp: FakeEmsp, chargers: int = 2, version: str = "1.6"
) -> AsyncIterator[Roaming]:
    async with (
        serve(database_url, chargers=chargers, version=version) as net,
        httpx.AsyncClient(base_url=net.base, timeout=40) as client,
    ):
        partner = await register_fake_emsp(client, fake_emsp, database_url)
        yield Roaming(net, fake_emsp, partner.partner_id, ocpi_headers(partner.token), client)


def stamp(minutes: float = 0) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat(timespec="seconds").replace("+00:00", "Z")


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_a_roaming_card_charges_and_its_session_is_the_emsps(
    database_url: str, fake_emsp: FakeEmsp, version: str
) -> None:
    async with roaming(database_url, fake_emsp, version=version) as world:
        uid = "04A1B2C3D4E5F6"
        token = fake_emsp.make_token(uid, whitelist="ALWAYS")
        sloppy = {**token, "issuer": " Fake eMSP  ", "valid": "true", "colour": "blue"}  # repaired, logged
        put = await world.call("PUT", f"/tokens/{fake_emsp.country_code}/{fake_emsp.party_id}/{uid}", sloppy)
        assert put.status_code == 200, put.text
        assert put.json()["status_code"] == 1000
        got = await world.call("GET", f"/tokens/{fake_emsp.country_code}/{fake_emsp.party_id}/{uid}?type=RFID")
        stored = got.json()["data"]
        v2_2_1.Token.from_dict(stored)
        assert (stored["uid"], stored["issuer"], stored["valid"], stored["whitelist"]) == (
            uid,
            "Fake eMSP",
            True,
            "ALWAYS",
        )

        charger, session = await world.card_at_first_charger(uid)
        assert session.source == "ocpi"
        assert session.user_id is None
        assert session.ocpi_partner_id == world.partner_id
        assert session.ocpi_auth_method == "WHITELIST"
        assert session.ocpi_cdr_token == {
            "country_code": fake_emsp.country_code,
            "party_id": fake_emsp.party_id,
            "uid": uid,
            "type": "RFID",
            "contract_id": token["contract_id"],
        }
        assert not fake_emsp.requests_to("/authorize")  # ALWAYS: no real-time authorisation

        # the card again ends it; the session is billed like any other, with no card payment
        assert await charger.present_card(uid)

        async def completed() -> ChargingSession | None:
            found = await world.session_of(id=session.id)
            return found if found is not None and found.status == "completed" else None

        billed = await wait_for(completed, "the roaming session to be billed")
        amount_due, minor = await expected_bill(database_url, str(session.id))
        assert Decimal(str(billed.amount_due)) == amount_due
        assert billed.amount_due_minor == minor
        assert billed.cdr is not None
        assert Decimal(billed.cdr["amount_due"]) == amount_due
        assert billed.payment_status == "billed_outside"
        assert billed.captured_minor == 0


async def test_real_time_authorisation_follows_the_whitelist(database_url: str, fake_emsp: FakeEmsp) -> None:
    async with roaming(database_url, fake_emsp, chargers=1) as world:
        party = f"/tokens/{fake_emsp.country_code}/{fake_emsp.party_id}"
        for uid, whitelist in [("AA000001", "NEVER"), ("AA000002", "ALLOWED_OFFLINE"), ("AA000003", "ALLOWED")]:
            answer = await world.call("PUT", f"{party}/{uid}", fake_emsp.make_token(uid, whitelist=whitelist))
            assert answer.json()["status_code"] == 1000, answer.text
        roaming_tokens = world.net.app.state.bridge.csms.roaming
        location = (await world.rows(select(Evse.location_id).where(Evse.uid == world.net.evse_uids[0])))[0][0]

        verdict = await roaming_tokens.verdict("AA000001", location)
        assert verdict.info.status == "Accepted"
        asked = fake_emsp.requests_to("/tokens/AA000001/authorize", "POST")
        assert len(asked) == 1
        assert asked[0].query == {"type": ["RFID"]}
        assert asked[0].json == {"location_id": await world.location_of(world.net.evse_uids[0])}
        columns = await roaming_tokens.session_columns("AA000001")
        assert columns["ocpi_auth_method"] == "AUTH_REQUEST"
        assert columns["ocpi_authorization_reference"].startswith("fake-auth-")

        fake_emsp.authorize_answer = "BLOCKED"
        assert (await roaming_tokens.verdict("AA000003", location)).info.status == "Blocked"

        fake_emsp.reject_with(503)  # the eMSP is down
        assert (await roaming_tokens.verdict("AA000001", location)).info.status == "Invalid"  # NEVER: no
        assert (await roaming_tokens.verdict("AA000002", location)).info.status == "Accepted"  # stored token
        assert (await roaming_tokens.verdict("UNKNOWN1", location)) is None  # nobody's token


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_start_and_stop_session_commands_end_in_command_results(
    database_url: str, fake_emsp: FakeEmsp, version: str
) -> None:
    async with roaming(database_url, fake_emsp, version=version) as world:
        evse = world.net.evse_uids[0]
        start_url = world.response_url("START_SESSION")
        response = await world.command(
            "START_SESSION",
            {
                "response_url": start_url,
                "token": fake_emsp.make_token("APPUSER0001", type="APP_USER", whitelist="NEVER"),
                "location_id": await world.location_of(evse),
                "evse_uid": evse,
                "authorization_reference": "auth-ref-1",
            },
        )
        assert response["result"] == "ACCEPTED"
        assert (await world.result_at(start_url))["result"] == "ACCEPTED"

        session = await world.charging("the commanded session to charge", ocpi_partner_id=world.partner_id)
        assert (session.source, session.ocpi_auth_method) == ("ocpi", "COMMAND")
        assert session.ocpi_authorization_reference == "auth-ref-1"
        assert session.ocpi_cdr_token is not None
        assert session.ocpi_cdr_token["uid"] == "APPUSER0001"
        stored = await world.rows(select(OcpiToken.uid, OcpiToken.type).where(OcpiToken.uid == "APPUSER0001"))
        assert stored == [("APPUSER0001", "APP_USER")]  # the command's Token is kept

        stop_url = world.response_url("STOP_SESSION")
        response = await world.command("STOP_SESSION", {"response_url": stop_url, "session_id": str(session.id)})
        assert response["result"] == "ACCEPTED"
        assert (await world.result_at(stop_url))["result"] == "ACCEPTED"

        async def over() -> bool:
            found = await world.session_of(id=session.id)
            return found is not None and found.status == "completed"

        await wait_for(over, "the commanded session to be billed")
        again = await world.command("STOP_SESSION", {"response_url": stop_url, "session_id": str(session.id)})
        assert again["result"] == "REJECTED"  # it is over


async def test_reservations_are_made_cancelled_and_expire(database_url: str, fake_emsp: FakeEmsp) -> None:
    async with roaming(database_url, fake_emsp) as world:
        evse = world.net.evse_uids[0]
        token = fake_emsp.make_token("RESV0001", whitelist="ALWAYS")

        async def reserve(reservation_id: str, minutes: float, at: str = evse) -> Any:
            url = world.response_url("RESERVE_NOW")
            body = {
                "response_url": url,
                "token": token,
                "expiry_date": stamp(minutes),
                "reservation_id": reservation_id,
                "location_id": await world.location_of(at),
                "evse_uid": at,
            }
            assert (await world.command("RESERVE_NOW", body))["result"] == "ACCEPTED"
            return await world.result_at(url)

        assert (await reserve("R-1", 30))["result"] == "ACCEPTED"
        made = await world.rows(select(Reservation).where(Reservation.ocpi_reservation_id == "R-1"))
        assert len(made) == 1
        reservation = made[0][0]
        assert (reservation.status, reservation.id_token, reservation.ocpi_partner_id) == (
            "Active",
            "RESV0001",
            world.partner_id,
        )

        cancel_url = world.response_url("CANCEL_RESERVATION")
        body = {"response_url": cancel_url, "reservation_id": "R-1"}
        assert (await world.command("CANCEL_RESERVATION", body))["result"] == "ACCEPTED"
        assert (await world.result_at(cancel_url))["result"] == "ACCEPTED"
        status = await world.rows(select(Reservation.status).where(Reservation.id == reservation.id))
        assert status == [("Cancelled",)]
        unknown_url = world.response_url("CANCEL_RESERVATION")
        body = {"response_url": unknown_url, "reservation_id": "R-1"}
        assert (await world.command("CANCEL_RESERVATION", body))["result"] == "ACCEPTED"
        assert (await world.result_at(unknown_url))["result"] == "UNKNOWN_RESERVATION"

        # a reservation whose expiry has passed is Expired by the bridge's upkeep
        assert (await reserve("R-2", 1))["result"] == "ACCEPTED"
        engine = create_engine(database_url)
        try:
            expired = await expire_reservations(
                create_session_factory(engine), datetime.now(UTC) + timedelta(minutes=2)
            )
        finally:
            await engine.dispose()
        assert expired == 1
        status = await world.rows(select(Reservation.status).where(Reservation.ocpi_reservation_id == "R-2"))
        assert status == [("Expired",)]

        # the driver an EVSE is reserved for starts from the eMSP's app: the start uses the reservation up
        other = world.net.evse_uids[1]  # (the first charger keeps holding R-2 until its own clock says so)
        assert (await reserve("R-3", 30, other))["result"] == "ACCEPTED"
        start_url = world.response_url("START_SESSION")
        start: dict[str, Any] = {"response_url": start_url, "token": token, "evse_uid": other}
        start["location_id"] = await world.location_of(other)
        assert (await world.command("START_SESSION", start))["result"] == "ACCEPTED"
        assert (await world.result_at(start_url))["result"] == "ACCEPTED"

        session = await world.charging("the reserved driver's session to charge", ocpi_partner_id=world.partner_id)
        assert (session.id_token, session.ocpi_auth_method) == ("RESV0001", "COMMAND")
        used = await world.rows(select(Reservation.status).where(Reservation.ocpi_reservation_id == "R-3"))
        assert used == [("Used",)]


async def test_unlock_connector_reaches_the_charger(database_url: str, fake_emsp: FakeEmsp) -> None:
    async with roaming(database_url, fake_emsp, chargers=1) as world:
        evse = world.net.evse_uids[0]
        url = world.response_url("UNLOCK_CONNECTOR")
        body = {
            "response_url": url,
            "location_id": await world.location_of(evse),
            "evse_uid": evse,
            "connector_id": "1",
        }
        assert (await world.command("UNLOCK_CONNECTOR", body))["result"] == "ACCEPTED"
        assert (await world.result_at(url))["result"] == "ACCEPTED"
        assert world.net.simulators[0].report.unlocks == 1  # the charger carried it out
        wrong = {**body, "connector_id": "9"}
        refused = await world.command("UNLOCK_CONNECTOR", wrong)
        assert refused["result"] == "REJECTED"
        assert "connector" in refused["message"][0]["text"]


async def test_a_partner_sees_and_commands_only_its_own(database_url: str, fake_emsp: FakeEmsp) -> None:
    other, stop_other = start_fake_emsp(party_id="OTH", name="Other eMSP")
    try:
        async with roaming(database_url, fake_emsp, chargers=1) as world:
            theirs = ocpi_headers((await register_fake_emsp(world.client, other, database_url)).token)
            uid = "CAFE0001"
            path = f"/tokens/{fake_emsp.country_code}/{fake_emsp.party_id}/{uid}"
            assert (await world.call("PUT", path, fake_emsp.make_token(uid))).status_code == 200

            for method, body in [("GET", None), ("PUT", other.make_token(uid)), ("PATCH", {"valid": False})]:
                answer = await world.call(method, path, body, headers=theirs)
                assert answer.status_code == 400, answer.text
                assert answer.json()["status_code"] == 2001
            mismatch = await world.call("PUT", path, fake_emsp.make_token("CAFE0002"))
            assert mismatch.json()["status_code"] == 2001  # the body's uid is not the URL's

            patched = await world.call("PATCH", path, {"valid": False, "last_updated": stamp()})
            assert patched.json()["status_code"] == 1000
            assert (await world.call("GET", path)).json()["data"]["valid"] is False
            unknown = await world.call("GET", f"/tokens/{fake_emsp.country_code}/{fake_emsp.party_id}/NOPE")
            assert (unknown.status_code, unknown.json()["status_code"]) == (404, 2004)

            for headers in [{}, {"Authorization": "Token bm90LWEtdG9rZW4="}, {"Authorization": "Bearer x"}]:
                answer = await world.client.get(f"{OCPI}{path}", headers=headers)
                assert answer.status_code == 401
                assert answer.json()["status_code"] == 2000
                answer = await world.client.post(f"{OCPI}/commands/STOP_SESSION", headers=headers, json={})
                assert answer.status_code == 401

            evse = world.net.evse_uids[0]
            start_url = world.response_url("START_SESSION")
            body = {
                "response_url": start_url,
                "token": fake_emsp.make_token("MINE0001"),
                "location_id": await world.location_of(evse),
                "evse_uid": evse,
            }
            assert (await world.command("START_SESSION", body))["result"] == "ACCEPTED"
            assert (await world.result_at(start_url))["result"] == "ACCEPTED"

            async def mine() -> ChargingSession | None:
                return await world.session_of(ocpi_partner_id=world.partner_id)

            session = await wait_for(mine, "the session")
            stop = {"response_url": world.response_url("STOP_SESSION"), "session_id": str(session.id)}
            assert (await world.command("STOP_SESSION", stop, headers=theirs))["result"] == "UNKNOWN_SESSION"
            assert (await world.command("STOP_SESSION", {**stop, "session_id": "x"}))["result"] == "UNKNOWN_SESSION"

            unknown_place = {**body, "location_id": "NOWHERE"}
            assert (await world.command("START_SESSION", unknown_place))["result"] == "REJECTED"
            assert (await world.command("DANCE", {}))["result"] == "NOT_SUPPORTED"
            bad = await world.call("POST", "/commands/START_SESSION", {"response_url": "not a url"})
            assert (bad.status_code, bad.json()["status_code"]) == (400, 2001)
    finally:
        stop_other()


async def test_the_roaming_session_and_its_cdr_reach_the_emsp_with_the_right_cost(
    database_url: str, fake_emsp: FakeEmsp
) -> None:
    async with roaming(database_url, fake_emsp, chargers=1) as world:
        uid = "04C0FFEE0001"
        path = f"/tokens/{fake_emsp.country_code}/{fake_emsp.party_id}/{uid}"
        assert (await world.call("PUT", path, fake_emsp.make_token(uid, whitelist="ALWAYS"))).status_code == 200
        charger, session = await world.card_at_first_charger(uid)
        assert await charger.present_card(uid)

        async def completed() -> ChargingSession | None:
            found = await world.session_of(id=session.id)
            return found if found is not None and found.status == "completed" else None

        billed = await wait_for(completed, "the roaming session to be billed")
        cdr = await fake_emsp.wait_for(lambda r: r.method == "POST" and r.path.rstrip("/").endswith("/cdrs"), 30)
        v2_2_1.Cdr.from_dict(cdr.json)
        assert cdr.json["cdr_token"]["uid"] == uid
        assert Decimal(str(cdr.json["total_cost"]["incl_vat"])) == Decimal(str(billed.amount_due))
        pushed = await fake_emsp.wait_for(
            lambda r: r.method == "PUT" and "/sessions/" in r.path and (r.json or {}).get("status") == "COMPLETED", 30
        )
        v2_2_1.Session.from_dict(pushed.json)
        assert pushed.json["id"] == str(session.id)
        assert pushed.json["cdr_token"]["uid"] == uid
        assert Decimal(str(pushed.json["total_cost"]["incl_vat"])) == Decimal(str(billed.amount_due))
