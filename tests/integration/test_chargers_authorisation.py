"""Authorisation at chargers over real websockets, on SQLite and PostgreSQL: token expiry, groups, the master pass,
local lists kept in step with our tokens, cache clearing, reservations, and transactions that must not be lost."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from api.db.engine import create_engine, create_session_factory
from api.db.models import (
    ChargerLocalList,
    ChargerLogEntry,
    ChargingSession,
    ChargingStation,
    ChargingTransaction,
    Evse,
    IdTokenRecord,
    MeterSampleRecord,
    Reservation,
)
from api.domain.chargers.authorisation import UNAUTHORISED_STOP
from api.domain.chargers.backend import CsmsService
from api.domain.chargers.local_list import LocalListKeeper
from api.domain.chargers.meter_writer import MeterSampleWriter
from api.domain.chargers.provisioning import add_charger, add_token, block_token
from api.domain.chargers.reservations import ReservationService, expire_reservations
from ocpp_bridge.commands import RemoteStart
from ocpp_bridge.config import BridgeConfig
from ocpp_bridge.server import CentralSystem
from ocpp_bridge.simulator import Simulation, SimulatorConfig
from tests.e2e.ocpp_bridge.ocpp_charger_for_tests import ScriptedCharger, charger
from tests.support import wait_for

SECRET = "a-long-charger-secret"
MASTER = "MASTER-PASS"
VERSIONS = ["1.6", "2.0.1"]


class Csms:
    def __init__(self, factory: Any, service: CsmsService, central: CentralSystem) -> None:
        self.factory = factory
        self.service = service
        self.central = central
        self.keeper = LocalListKeeper(
            factory, central.send_command, held=lambda: {c.charger_id: c.ocpp_version for c in central.chargers()}
        )
        self.reservations = ReservationService(factory, central.send_command)

    async def rows(self, query: Any) -> list[Any]:
        async with self.factory() as session:
            return list((await session.execute(query)).all())

    async def token(self, uid: str, **values: Any) -> None:
        async with self.factory() as session:
            await add_token(session, uid, driver_email=None)
            if values:
                await session.execute(update(IdTokenRecord).where(IdTokenRecord.uid == uid).values(**values))
                await session.commit()


@pytest.fixture
async def csms(database_url: str) -> AsyncIterator[Csms]:
    engine = create_engine(database_url)
    factory = create_session_factory(engine)
    async with factory() as session:
        await add_charger(
            session, ocpp_id="CP-1", password=SECRET, country_code="NL", party_id="VWY", evses=2,
            coordinates=(52.0, 5.0),
        )  # fmt: skip
        await session.execute(update(ChargingStation).values(created_at=datetime.now(UTC) - timedelta(days=1)))
        await session.commit()
    service = CsmsService(
        factory,
        heartbeat_interval=120,
        meter_writer=MeterSampleWriter(factory, flush_seconds=60),
        master_pass_group_id=MASTER,
    )
    await service.start()
    central = CentralSystem(service, BridgeConfig(host="127.0.0.1", port=0, ping_interval=None, command_timeout=5.0))
    async with central:
        yield Csms(factory, service, central)
    await service.stop()
    await engine.dispose()


@contextlib.asynccontextmanager
async def connected(csms: Csms, version: str) -> AsyncIterator[ScriptedCharger]:
    async with charger(csms.central.port, "CP-1", version, password=SECRET) as cs:
        await wait_for(lambda: _true(csms.central.is_connected("CP-1")), "the charger to connect")
        yield cs


async def _true(value: bool) -> bool:
    return value


def stamp(minutes: float = 0) -> str:
    moment = datetime.now(UTC) + timedelta(minutes=minutes)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def energy(wh: float, minutes: float = 0) -> list[dict[str, Any]]:
    return [{"timestamp": stamp(minutes), "sampledValue": [{"value": wh, "unitOfMeasure": {"unit": "Wh"}}]}]


async def authorize(cs: ScriptedCharger, uid: str) -> dict[str, Any]:
    if cs.version == "1.6":
        info: dict[str, Any] = (await cs.call("Authorize", {"idTag": uid}))["idTagInfo"]
    else:
        info = (await cs.call("Authorize", {"idToken": {"idToken": uid, "type": "ISO14443"}}))["idTokenInfo"]
    return info


def group_of(info: dict[str, Any]) -> str | None:
    group = info.get("parentIdTag") or info.get("groupIdToken")
    return group["idToken"] if isinstance(group, dict) else group


_starts = iter(range(10**6))


async def start(cs: ScriptedCharger, uid: str | None, connector: int = 1, tx: str = "TX-1", **extra: Any) -> Any:
    """Start a transaction; (the charger's transaction id, the idTagInfo / idTokenInfo answered)."""
    at = stamp(-30 + next(_starts) / 60)  # each start a second after the one before
    if cs.version == "1.6":
        payload = {"connectorId": connector, "idTag": uid, "meterStart": 1000, "timestamp": at, **extra}
        answer = await cs.call("StartTransaction", payload)
        return str(answer["transactionId"]), answer["idTagInfo"]
    event: dict[str, Any] = {
        "eventType": "Started",
        "timestamp": at,
        "triggerReason": "Authorized",
        "seqNo": 0,
        "transactionInfo": {"transactionId": tx, **extra.pop("transactionInfo", {})},
        "evse": {"id": connector, "connectorId": 1},
        "meterValue": energy(1000, minutes=-1),
        **extra,
    }
    if uid is not None:
        event["idToken"] = {"idToken": uid, "type": "ISO14443"}
    answer = await cs.call("TransactionEvent", event)
    return tx, answer.get("idTokenInfo")


async def stop(cs: ScriptedCharger, tx: str, uid: str) -> dict[str, Any]:
    if cs.version == "1.6":
        payload = {"transactionId": int(tx), "idTag": uid, "meterStop": 5000, "timestamp": stamp(), "reason": "Local"}
        info: dict[str, Any] = (await cs.call("StopTransaction", payload))["idTagInfo"]
        return info
    event = {
        "eventType": "Ended",
        "timestamp": stamp(),
        "triggerReason": "StopAuthorized",
        "seqNo": 1,
        "transactionInfo": {"transactionId": tx, "stoppedReason": "Local"},
        "idToken": {"idToken": uid, "type": "ISO14443"},
        "meterValue": energy(5000),
    }
    answer: dict[str, Any] = (await cs.call("TransactionEvent", event))["idTokenInfo"]
    return answer


# ----- expiry, groups, master pass ---------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_token_past_its_expiry_is_answered_expired(csms: Csms, version: str) -> None:
    later = datetime.now(UTC) + timedelta(days=30)
    await csms.token("CARD-OLD", expires_at=datetime.now(UTC) - timedelta(minutes=1))
    await csms.token("CARD-NEW", expires_at=later)
    async with connected(csms, version) as cs:
        assert (await authorize(cs, "CARD-OLD"))["status"] == "Expired"
        valid = await authorize(cs, "CARD-NEW")
        assert valid["status"] == "Accepted"
        expiry = valid["expiryDate" if version == "1.6" else "cacheExpiryDateTime"]
        assert abs(datetime.fromisoformat(expiry.replace("Z", "+00:00")) - later) < timedelta(seconds=1)
        _, info = await start(cs, "CARD-OLD")
        assert info["status"] == "Expired"


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_card_of_the_same_group_may_stop_and_one_of_another_group_may_not(csms: Csms, version: str) -> None:
    await csms.token("CARD-A", group_id="FLEET-1")
    await csms.token("CARD-B", group_id="FLEET-1")
    await csms.token("CARD-C", group_id="FLEET-2")
    async with connected(csms, version) as cs:
        info = await authorize(cs, "CARD-B")  # the charger compares this group with the starter's
        assert (info["status"], group_of(info)) == ("Accepted", "FLEET-1")

        tx, started = await start(cs, "CARD-A", tx="TX-G1")
        assert group_of(started) == "FLEET-1"
        stopped = await stop(cs, tx, "CARD-B")
        assert (stopped["status"], group_of(stopped)) == ("Accepted", "FLEET-1")

        tx, _ = await start(cs, "CARD-A", connector=2, tx="TX-G2")
        refused = await stop(cs, tx, "CARD-C")
        assert refused["status"] == "Invalid"
    logged = await csms.rows(select(ChargerLogEntry.detail).where(ChargerLogEntry.kind == UNAUTHORISED_STOP))
    assert [(row[0]["idToken"], row[0]["startedBy"]) for row in logged] == [("CARD-C", "CARD-A")]


async def test_a_free_vend_start_is_accepted(csms: Csms) -> None:
    async with connected(csms, "2.0.1") as cs:
        answer = await cs.call(
            "TransactionEvent",
            {
                "eventType": "Started",
                "timestamp": stamp(),
                "triggerReason": "CablePluggedIn",
                "seqNo": 0,
                "transactionInfo": {"transactionId": "TX-FREE"},
                "evse": {"id": 1, "connectorId": 1},
                "idToken": {"idToken": "", "type": "NoAuthorization"},
            },
        )
    assert answer["idTokenInfo"]["status"] == "Accepted"
    assert await csms.rows(select(ChargingTransaction.status)) == [("active",)]


async def test_a_card_presented_after_a_cable_first_start_becomes_the_transactions_driver(csms: Csms) -> None:
    await csms.token("CARD-A", group_id="FLEET-1")
    async with connected(csms, "2.0.1") as cs:
        await start(cs, None, tx="TX-CABLE", triggerReason="CablePluggedIn")
        answer = await cs.call(
            "TransactionEvent",
            {
                "eventType": "Updated",
                "timestamp": stamp(),
                "triggerReason": "Authorized",
                "seqNo": 1,
                "transactionInfo": {"transactionId": "TX-CABLE"},
                "idToken": {"idToken": "CARD-A", "type": "ISO14443"},
            },
        )
        assert (answer["idTokenInfo"]["status"], group_of(answer["idTokenInfo"])) == ("Accepted", "FLEET-1")
        assert (await stop(cs, "TX-CABLE", "CARD-A"))["status"] == "Accepted"
    rows = await csms.rows(select(ChargingTransaction.id_token, ChargingTransaction.status))
    assert rows == [("CARD-A", "ended")]


async def test_the_master_pass_stops_any_transaction_and_starts_none(csms: Csms) -> None:
    await csms.token("CARD-A")
    await csms.token("CARD-MASTER", group_id=MASTER)
    keeper = LocalListKeeper(
        csms.factory,
        csms.central.send_command,
        held=lambda: {c.charger_id: c.ocpp_version for c in csms.central.chargers()},
        master_pass_group_id=MASTER,
    )
    async with connected(csms, "2.0.1") as cs:
        await keeper.upkeep()  # the charger is told the master pass group, once per connection
        await keeper.upkeep()
        told = [payload for action, payload in cs.received_commands if action == "SetVariables"]
        assert [item["variable"]["name"] for item in told[0]["setVariableData"]] == ["MasterPassGroupId"]
        assert (len(told), told[0]["setVariableData"][0]["attributeValue"]) == (1, MASTER)
        info = await authorize(cs, "CARD-MASTER")
        assert (info["status"], group_of(info)) == ("Accepted", MASTER)
        _, refused = await start(cs, "CARD-MASTER", tx="TX-M0")
        assert refused["status"] == "Invalid"
        tx, _ = await start(cs, "CARD-A", connector=2, tx="TX-M1")
        assert (await stop(cs, tx, "CARD-MASTER"))["status"] == "Accepted"
    statuses = dict(await csms.rows(select(ChargingTransaction.ocpp_transaction_id, ChargingTransaction.status)))
    assert statuses == {"TX-M0": "rejected", "TX-M1": "ended"}


# ----- local list and cache ----------------------------------------------------------------------------------------


class ChargerList:
    """A charger's local list as the spec has it: versions, Full replaces, Differential needs a newer version."""

    def __init__(self, version: str, per_message: int) -> None:
        self.v16 = version == "1.6"
        self.per_message = per_message
        self.version = 0
        self.entries: dict[str, dict[str, Any]] = {}
        self.messages: list[tuple[str, int, int]] = []
        self.cleared = 0

    def configuration(self, payload: dict[str, Any]) -> dict[str, Any]:
        values = {
            "LocalAuthListEnabled": "true",
            "SendLocalListMaxLength": str(self.per_message),
            "LocalAuthListMaxLength": "100",
            "AuthorizationCacheEnabled": "true",
        }
        if self.v16:
            return {"configurationKey": [{"key": k, "readonly": True, "value": values[k]} for k in payload["key"]]}
        by_name = {"Enabled": "true", "ItemsPerMessage": str(self.per_message), "Entries": str(len(self.entries))}
        return {
            "getVariableResult": [
                {
                    "attributeStatus": "Accepted",
                    "attributeValue": by_name[item["variable"]["name"]],
                    "component": item["component"],
                    "variable": item["variable"],
                }
                for item in payload["getVariableData"]
            ]
        }

    def send_local_list(self, payload: dict[str, Any]) -> dict[str, Any]:
        version = payload["listVersion" if self.v16 else "versionNumber"]
        items = payload.get("localAuthorizationList", [])
        self.messages.append((payload["updateType"], version, len(items)))
        if payload["updateType"] == "Full":
            self.entries = {}
        elif version <= self.version:
            return {"status": "VersionMismatch"}
        for item in items:
            uid = item["idTag"] if self.v16 else item["idToken"]["idToken"]
            self.entries[uid] = item.get("idTagInfo" if self.v16 else "idTokenInfo") or {}
        self.version = version
        return {"status": "Accepted"}

    def clear_cache(self, _payload: dict[str, Any]) -> dict[str, Any]:
        self.cleared += 1
        return {"status": "Accepted"}

    def install(self, cs: ScriptedCharger) -> None:
        cs.answers["GetConfiguration" if self.v16 else "GetVariables"] = self.configuration
        cs.answers["SendLocalList"] = self.send_local_list
        cs.answers["ClearCache"] = self.clear_cache
        key = "listVersion" if self.v16 else "versionNumber"
        cs.answers["GetLocalListVersion"] = lambda _payload: {key: self.version}


async def stored_version(csms: Csms) -> int:
    rows = await csms.rows(select(ChargerLocalList.version))
    return int(rows[0][0]) if rows else 0


@pytest.mark.parametrize("version", VERSIONS)
async def test_local_list_is_sent_in_parts_and_kept_in_step_with_the_tokens(csms: Csms, version: str) -> None:
    for n in range(5):
        await csms.token(f"CARD-{n}", group_id="FLEET-1" if n < 2 else None)
    await csms.token("APP-TOKEN-1")  # a session token of the app: never put in a list
    async with csms.factory() as session:
        await session.execute(update(IdTokenRecord).where(IdTokenRecord.uid == "APP-TOKEN-1").values(type="Central"))
        await session.commit()
    async with connected(csms, version) as cs:
        local = ChargerList(version, per_message=2)
        local.install(cs)

        outcome = await csms.keeper.sync_full("CP-1", version)
        assert (outcome.status, outcome.entries, outcome.messages) == ("Accepted", 5, 3)
        assert local.messages == [("Full", 1, 2), ("Differential", 2, 2), ("Differential", 3, 1)]
        assert set(local.entries) == {f"CARD-{n}" for n in range(5)}
        assert await stored_version(csms) == 3 == (await csms.keeper.state("CP-1", ask_charger=True)).charger_version

        # a card blocked, one added: one Differential update, and the cache cleared of the blocked card
        async with csms.factory() as session:
            await block_token(session, "CARD-3")
        await csms.token("CARD-9", expires_at=datetime.now(UTC) + timedelta(days=1))
        await csms.keeper.upkeep()
        assert local.messages[3:] == [("Differential", 4, 2)]
        assert local.entries["CARD-3"]["status"] == "Blocked"
        assert local.entries["CARD-9"]["status"] == "Accepted"
        assert local.cleared == 1
        assert await stored_version(csms) == 4

        # the charger lost its list (e.g. a reset): the next update meets a VersionMismatch, the full list follows
        local.version, local.entries = 10, {}
        async with csms.factory() as session:
            await session.execute(update(IdTokenRecord).where(IdTokenRecord.uid == "CARD-2").values(group_id="FLEET-2"))
            await session.commit()
        await csms.keeper.upkeep()
        assert local.messages[4] == ("Differential", 5, 1)
        assert [kind for kind, *_ in local.messages[5:]] == ["Full", "Differential", "Differential"]
        assert len(local.entries) == 6
        assert group_of(local.entries["CARD-2"]) == "FLEET-2"
        assert await stored_version(csms) == local.version
        assert local.cleared == 1  # a group change is no block


async def test_full_list_asked_for_elsewhere_is_sent_by_the_process_holding_the_charger(csms: Csms) -> None:
    await csms.token("CARD-1")
    async with connected(csms, "1.6") as cs:
        local = ChargerList("1.6", per_message=10)
        local.install(cs)
        await csms.keeper.request_full("CP-1")  # what `voltway chargers local-list sync CP-1` does
        await csms.keeper.upkeep()
        assert local.messages == [("Full", 1, 1)]
        assert (await csms.rows(select(ChargerLocalList.requested_at)))[0][0] is None


# ----- reservations ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
async def test_reservations_are_stored_used_by_a_start_and_expire(csms: Csms, version: str) -> None:
    await csms.token("CARD-R")
    async with connected(csms, version) as cs:
        cs.answers["ReserveNow"] = {"status": "Accepted"}
        made = await csms.reservations.reserve(
            "CP-1", connector_id=1, id_token="CARD-R", expires_at=datetime.now(UTC) + timedelta(minutes=15)
        )
        assert made.status == "Active"
        sent = next(payload for action, payload in cs.received_commands if action == "ReserveNow")
        assert sent["reservationId" if version == "1.6" else "id"] == made.id

        tx, _ = await start(cs, "CARD-R", tx="TX-R", reservationId=made.id)
        used = await csms.reservations.get(made.id)
        assert (used.status, used.ocpp_transaction_id) == ("Used", tx)

        second = await csms.reservations.reserve(
            "CP-1", connector_id=2, id_token="CARD-R", expires_at=datetime.now(UTC) + timedelta(minutes=15)
        )
        if version == "2.0.1":
            await cs.call("ReservationStatusUpdate", {"reservationId": second.id, "reservationUpdateStatus": "Expired"})
        else:  # 1.6 chargers say nothing: the reservation's time runs out here too
            await expire_reservations(csms.factory, datetime.now(UTC) + timedelta(minutes=16))
        assert (await csms.reservations.get(second.id)).status == "Expired"

        cs.answers["ReserveNow"] = {"status": "Occupied"}
        with pytest.raises(Exception, match="Occupied"):
            await csms.reservations.reserve(
                "CP-1", connector_id=2, id_token="CARD-R", expires_at=datetime.now(UTC) + timedelta(minutes=5)
            )
        statuses = [r.status for r in await csms.reservations.list(charger_id="CP-1")]
        assert statuses == ["Rejected", "Expired", "Used"]


# ----- transactions ------------------------------------------------------------------------------------------------


async def test_a_start_without_a_token_is_matched_to_our_remote_start_by_its_id(csms: Csms) -> None:
    await csms.token("APP-1234")
    async with csms.factory() as session:
        station = (await session.execute(select(ChargingStation))).scalar_one()
        evse = (await session.execute(select(Evse).where(Evse.ocpp_evse_id == 1))).scalar_one()
        session.add(
            ChargingSession(
                id=uuid.uuid4(),
                location_id=station.location_id,
                evse_id=evse.id,
                charging_station_id=station.id,
                connector_id=1,
                id_token="APP-1234",
                status="starting",
                remote_start_id=4242,
            )
        )
        await session.commit()
    async with connected(csms, "2.0.1") as cs:
        await start(cs, None, tx="TX-REMOTE", triggerReason="RemoteStart", transactionInfo={"remoteStartId": 4242})
    rows = await csms.rows(select(ChargingTransaction.id_token, ChargingTransaction.status))
    assert rows == [("APP-1234", "active")]


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_new_start_on_a_busy_connector_ends_the_old_transaction(csms: Csms, version: str) -> None:
    await csms.token("CARD-A")
    async with connected(csms, version) as cs:
        old, _ = await start(cs, "CARD-A", tx="TX-OLD")
        if version == "1.6":
            await cs.call(
                "MeterValues",
                {
                    "connectorId": 1,
                    "transactionId": int(old),
                    "meterValue": [{"timestamp": stamp(), "sampledValue": [{"value": "3500"}]}],
                },
            )
        else:
            await cs.call(
                "TransactionEvent",
                {
                    "eventType": "Updated",
                    "timestamp": stamp(),
                    "triggerReason": "MeterValuePeriodic",
                    "seqNo": 1,
                    "transactionInfo": {"transactionId": old},
                    "meterValue": energy(3500),
                },
            )
        new, _ = await start(cs, "CARD-A", tx="TX-NEW")
    found = await csms.rows(
        select(
            ChargingTransaction.ocpp_transaction_id,
            ChargingTransaction.status,
            ChargingTransaction.stop_reason,
            ChargingTransaction.energy_wh,
        )
    )
    rows = {r[0]: tuple(r[1:]) for r in found}
    assert rows[old] == ("ended", "Superseded", 2500.0)
    assert rows[new][:2] == ("active", None)


async def test_an_update_for_an_unknown_transaction_creates_it_with_its_meter_data(csms: Csms) -> None:
    await csms.token("CARD-A")
    async with connected(csms, "2.0.1") as cs:
        answer = await cs.call(
            "TransactionEvent",
            {
                "eventType": "Updated",
                "timestamp": stamp(),
                "triggerReason": "MeterValuePeriodic",
                "seqNo": 3,
                "transactionInfo": {"transactionId": "TX-LOST-START", "chargingState": "Charging"},
                "evse": {"id": 2, "connectorId": 1},
                "idToken": {"idToken": "CARD-A", "type": "ISO14443"},
                "meterValue": [
                    {"timestamp": stamp(-2), "sampledValue": [{"value": 7000, "unitOfMeasure": {"unit": "Wh"}}]},
                    {"timestamp": stamp(-1), "sampledValue": [{"value": 7600, "unitOfMeasure": {"unit": "Wh"}}]},
                ],
            },
        )
        assert answer["idTokenInfo"]["status"] == "Accepted"
    await csms.service.meters.flush()
    rows = await csms.rows(
        select(
            ChargingTransaction.ocpp_transaction_id,
            ChargingTransaction.connector_id,
            ChargingTransaction.id_token,
            ChargingTransaction.meter_start_wh,
            ChargingTransaction.status,
        )
    )
    assert rows == [("TX-LOST-START", 2, "CARD-A", 7000.0, "active")]
    samples = await csms.rows(select(MeterSampleRecord.energy_wh).order_by(MeterSampleRecord.timestamp))
    assert [s[0] for s in samples] == [7000.0, 7600.0]


async def test_reservation_rows_are_per_charger(csms: Csms) -> None:
    """A reservation row for an unknown charger is refused before anything is sent."""
    with pytest.raises(Exception, match="No charger"):
        await csms.reservations.reserve(
            "CP-404", connector_id=1, id_token="CARD-R", expires_at=datetime.now(UTC) + timedelta(minutes=5)
        )
    assert await csms.rows(select(Reservation.id)) == []


# ----- the built-in simulator --------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
async def test_the_simulator_speaks_local_lists_reservations_and_groups(csms: Csms, version: str) -> None:
    async with csms.factory() as session:
        await add_charger(
            session, ocpp_id="SIM-00001", password=SECRET, country_code="NL", party_id="VWY", evses=1,
            coordinates=(52.0, 5.0),
        )  # fmt: skip
    await csms.token("CARD-A", group_id="FLEET-1")
    await csms.token("CARD-B", group_id="FLEET-1")
    await csms.token("CARD-C", group_id="FLEET-2")
    config = SimulatorConfig(
        url=f"ws://127.0.0.1:{csms.central.port}/ocpp",
        chargers=1,
        ocpp_version=version,  # type: ignore[arg-type]
        password=SECRET,
        duration=None,
        speed=60.0,
        arrival_rate=0.0,
        fault_rate=0.0,
        disconnect_rate=0.0,
    )
    simulation = Simulation(config)
    simulated = simulation.chargers[0]
    running = asyncio.create_task(simulation.run())
    try:
        await wait_for(lambda: _true(simulated.booted), "the simulated charger to boot")

        synced = await csms.keeper.sync_full("SIM-00001", version)
        assert (synced.status, synced.version) == ("Accepted", 1)
        assert simulated.local_list_version == 1
        assert set(simulated.local_list) == {"CARD-A", "CARD-B", "CARD-C"}

        reservation = await csms.reservations.reserve(
            "SIM-00001", connector_id=1, id_token="CARD-A", expires_at=datetime.now(UTC) + timedelta(seconds=1)
        )
        assert reservation.status == "Active"
        await wait_for(lambda: _true(simulated.status == "Reserved"), "the connector to show Reserved")

        async def on_the_map() -> bool:
            await csms.service.live.flush()
            rows = await csms.rows(
                select(Evse.status).join(ChargingStation).where(ChargingStation.ocpp_id == "SIM-00001")
            )
            return rows == [("RESERVED",)]

        await wait_for(on_the_map, "the map to show the EVSE reserved")

        async def expired() -> bool:
            if version == "1.6":  # no ReservationStatusUpdate in 1.6: our own clock expires it
                await expire_reservations(csms.factory)
            return (await csms.reservations.get(reservation.id)).status == "Expired"

        await wait_for(expired, "the reservation to expire")
        await wait_for(lambda: _true(simulated.status == "Available"), "the connector to be free again")

        started = await csms.central.send_command("SIM-00001", RemoteStart(id_token="CARD-A", connector_id=1))
        assert started.status == "Accepted"  # type: ignore[union-attr]
        await wait_for(lambda: _true(simulated.transaction_id is not None), "the transaction to start")
        assert not await simulated.present_card("CARD-C")  # another group: the charger keeps charging
        assert await simulated.present_card("CARD-B")  # the same group: it stops
        rows = await csms.rows(select(ChargingTransaction.status, ChargingTransaction.id_token))
        assert rows == [("ended", "CARD-A")]

        async with csms.factory() as session:
            await block_token(session, "CARD-C")
        await csms.keeper.upkeep()
        assert simulated.local_list_version == 2
        assert simulated.local_list["CARD-C"]["status"] == "Blocked"
    finally:
        simulation.request_stop()
        await running
