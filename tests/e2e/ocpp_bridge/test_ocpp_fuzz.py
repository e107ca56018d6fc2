"""Fuzzing the bridge over real websockets with its real database backend, on SQLite and PostgreSQL.

A hostile charger sends thousands of generated frames (see ``hostile_frames``). Every Call gets its CallError or a
CallResult valid against the official schema (never an InternalError), the connection stays up, the victim
charger's transaction, energy and status are unchanged, and a well-behaved charger gets timely Heartbeat answers
throughout. The network runs on its own event loop in a thread, so Hypothesis drives it from a plain test.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import secrets
import threading
import time
from collections.abc import AsyncIterator, Coroutine, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ocpp.exceptions import OCPPError
from ocpp.messages import CallResult as LibraryCallResult
from ocpp.messages import _validate_payload
from sqlalchemy import func, select
from websockets.asyncio.client import ClientConnection, connect

from api.db.engine import create_engine, create_session_factory
from api.db.migrate import upgrade
from api.db.models import ChargingStation, ChargingTransaction, Evse, MeterSampleRecord
from api.domain.chargers.backend import CsmsService
from api.domain.chargers.meter_writer import MeterSampleWriter
from api.domain.chargers.provisioning import add_charger, add_token
from ocpp_bridge.config import BridgeConfig
from ocpp_bridge.server import CentralSystem
from tests.e2e.ocpp_bridge.hostile_frames import Frame, hostile_frames
from tests.e2e.ocpp_bridge.ocpp_charger_for_tests import ScriptedCharger, basic_auth, charger
from tests.integration.conftest import database_url  # noqa: F401 - the fixture, on SQLite and PostgreSQL

T = TypeVar("T")
SECRET = "fuzz-charger-secret"
EXAMPLES = 60  # batches per database and OCPP version
HEARTBEAT_EVERY = 0.1
TIMELY = 2.0  # seconds; the shared test machine is slow, an unhandled frame would stall for good

CODES = {
    "1.6": {
        "NotImplemented", "NotSupported", "ProtocolError", "SecurityError", "FormationViolation",
        "PropertyConstraintViolation", "OccurenceConstraintViolation", "TypeConstraintViolation", "GenericError",
    },
    "2.0.1": {
        "FormatViolation", "GenericError", "MessageTypeNotSupported", "NotImplemented", "NotSupported",
        "OccurrenceConstraintViolation", "PropertyConstraintViolation", "ProtocolError", "RpcFrameworkError",
        "SecurityError", "TypeConstraintViolation",
    },
}  # fmt: skip


class Network:
    """The bridge and its database backend, a victim with an open transaction, a calm charger sending Heartbeats,
    and the attacker's raw socket; all on one event loop in a thread."""

    def __init__(self, url: str, version: str) -> None:
        self.database_url = url
        self.version = version
        suffix = secrets.token_hex(3)
        self.victim_id, self.calm_id, self.attacker_id = (f"FZ-{n}-{suffix}" for n in ("VICTIM", "CALM", "ATTACK"))
        self.victim_transaction = ""
        self.heartbeats: list[float] = []
        self.sent = 0
        self.attacker: ClientConnection | None = None
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="fuzz-network", daemon=True)
        self._stack = contextlib.AsyncExitStack()
        self._ids = itertools.count()

    def run(self, coroutine: Coroutine[Any, Any, T], within: float = 60.0) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(within)

    def __enter__(self) -> Network:
        self._thread.start()
        self.run(self._start())
        return self

    def __exit__(self, *_exc: object) -> None:
        try:
            self.run(self._stack.aclose())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10)
            # the loop is left open: a connection the driver closes late may still call into it

    async def _start(self) -> None:
        engine = create_engine(self.database_url)
        self._stack.push_async_callback(engine.dispose)
        if self.database_url.startswith("sqlite"):
            await upgrade(engine)
        self.factory = create_session_factory(engine)
        async with self.factory() as session:
            for ocpp_id in (self.victim_id, self.calm_id, self.attacker_id):
                await add_charger(session, ocpp_id=ocpp_id, password=SECRET, country_code="NL", party_id="VWY")
            await add_token(session, "FZ-CARD", driver_email=None)
            await session.commit()
        self.csms = CsmsService(
            self.factory, heartbeat_interval=300, meter_writer=MeterSampleWriter(self.factory, flush_seconds=0.25)
        )
        await self.csms.start()
        self._stack.push_async_callback(self.csms.stop)
        config = BridgeConfig(
            host="127.0.0.1", port=0, ping_interval=None, rate_limit_per_second=100_000.0, rate_limit_burst=100_000
        )
        self.central = await self._stack.enter_async_context(CentralSystem(self.csms, config))
        victim = await self._stack.enter_async_context(self._charger(self.victim_id))
        await self._open_victim_transaction(victim)
        calm = await self._stack.enter_async_context(self._charger(self.calm_id))
        await self._stack.enter_async_context(self._heartbeats(calm))
        self.attacker = await self._stack.enter_async_context(
            connect(
                f"ws://127.0.0.1:{self.central.port}/ocpp/{self.attacker_id}",
                subprotocols=["ocpp1.6" if self.version == "1.6" else "ocpp2.0.1"],  # type: ignore[list-item]
                additional_headers=basic_auth(self.attacker_id, SECRET),
                ping_interval=None,
                max_size=None,
            )
        )

    def _charger(self, charger_id: str) -> contextlib.AbstractAsyncContextManager[ScriptedCharger]:
        return charger(self.central.port, charger_id, self.version, SECRET)

    async def _open_victim_transaction(self, victim: ScriptedCharger) -> None:
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        energy = {"value": "1500", "measurand": "Energy.Active.Import.Register"}
        if self.version == "1.6":
            await victim.call("BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"})
            await victim.call("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Charging"})
            start = {"connectorId": 1, "idTag": "FZ-CARD", "meterStart": 1000, "timestamp": now}
            self.victim_transaction = str((await victim.call("StartTransaction", start))["transactionId"])
            meter = {"connectorId": 1, "transactionId": int(self.victim_transaction)}
            await victim.call("MeterValues", {**meter, "meterValue": [{"timestamp": now, "sampledValue": [energy]}]})
        else:
            boot = {"chargingStation": {"vendorName": "V", "model": "M"}, "reason": "PowerUp"}
            await victim.call("BootNotification", boot)
            status = {"timestamp": now, "connectorStatus": "Occupied", "evseId": 1, "connectorId": 1}
            await victim.call("StatusNotification", status)
            self.victim_transaction = f"victim-{secrets.token_hex(4)}"
            sample = [{"timestamp": now, "sampledValue": [{**energy, "value": 1500.0}]}]
            for seq, kind in enumerate(("Started", "Updated")):
                await victim.call(
                    "TransactionEvent",
                    {
                        "eventType": kind, "timestamp": now, "triggerReason": "Authorized", "seqNo": seq,
                        "transactionInfo": {"transactionId": self.victim_transaction},
                        "evse": {"id": 1, "connectorId": 1}, "idToken": {"idToken": "FZ-CARD", "type": "ISO14443"},
                        "meterValue": sample,
                    },
                )  # fmt: skip

    @contextlib.asynccontextmanager
    async def _heartbeats(self, calm: ScriptedCharger) -> AsyncIterator[None]:
        async def beat() -> None:
            while True:
                started = time.monotonic()
                assert (await calm.call("Heartbeat", {}))["currentTime"]
                self.heartbeats.append(time.monotonic() - started)
                await asyncio.sleep(HEARTBEAT_EVERY)

        task = asyncio.create_task(beat())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def heartbeat_task_alive(self) -> bool:
        return bool(self.heartbeats)

    async def exchange(self, frames: list[Frame]) -> list[list[Any]]:
        """Send the frames and a closing Heartbeat; every answer received until the Heartbeat's."""
        assert self.attacker is not None
        for frame in frames:
            await self.attacker.send(frame)
        sentinel = f"sentinel-{next(self._ids)}"
        await self.attacker.send(json.dumps([2, sentinel, "Heartbeat", {}]))
        answers: list[list[Any]] = []
        async with asyncio.timeout(30):
            while True:
                answer = json.loads(await self.attacker.recv())
                if answer[1] == sentinel:
                    assert answer[0] == 3, answer
                    return answers
                answers.append(answer)

    async def victim_state(self) -> dict[str, Any]:
        """Everything of the victim's that the attacker must not change, read from the database."""
        await self.csms.meters.flush()
        await self.csms.live.flush()
        async with self.factory() as session:
            station = (
                await session.execute(select(ChargingStation).where(ChargingStation.ocpp_id == self.victim_id))
            ).scalar_one()
            transactions = (
                await session.execute(
                    select(ChargingTransaction).where(ChargingTransaction.charging_station_id == station.id)
                )
            ).scalars()
            rows = [
                (t.ocpp_transaction_id, t.status, t.energy_wh, t.meter_stop_wh, t.ended_at, t.updated_at)
                for t in transactions
            ]
            samples = (
                await session.execute(
                    select(func.count())
                    .select_from(MeterSampleRecord)
                    .join(ChargingTransaction, MeterSampleRecord.transaction_id == ChargingTransaction.id)
                    .where(ChargingTransaction.charging_station_id == station.id)
                )
            ).scalar_one()
            evses = [
                (e.uid, e.status, e.status_updated_at)
                for e in (await session.execute(select(Evse).where(Evse.location_id == station.location_id))).scalars()
            ]
        return {"transactions": rows, "samples": samples, "evses": sorted(evses)}


def expected_answers(frames: list[Frame]) -> dict[str, set[str]]:
    """Message id -> actions of the frames that are Calls whose message id can be read (each must be answered)."""
    expected: dict[str, set[str]] = {}
    for frame in frames:
        try:
            parsed = json.loads(frame)
        except (ValueError, RecursionError):
            continue
        if (
            isinstance(parsed, list)
            and len(parsed) == 4
            and type(parsed[0]) is int
            and parsed[0] == 2
            and isinstance(parsed[1], str)
            and 1 <= len(parsed[1]) <= 36
            and isinstance(parsed[2], str)
        ):
            expected.setdefault(parsed[1], set()).add(parsed[2])
    return expected


def valid_result(version: str, message_id: str, action: str, payload: Any) -> bool:
    """Whether the ``ocpp`` library's own schema validation accepts this CallResult of ``action``."""
    try:
        _validate_payload(LibraryCallResult(message_id, payload, action=action), version)
    except OCPPError:
        return False
    return True


def check_answers(version: str, frames: list[Frame], answers: list[list[Any]]) -> None:
    expected = expected_answers(frames)
    answered: set[str] = set()
    for answer in answers:
        assert isinstance(answer, list), answer
        assert answer[0] in (3, 4), answer
        message_id = answer[1]
        answered.add(message_id)
        if answer[0] == 4:
            assert len(answer) == 5, answer
            assert answer[2] in CODES[version], answer
            assert isinstance(answer[3], str)
            assert len(answer[3]) <= 255
            assert isinstance(answer[4], dict)
        else:
            assert len(answer) == 3, answer
            actions = expected.get(message_id)
            assert actions, f"a CallResult for a frame that was no readable Call: {answer}"
            assert any(valid_result(version, message_id, action, answer[2]) for action in actions), answer
    assert set(expected) <= answered, f"unanswered Calls: {sorted(set(expected) - answered)}"


@pytest.fixture(scope="module", params=["1.6", "2.0.1"])
def network(
    request: pytest.FixtureRequest,
    database_url: str,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Network]:
    if database_url.startswith("sqlite"):  # a file of its own: one writer at a time, and a run writes a lot
        database_url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('fuzz') / 'voltway.db'}"
    with Network(database_url, request.param) as running:
        yield running


@pytest.fixture(scope="module")
def victim_before(network: Network) -> dict[str, Any]:
    return network.run(network.victim_state())


def test_hostile_frames_get_proper_answers_and_disturb_no_one(
    network: Network, victim_before: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    strategy = st.lists(hostile_frames(network.version, network.victim_transaction), min_size=20, max_size=40)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    )
    @given(frames=strategy)
    def attack(frames: list[Frame]) -> None:
        beats_before = len(network.heartbeats)
        network.sent += len(frames)
        check_answers(network.version, frames, network.run(network.exchange(frames)))
        assert network.attacker is not None
        assert network.attacker.close_code is None
        assert len(network.heartbeats) >= beats_before  # the calm charger's loop is alive
        assert max(network.heartbeats, default=0.0) < TIMELY, "a well-behaved charger waited for its Heartbeat"

    attack()
    print(f"{network.sent} frames, {len(network.heartbeats)} heartbeats, max {max(network.heartbeats):.3f} s")
    after = network.run(network.victim_state())
    assert after == victim_before
    assert network.heartbeat_task_alive()
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR and r.name.startswith(("ocpp_bridge", "api"))]
    assert not failures, [r.getMessage() for r in failures]


async def call(network: Network, action: str, payload: dict[str, Any], message_id: str | None = None) -> list[Any]:
    """One Call from the attacker, and its answer."""
    message_id = message_id or f"call-{next(network._ids)}"
    answers = await network.exchange([json.dumps([2, message_id, action, payload])])
    (answer,) = [a for a in answers if a[1] == message_id]
    return answer


async def attacker_transactions(network: Network) -> list[tuple[str, str, float, float | None]]:
    await network.csms.meters.flush()
    async with network.factory() as session:
        rows = await session.execute(
            select(
                ChargingTransaction.ocpp_transaction_id,
                ChargingTransaction.status,
                ChargingTransaction.energy_wh,
                ChargingTransaction.meter_stop_wh,
            )
            .join(ChargingStation, ChargingStation.id == ChargingTransaction.charging_station_id)
            .where(ChargingStation.ocpp_id == network.attacker_id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def v16_transaction_attacks(network: Network) -> None:
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    victim = int(network.victim_transaction)
    sample = [{"timestamp": now, "sampledValue": [{"value": "90000", "measurand": "Energy.Active.Import.Register"}]}]
    # Another charger's transaction, and transactions never started: accepted (OCPP 1.6 says so), nothing touched.
    for transaction_id in (victim, victim + 1_000_000, 0):
        meter = await call(
            network, "MeterValues", {"connectorId": 1, "transactionId": transaction_id, "meterValue": sample}
        )
        assert meter[0] == 3, meter
        stop = {"transactionId": transaction_id, "meterStop": 90_000, "timestamp": now}
        assert (await call(network, "StopTransaction", stop))[0] == 3
    # Its own transaction, stopped and then the stop replayed (as after a reconnect): applied once.
    start = {"connectorId": 1, "idTag": "FZ-CARD", "meterStart": 500, "timestamp": now}
    own = (await call(network, "StartTransaction", start))[2]["transactionId"]
    stop = {"transactionId": own, "meterStop": 2_500, "timestamp": now, "reason": "Local"}
    first = await call(network, "StopTransaction", stop, "replayed-stop")
    again = await call(network, "StopTransaction", {**stop, "meterStop": 7_500}, "replayed-stop")
    assert first == again
    assert (str(own), "ended", 2_000.0, 2_500.0) in await attacker_transactions(network)


async def v201_transaction_attacks(network: Network) -> None:
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    sample = [{"timestamp": now, "sampledValue": [{"value": 90_000.0, "measurand": "Energy.Active.Import.Register"}]}]

    def event(kind: str, transaction_id: str, seq: int, energy: list[Any] = sample) -> dict[str, Any]:
        return {
            "eventType": kind, "timestamp": now, "triggerReason": "MeterValuePeriodic", "seqNo": seq,
            "transactionInfo": {"transactionId": transaction_id}, "evse": {"id": 1, "connectorId": 1},
            "meterValue": energy,
        }  # fmt: skip

    # Updates and ends of another charger's transaction, or of one never started: accepted, nothing touched.
    for transaction_id in (network.victim_transaction, "never-started"):
        for seq, kind in enumerate(("Updated", "Ended")):
            answer = await call(network, "TransactionEvent", event(kind, transaction_id, seq))
            assert answer[0] == 3, answer
    # Its own transaction, ended and the end replayed: applied once.
    own = f"own-{secrets.token_hex(3)}"
    start = [{"timestamp": now, "sampledValue": [{"value": 500.0, "measurand": "Energy.Active.Import.Register"}]}]
    assert (await call(network, "TransactionEvent", event("Started", own, 0, start)))[0] == 3
    end = [{"timestamp": now, "sampledValue": [{"value": 2_500.0, "measurand": "Energy.Active.Import.Register"}]}]
    first = await call(network, "TransactionEvent", event("Ended", own, 1, end), "replayed-end")
    again = await call(network, "TransactionEvent", event("Ended", own, 1, sample), "replayed-end")
    assert first == again
    ended = [row for row in await attacker_transactions(network) if row[0] == own]
    assert ended == [(own, "ended", 2_000.0, 2_500.0)]


def test_transaction_messages_out_of_order_replayed_or_for_another_charger(
    network: Network, victim_before: dict[str, Any]
) -> None:
    attacks = v16_transaction_attacks if network.version == "1.6" else v201_transaction_attacks
    network.run(attacks(network))
    assert network.run(network.victim_state()) == victim_before
    assert max(network.heartbeats) < TIMELY
