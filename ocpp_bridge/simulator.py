"""Charger simulator: many OCPP 1.6J or 2.0.1 chargers in one process, for demos, load tests and end-to-end tests.

Each charger is a small state machine with two tasks (its scenario and its socket reader): it boots, sends
heartbeats and status changes, accepts remote start/stop and the other commands, charges like a real one
(never above its connector's rating or what the car takes; AC flat until the car's target, DC tapering above
80 % state of charge; SuspendedEV when the battery is full; a charger named in ``derate`` caps its power below
its rating, as one with a failing power module or a hot cable does), reports meter values right after the start and
then every ``meter_interval`` seconds, unplugs after idling, raises faults with real error codes, and drops its
connection now and then, replaying the transaction messages it queued while offline. Energy is power x time:
each reading adds the power of the previous reading over the time that passed since it.

``speed`` compresses time: durations and rates are in simulated seconds, message timestamps stay real.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import logging
import random
import ssl
import time
from collections import deque
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import msgspec
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from ocpp_bridge import smart_charging
from ocpp_bridge.simulated_certificates import SimulatedCertificates
from ocpp_bridge.simulated_device_model import DeviceModelAnswers, initial_device_model
from ocpp_bridge.v16 import messages as v16
from ocpp_bridge.v201 import messages as v201

logger = logging.getLogger(__name__)

V16_ERROR_CODES = (
    "ConnectorLockFailure",
    "EVCommunicationError",
    "GroundFailure",
    "HighTemperature",
    "OverCurrentFailure",
    "PowerMeterFailure",
    "PowerSwitchFailure",
    "ReaderFailure",
    "UnderVoltage",
    "OverVoltage",
)
# Messages a charger must not lose while offline (OCPP keeps transaction messages in a queue).
# A 1.6 StartTransaction is not queued: without its reply the charger has no transaction id to continue with.
_QUEUED_ACTIONS = {"StopTransaction", "MeterValues", "TransactionEvent"}
# What the simulated chargers say about their local list and cache (2.0.1 variables by name, whatever component).
_AUTHORISATION_SETTINGS_V16 = {
    "LocalAuthListEnabled": "true",
    "LocalAuthListMaxLength": "1000",
    "SendLocalListMaxLength": "50",
    "AuthorizationCacheEnabled": "true",
}
_AUTHORISATION_SETTINGS_V201 = {"Enabled": "true", "ItemsPerMessage": "50", "Entries": "0"}


class ChargerRating(msgspec.Struct, frozen=True):
    """What a charger's connector can deliver: its rated power and whether it is DC."""

    max_power_w: float
    dc: bool = False


# what cars take: AC through their on-board charger, DC at their battery's peak rate
_CAR_AC_W = (7_400.0, 11_000.0, 11_000.0, 22_000.0)
_CAR_DC_W = (50_000.0, 100_000.0, 150_000.0, 250_000.0)


class SimulatorConfig(msgspec.Struct, frozen=True, kw_only=True):
    """``url`` is the central system's base URL; each charger connects to ``{url}/{id}``.

    Rates are per charger per simulated hour.
    """

    url: str = "ws://127.0.0.1:9000/ocpp"
    chargers: int = 10
    ocpp_version: Literal["1.6", "2.0.1"] = "1.6"
    id_prefix: str = "SIM-"
    password: str | None = None
    duration: float | None = 60.0
    seed: int = 0
    fault_rate: float = 0.05
    speed: float = 1.0
    arrival_rate: float = 1.0
    disconnect_rate: float = 0.1
    meter_interval: float = 10.0  # simulated seconds between meter values (and between scenario steps)
    connect_concurrency: int = 100
    clock_offset_seconds: float = 0.0  # how far each charger's clock is ahead (negative: behind) of the real time
    ratings: dict[str, ChargerRating] = {}  # per charger id, e.g. from the provisioned connectors
    default_rating: ChargerRating = ChargerRating(22_000.0)  # for chargers not in `ratings`
    # chargers that derate on purpose: charger id -> the most it delivers (W), whatever its rating and the car say
    derate: dict[str, float] = {}
    ev_charging_needs: bool = False  # 2.0.1: the car tells its needs (NotifyEVChargingNeeds) as a transaction starts
    # TLS (wss:// URLs): the CA bundle that signs the central system's certificate, and for security profile 3
    # the chargers' client certificate and key (PEM files); ``organization`` goes into the CSRs they send.
    tls_ca: str | None = None
    tls_client_cert: str | None = None
    tls_client_key: str | None = None
    organization: str | None = None
    accept_password_change: bool = True  # False: AuthorizationKey / BasicAuthPassword changes are Rejected
    # actions of ours it does not implement (answered NotImplemented), as a charger without an optional feature
    unsupported_actions: frozenset[str] = frozenset()


class SimulationReport(msgspec.Struct, kw_only=True):
    chargers: int = 0
    connections: int = 0
    boots: int = 0
    messages_sent: int = 0
    call_errors: int = 0
    transactions_started: int = 0
    transactions_completed: int = 0
    energy_wh: float = 0.0
    faults: int = 0
    disconnects: int = 0
    replayed: int = 0
    commands_received: int = 0
    remote_starts: int = 0
    unlocks: int = 0
    elapsed_seconds: float = 0.0


class _Offline(Exception):
    """The charger has no connection right now."""


def charger_ids(config: SimulatorConfig) -> list[str]:
    return [f"{config.id_prefix}{n:05d}" for n in range(1, config.chargers + 1)]


def _stamp(offset_seconds: float) -> str:
    moment = datetime.now(UTC) + timedelta(seconds=offset_seconds)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _is_basic_auth_password(item: dict[str, Any]) -> bool:
    return (item["component"]["name"], item["variable"]["name"]) == ("SecurityCtrlr", "BasicAuthPassword")


class SimulatedCharger(DeviceModelAnswers):
    """One simulated charger with a single connector (EVSE 1)."""

    def __init__(
        self, charger_id: str, config: SimulatorConfig, report: SimulationReport, gate: asyncio.Semaphore
    ) -> None:
        self.charger_id = charger_id
        self.config = config
        self.report = report
        self.gate = gate
        self.rng = random.Random(f"{config.seed}:{charger_id}")
        self.v16 = config.ocpp_version == "1.6"
        self.websocket: ClientConnection | None = None
        self.pending: dict[str, asyncio.Future[Any]] = {}
        self.outbox: deque[tuple[str, str, dict[str, Any]]] = deque()
        self.ids = itertools.count(1)
        self.wake = asyncio.Event()
        self.heartbeat_interval = 300.0
        self.last_sent = 0.0
        self.settings: dict[str, str] = {"HeartbeatInterval": "300", "MeterValueSampleInterval": "60"}
        self.settings |= _AUTHORISATION_SETTINGS_V16 if self.v16 else _AUTHORISATION_SETTINGS_V201
        # charging state
        self.status = "Available"
        self.transaction_id: str | None = None
        self.id_tag = ""
        self.seq_no = 0
        self.meter_wh = float(self.rng.randint(0, 5_000_000))
        self.start_meter_wh = 0.0
        self.rating = config.ratings.get(charger_id, config.default_rating)
        self.max_power_w = self.rating.max_power_w  # for this session: the connector's rating or the car's, lower
        self.derated_w = config.derate.get(charger_id)  # a fault of its own caps it here (None: delivers fully)
        self.metered_at = 0.0  # simulated time of the last meter value
        self.drawn_power_w = 0.0  # the power reported in the last meter value, drawn until the next one
        self.capacity_wh = 0.0
        self.soc = 0.0
        self.target_soc = 100.0
        self.unplug_at: float | None = None
        self.fault_until: float | None = None
        self.remote_start: str | None = None
        self.remote_stop = False
        self.reconnect_now = False
        self.booted = False
        self.unlocked = False  # the next step reports the freed connector, as a real charger would
        # the charger's own clock, which stamps its messages: real chargers' clocks are often wrong
        self.clock_offset = config.clock_offset_seconds
        # smart charging: installed profiles, the one a remote start brought, what to send once a reply is out
        self.profiles: list[smart_charging.InstalledProfile] = []
        self.start_profile: smart_charging.ChargingProfile | None = None
        self.transaction_started_at: datetime | None = None
        self.after_reply: list[tuple[str, dict[str, Any]]] = []
        self.background: set[asyncio.Task[None]] = set()
        self.settings |= {"ChargingScheduleAllowedChargingRateUnit": "Current,Power", "RateUnit": "A,W"}
        self.certificates = SimulatedCertificates(charger_id, v16=self.v16, organization=config.organization)
        self._certificate_requests: set[asyncio.Task[Any]] = set()
        self.displayed_cost: float | None = None  # 2.0.1 CostUpdated
        # 2.0.1 device model, monitors, display messages; messages sent after answering a command
        self.device_model = initial_device_model(self.settings)
        self.monitors: dict[int, dict[str, Any]] = {}
        self.display_messages: dict[int, dict[str, Any]] = {}
        self.followups: list[Callable[[], Coroutine[Any, Any, None]]] = []
        # authorisation: the local list (version, id tag -> its info), the cache, the reservation of connector 1
        self.local_list_version = 0
        self.local_list: dict[str, dict[str, Any]] = {}
        self.auth_cache: dict[str, dict[str, Any]] = {}
        self.reservation: dict[str, Any] | None = None
        self.reservation_id_used: int | None = None
        self.tasks: set[asyncio.Task[None]] = set()
        self.remote_start_id: int | None = None
        self.password = config.password  # changed by the central system (AuthorizationKey / BasicAuthPassword)
        self.boot_requested = False  # TriggerMessage BootNotification

    def _now(self) -> str:
        return _stamp(self.clock_offset)

    # -- clock -----------------------------------------------------------------------------------------------

    def sim_seconds(self, real: float) -> float:
        return real * self.config.speed

    def real_seconds(self, simulated: float) -> float:
        return simulated / self.config.speed

    def chance(self, rate_per_hour: float, simulated_seconds: float) -> bool:
        return self.rng.random() < rate_per_hour * simulated_seconds / 3600.0

    # -- connection ------------------------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        if self.password is None:
            return {}
        token = base64.b64encode(f"{self.charger_id}:{self.password}".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    async def _connect(self) -> None:
        subprotocol = "ocpp1.6" if self.v16 else "ocpp2.0.1"
        async with self.gate:
            self.websocket = await connect(
                f"{self.config.url.rstrip('/')}/{self.charger_id}",
                subprotocols=[subprotocol],  # type: ignore[list-item]
                additional_headers=self._headers(),
                compression=None,
                ping_interval=None,
                open_timeout=20,
                **self._tls(),
            )
        self.report.connections += 1

    async def _read(self, websocket: ClientConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for data in websocket:
                frame = json.loads(data)
                if frame[0] == 2:  # a Call from the central system
                    self.report.commands_received += 1
                    reply = self._on_command(frame[2], frame[3])
                    if reply is None:
                        answer = [4, frame[1], "NotImplemented", f"{frame[2]} is not simulated", {}]
                    elif isinstance(reply, list):  # a CallError: code, description
                        answer = [4, frame[1], *reply, {}]
                    else:
                        answer = [3, frame[1], reply]
                    await websocket.send(json.dumps(answer))
                    self._send_after_reply()
                    self._start_followups()
                    self.wake.set()
                elif (future := self.pending.pop(frame[1], None)) is not None and not future.done():
                    future.set_result(frame)
        for future in self.pending.values():
            if not future.done():
                future.set_exception(_Offline())
        self.pending.clear()

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Send a Call and wait for its answer; transaction messages are queued when offline."""
        message_id = f"{self.charger_id}-{next(self.ids)}"
        if self.websocket is None or self.outbox:
            if action in _QUEUED_ACTIONS:
                self.outbox.append((message_id, action, payload))
                return {}
            raise _Offline
        try:
            return await self._send(message_id, action, payload)
        except _Offline:
            if action in _QUEUED_ACTIONS:
                return {}  # queued by _send, replayed after the reconnect
            raise

    async def _send(self, message_id: str, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        websocket = self.websocket
        if websocket is None:
            raise _Offline
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.pending[message_id] = future
        try:
            await websocket.send(json.dumps([2, message_id, action, payload]))
            self.report.messages_sent += 1
            self.last_sent = time.monotonic()
            async with asyncio.timeout(30):
                frame = await future
        except (ConnectionClosed, TimeoutError, _Offline):
            self.pending.pop(message_id, None)
            if action in _QUEUED_ACTIONS:
                self.outbox.appendleft((message_id, action, payload))
            raise _Offline from None
        if frame[0] == 4:
            self.report.call_errors += 1
            logger.debug("%s: %s answered with %s %s", self.charger_id, action, frame[2], frame[3])
            return {}
        result: dict[str, Any] = frame[2]
        return result

    async def _replay(self) -> None:
        """Send what was queued offline, in order, with the original message ids and timestamps."""
        while self.outbox:
            await self._send(*self.outbox.popleft())
            self.report.replayed += 1

    # -- scenario --------------------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        ramp = max(0.0, self.config.chargers / 500.0)
        await asyncio.sleep(self.rng.uniform(0, ramp))
        while not stop.is_set():
            try:
                await self._connect()
            except (OSError, InvalidHandshake, TimeoutError) as exc:
                logger.debug("%s: connect failed: %s", self.charger_id, exc)
                await self._pause(stop, self.rng.uniform(1.0, 3.0))
                continue
            assert self.websocket is not None
            reader = asyncio.create_task(self._read(self.websocket))
            try:
                if not self.booted:
                    self.booted = await self._boot(stop)
                await self._replay()
                await self._status(self.status if self.status != "Faulted" else "Available")
                await self._loop(stop)
            except _Offline:
                pass
            finally:
                websocket, self.websocket = self.websocket, None
                if websocket is not None:
                    await websocket.close()
                await reader
            if not stop.is_set():
                await self._offline(stop)

    async def _offline(self, stop: asyncio.Event) -> None:
        """A few ticks without a connection: charging goes on and its messages are queued for replay."""
        tick = self.config.meter_interval
        for _ in range(self.rng.randint(1, 4)):
            if stop.is_set():
                return
            if self.transaction_id is not None:
                with contextlib.suppress(_Offline):
                    await self._charge(tick, self.sim_seconds(time.monotonic()))
            await self._pause(stop, self.real_seconds(tick))

    async def _pause(self, stop: asyncio.Event, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await stop.wait()

    async def _boot(self, stop: asyncio.Event) -> bool:
        while not stop.is_set():
            if self.v16:
                payload: dict[str, Any] = {
                    "chargePointVendor": "Voltway",
                    "chargePointModel": "SimCharger",
                    "chargePointSerialNumber": self.charger_id[-20:],
                    "firmwareVersion": "1.0.0",
                }
            else:
                payload = {
                    "chargingStation": {"vendorName": "Voltway", "model": "SimCharger", "firmwareVersion": "1.0.0"},
                    "reason": "PowerUp",
                }
            result = await self.call("BootNotification", payload)
            self.report.boots += 1
            self.heartbeat_interval = float(result.get("interval") or 300)
            if result.get("status") == "Accepted":
                return True
            await self._wait_to_boot_again(stop, self.real_seconds(max(self.heartbeat_interval, 10.0)))
        return False

    async def _loop(self, stop: asyncio.Event) -> None:
        tick = self.config.meter_interval
        while not stop.is_set():
            if self.reconnect_now:
                self.reconnect_now = False
                raise _Offline
            if self.boot_requested:
                await self._boot_on_request()
            self.wake.clear()
            started = time.monotonic()
            await self._step(tick)
            if self.chance(self.config.disconnect_rate, tick):
                self.report.disconnects += 1
                raise _Offline
            remaining = self.real_seconds(tick) - (time.monotonic() - started)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(0.0, remaining)):
                    await self.wake.wait()  # a command, or the end of the simulation

    async def _step(self, tick: float) -> None:
        sim_now = self.sim_seconds(time.monotonic())
        if self.unlocked and self.transaction_id is None:
            self.unlocked = False
            await self._status("Available")
        if self.fault_until is not None:
            if sim_now >= self.fault_until:
                self.fault_until = None
                await self._status("Available", "NoError")
            return
        if self.status == "Available" and self.chance(self.config.fault_rate, tick):
            await self._fault(sim_now)
            return
        if self.transaction_id is None:
            if self.remote_start is not None or (
                self.status == "Available" and self.chance(self.config.arrival_rate, tick)
            ):
                token, self.remote_start = self.remote_start, None
                await self._start(token or f"TAG-{self.rng.randint(1, 9999):04d}")
        else:
            await self._charge(tick, sim_now)
        if self.websocket is not None and time.monotonic() - self.last_sent >= self.real_seconds(
            self.heartbeat_interval
        ):
            await self.call("Heartbeat", {})

    async def _fault(self, sim_now: float) -> None:
        self.report.faults += 1
        code = self.rng.choice(V16_ERROR_CODES)
        self.fault_until = sim_now + self.rng.uniform(60, 1800)
        await self._status("Faulted", code)
        if not self.v16:
            await self.call(
                "NotifyEvent",
                {
                    "generatedAt": self._now(),
                    "seqNo": 0,
                    "eventData": [
                        {
                            "eventId": self.rng.randint(1, 1_000_000),
                            "timestamp": self._now(),
                            "trigger": "Delta",
                            "actualValue": "Faulted",
                            "techCode": code,
                            "component": {"name": "Connector", "evse": {"id": 1, "connectorId": 1}},
                            "variable": {"name": "AvailabilityState"},
                            "eventNotificationType": "HardWiredNotification",
                        }
                    ],
                },
            )

    async def _status(self, status: str, error_code: str = "NoError") -> None:
        self.status = status
        if self.v16:
            payload: dict[str, Any] = {
                "connectorId": 1,
                "errorCode": error_code,
                "status": status,
                "timestamp": self._now(),
            }
            if error_code != "NoError":
                payload["vendorErrorCode"] = f"E-{error_code[:8]}"
        else:
            connector_status = {
                "Preparing": "Occupied",
                "Charging": "Occupied",
                "SuspendedEV": "Occupied",
                "Finishing": "Occupied",
            }.get(status, status)
            payload = {"timestamp": self._now(), "connectorStatus": connector_status, "evseId": 1, "connectorId": 1}
        with contextlib.suppress(_Offline):
            await self.call("StatusNotification", payload)

    async def _start(self, id_tag: str) -> None:
        self.id_tag = id_tag
        car = self.rng.choice(_CAR_DC_W if self.rating.dc else _CAR_AC_W)
        self.max_power_w = min(self.rating.max_power_w, car)
        self.capacity_wh = self.rng.uniform(40_000, 100_000)
        self.soc = self.rng.uniform(5, 60)
        self.target_soc = self.rng.choice([80.0, 90.0, 100.0])
        self.unplug_at = None
        self.start_meter_wh = self.meter_wh
        await self._status("Preparing")
        if self.v16:
            auth = await self.call("Authorize", {"idTag": id_tag})
            self._remember(id_tag, auth.get("idTagInfo"))
            if auth.get("idTagInfo", {}).get("status") != "Accepted":
                await self._status("Available")
                return
            result = await self.call(
                "StartTransaction",
                {
                    "connectorId": 1,
                    "idTag": id_tag,
                    "meterStart": round(self.meter_wh),
                    "timestamp": self._now(),
                    **self._use_reservation(id_tag, "reservationId"),
                },
            )
            if "transactionId" not in result:
                await self._status("Available")
                return
            self.transaction_id = str(result["transactionId"])
            self._bind_start_profile()
        else:
            self.transaction_id = f"{self.charger_id}-{self.rng.getrandbits(40):x}"
            self.seq_no = 0
            self._bind_start_profile()
            started = await self.call(
                "TransactionEvent",
                self._transaction_event(
                    "Started",
                    "Authorized" if self.remote_start_id is None else "RemoteStart",
                    {
                        "idToken": {"idToken": id_tag, "type": "Central"},
                        **self._use_reservation(id_tag, "reservationId"),
                        **self._remote_start_info(),
                    },
                ),
            )
            self._remember(id_tag, started.get("idTokenInfo"))
            if self.config.ev_charging_needs:
                await self._notify_ev_charging_needs()
        self.report.transactions_started += 1
        await self._status("Charging")
        sim_now = self.sim_seconds(time.monotonic())
        self.metered_at = sim_now
        await self._charge(self.config.meter_interval, sim_now)  # the first meter value, right after the start

    def _power(self) -> float:
        """AC: flat until the car's target. DC: flat up to 80 % state of charge, then tapering to a tenth at 100 %.
        Never above a limit of ours, nor above the cap of a derating charger."""
        if self.soc >= self.target_soc:
            return 0.0
        capped = min(self._profile_limit_w(), self.derated_w if self.derated_w is not None else self.max_power_w)
        if not self.rating.dc or self.soc < 80.0:
            return min(self.max_power_w, capped)
        return min(self.max_power_w * max(0.1, (100.0 - self.soc) / 20.0), capped)

    def _sampled(self, power: float) -> list[dict[str, Any]]:
        if self.v16:
            return [
                {"value": f"{self.meter_wh / 1000:.3f}", "measurand": "Energy.Active.Import.Register", "unit": "kWh"},
                {"value": f"{power / 1000:.2f}", "measurand": "Power.Active.Import", "unit": "kW"},
                {"value": f"{self.soc:.0f}", "measurand": "SoC", "unit": "Percent", "location": "EV"},
            ]
        return [
            {
                "value": round(self.meter_wh, 1),
                "measurand": "Energy.Active.Import.Register",
                "unitOfMeasure": {"unit": "Wh"},
            },
            {"value": round(power, 1), "measurand": "Power.Active.Import", "unitOfMeasure": {"unit": "W"}},
            {"value": round(self.soc), "measurand": "SoC", "unitOfMeasure": {"unit": "Percent"}},
        ]

    def _transaction_event(
        self, event_type: str, trigger: str, extra: dict[str, Any], transaction_id: str | None = None
    ) -> dict[str, Any]:
        info = {"transactionId": transaction_id or self.transaction_id, **extra.pop("transactionInfo", {})}
        payload = {
            "eventType": event_type,
            "timestamp": self._now(),
            "triggerReason": trigger,
            "seqNo": self.seq_no,
            "transactionInfo": info,
            "evse": {"id": 1, "connectorId": 1},
            "meterValue": [{"timestamp": self._now(), "sampledValue": self._sampled(self._power())}],
            **extra,
        }
        self.seq_no += 1
        return payload

    def _advance(self, sim_now: float) -> float:
        """Energy is power x time: the power last reported, over the simulated time since; returns the new power."""
        elapsed = max(0.0, sim_now - self.metered_at)
        self.metered_at = sim_now
        energy = self.drawn_power_w * elapsed / 3600.0
        self.meter_wh += energy
        if self.capacity_wh:
            self.soc = min(100.0, self.soc + 100.0 * energy / self.capacity_wh)
        self.drawn_power_w = self._power() if self.transaction_id is not None else 0.0
        return self.drawn_power_w

    async def _charge(self, tick: float, sim_now: float) -> None:
        if self.remote_stop:
            self.remote_stop = False
            await self._stop("Remote", "RemoteStop")
            return
        power = self._advance(sim_now)  # drawn from now until the next meter value
        if power == 0.0 and self.status == "Charging":
            await self._status("SuspendedEV")
            self.unplug_at = sim_now + self.rng.expovariate(1 / 600.0)
        if self.v16:
            await self.call(
                "MeterValues",
                {
                    "connectorId": 1,
                    "transactionId": int(self.transaction_id or 0),
                    "meterValue": [{"timestamp": self._now(), "sampledValue": self._sampled(power)}],
                },
            )
        else:
            state = "Charging" if power > 0 else "SuspendedEV"
            await self.call(
                "TransactionEvent",
                self._transaction_event("Updated", "MeterValuePeriodic", {"transactionInfo": {"chargingState": state}}),
            )
        if self.unplug_at is not None and sim_now >= self.unplug_at:
            await self._stop("EVDisconnected", "EVCommunicationLost")

    async def _stop(self, reason: str, trigger: str) -> None:
        self._advance(self.sim_seconds(time.monotonic()))
        self.drawn_power_w = 0.0
        transaction_id = self.transaction_id
        self.transaction_id = None
        self.unplug_at = None
        self._end_tx_profiles()
        if self.v16:
            await self.call(
                "StopTransaction",
                {
                    "transactionId": int(transaction_id or 0),
                    "idTag": self.id_tag,
                    "meterStop": round(self.meter_wh),
                    "timestamp": self._now(),
                    "reason": reason,
                    "transactionData": [{"timestamp": self._now(), "sampledValue": self._sampled(0.0)[:1]}],
                },
            )
        else:
            ended = {"transactionInfo": {"stoppedReason": reason, "chargingState": "Idle"}}
            await self.call("TransactionEvent", self._transaction_event("Ended", trigger, ended, transaction_id))
        self.report.transactions_completed += 1
        self.report.energy_wh += self.meter_wh - self.start_meter_wh
        await self._status("Finishing")
        await self._status("Available")

    # -- commands from the central system ----------------------------------------------------------------------

    def _on_command(self, action: str, payload: dict[str, Any]) -> dict[str, Any] | list[Any] | None:
        handler = getattr(self, f"_command_{action}", None)
        if handler is None or action in self.config.unsupported_actions:
            return None
        answer: dict[str, Any] | list[Any] = handler(payload)
        return answer

    def _accept_start(self, token: str) -> bool:
        if self.transaction_id is not None or self.fault_until is not None or self.remote_start is not None:
            return False
        if self.reservation is not None and not self._holds_reservation(token):
            return False
        self.remote_start = token
        self.report.remote_starts += 1
        return True

    def _command_RemoteStartTransaction(self, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        accepted = self._accept_start(payload["idTag"])
        if accepted:
            self._keep_start_profile(payload)
        return {"status": "Accepted" if accepted else "Rejected"}

    def _command_RequestStartTransaction(self, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        accepted = self._accept_start(payload["idToken"]["idToken"])
        if accepted:  # the transaction it starts names it (2.0.1 E02)
            self._keep_start_profile(payload)
            self.remote_start_id = payload["remoteStartId"]
        return {"status": "Accepted" if accepted else "Rejected"}

    def _stop_matches(self, transaction_id: str) -> dict[str, Any]:
        if self.transaction_id is None or self.transaction_id != transaction_id:
            return {"status": "Rejected"}
        self.remote_stop = True
        return {"status": "Accepted"}

    def _command_RemoteStopTransaction(self, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return self._stop_matches(str(payload["transactionId"]))

    def _command_RequestStopTransaction(self, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return self._stop_matches(payload["transactionId"])

    def _command_UnlockConnector(self, _payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        self.report.unlocks += 1
        self.unlocked = True
        return {"status": "Unlocked"}

    def _command_Reset(self, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        if "evseId" in payload:
            return self._reset_evse(payload["evseId"])
        if self.transaction_id is None:
            self.reconnect_now = True
            self.booted = False
        return {"status": "Accepted"}

    def _command_TriggerMessage(self, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        if payload.get("requestedMessage") == "SignChargingStationCertificate":
            self.request_certificate()
        if payload.get("requestedMessage") == "BootNotification":
            return self._trigger_boot()
        return {"status": "Accepted"}

    def _command_ExtendedTriggerMessage(self, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        """1.6 security extension: SignChargePointCertificate makes a new key and sends its CSR."""
        if payload.get("requestedMessage") == "SignChargePointCertificate":
            self.request_certificate()
            return {"status": "Accepted"}
        return super()._command_ExtendedTriggerMessage(payload)

    def _command_ChangeAvailability(self, _payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return {"status": "Accepted"}

    def _command_GetConfiguration(self, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        keys = payload.get("key") or list(self.settings)
        known = [{"key": k, "readonly": False, "value": self.settings[k]} for k in keys if k in self.settings]
        return {"configurationKey": known, "unknownKey": [k for k in keys if k not in self.settings]}

    def _command_ChangeConfiguration(self, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        if payload["key"] == "AuthorizationKey":
            return {"status": self._change_authorization_key(payload["value"])}
        self.settings[payload["key"]] = payload["value"]
        return {"status": "Accepted"}

    def _command_GetVariables(self, payload: dict[str, Any]) -> dict[str, Any] | list[Any]:  # noqa: N802
        return self._get_variables(payload["getVariableData"])

    def _command_SetVariables(self, payload: dict[str, Any]) -> dict[str, Any] | list[Any]:  # noqa: N802
        items = payload["setVariableData"]
        answer = self._set_variables([item for item in items if not _is_basic_auth_password(item)])
        if not isinstance(answer, dict):
            return answer
        others = iter(answer["setVariableResult"])
        results = []
        for item in items:
            if _is_basic_auth_password(item):
                status = self._change_basic_auth_password(item["attributeValue"])
                results.append(
                    {"attributeStatus": status, "component": item["component"], "variable": item["variable"]}
                )
            else:
                results.append(next(others))
        return {"setVariableResult": results}

    def _command_GetDiagnostics(self, _payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return {"fileName": f"{self.charger_id}-diagnostics.zip"}

    def _command_GetLog(self, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        self._upload_log(payload["requestId"])
        return {"status": "Accepted", "filename": f"{self.charger_id}-log.tar"}

    def _command_UpdateFirmware(self, _payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return {} if self.v16 else {"status": "Accepted"}

    def _command_DataTransfer(self, _payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return {"status": "UnknownVendorId"}

    def _command_CostUpdated(self, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        """2.0.1 block I: the running cost the central system computed, shown on the display."""
        self.displayed_cost = float(payload["totalCost"])
        return {}

    # -- smart charging: profiles per EVSE (0 = the whole charger), the composite schedule, the limit obeyed ----

    def _send_after_reply(self) -> None:
        """Calls a command asked for (ReportChargingProfiles after GetChargingProfiles), sent once it is answered."""
        if not self.after_reply:
            return
        calls, self.after_reply = self.after_reply, []
        task = asyncio.create_task(self._call_in_order(calls))
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def _call_in_order(self, calls: list[tuple[str, dict[str, Any]]]) -> None:
        with contextlib.suppress(_Offline):
            for action, payload in calls:
                await self.call(action, payload)

    def _profile(self, data: dict[str, Any]) -> smart_charging.ChargingProfile:
        if self.v16:
            return smart_charging.from_v16(msgspec.json.decode(json.dumps(data), type=v16.ChargingProfile))
        return smart_charging.from_v201(msgspec.json.decode(json.dumps(data), type=v201.ChargingProfileType))

    def _keep_start_profile(self, payload: dict[str, Any]) -> None:
        data = payload.get("chargingProfile")
        self.start_profile = None if data is None else self._profile(data)

    def _bind_start_profile(self) -> None:
        """The transaction started: a profile that came with its remote start now limits it."""
        self.transaction_started_at = datetime.now(UTC)
        profile, self.start_profile = self.start_profile, None
        if profile is not None:
            bound = msgspec.structs.replace(profile, transaction_id=self.transaction_id)
            self._install(1, bound)

    def _end_tx_profiles(self) -> None:
        """A TxProfile lives as long as its transaction."""
        self.profiles = [p for p in self.profiles if p.profile.charging_profile_purpose != "TxProfile"]
        self.transaction_started_at = None

    def _install(self, evse_id: int, profile: smart_charging.ChargingProfile) -> None:
        version = "1.6" if self.v16 else "2.0.1"
        replaced = smart_charging.replaced_profiles(profile, evse_id, self.profiles, version)
        self.profiles = [p for p in self.profiles if p not in replaced]
        self.profiles.append(
            smart_charging.InstalledProfile(
                evse_id=evse_id, profile=profile, installed_at=datetime.now(UTC).replace(microsecond=0)
            )
        )

    def _profile_limit_w(self) -> float:
        """The limit the installed profiles put on EVSE 1 now, in W (AC current limits over three phases)."""
        if not self.profiles:
            return float("inf")
        limit = smart_charging.limit_at(
            self.profiles,
            1,
            datetime.now(UTC),
            "W",
            transaction_id=self.transaction_id,
            transaction_started_at=self.transaction_started_at,
        )
        return float("inf") if limit is None else limit

    def _command_SetChargingProfile(self, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        evse_id = payload["connectorId"] if self.v16 else payload["evseId"]
        profile = self._profile(payload["csChargingProfiles"] if self.v16 else payload["chargingProfile"])
        purpose = smart_charging.canonical_purpose(profile.charging_profile_purpose)
        if profile.charging_profile_purpose == "TxProfile" and profile.transaction_id is None and self.v16:
            profile = msgspec.structs.replace(profile, transaction_id=self.transaction_id)
        refused = (
            evse_id not in (0, 1)
            or (purpose == "ChargingStationMaxProfile" and evse_id != 0)
            or (
                purpose == "TxProfile"
                and (self.transaction_id is None or profile.transaction_id != self.transaction_id)
            )
            or smart_charging.conflicting_profile(profile, evse_id, self.profiles, "1.6" if self.v16 else "2.0.1")
            is not None
        )
        if refused:
            return {"status": "Rejected"}
        self._install(evse_id, profile)
        self.wake.set()  # the next meter value shows the new limit
        return {"status": "Accepted"}

    def _command_ClearChargingProfile(self, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        if self.v16:
            profile_id, criteria = payload.get("id"), payload
            evse_key = "connectorId"
        else:
            profile_id, criteria = payload.get("chargingProfileId"), payload.get("chargingProfileCriteria") or {}
            evse_key = "evseId"

        def matches(installed: smart_charging.InstalledProfile) -> bool:
            if profile_id is not None:
                return bool(installed.profile.id == profile_id)
            purpose = criteria.get("chargingProfilePurpose")
            return (
                criteria.get(evse_key, installed.evse_id) == installed.evse_id
                and (purpose is None or smart_charging.canonical_purpose(purpose)
                     == smart_charging.canonical_purpose(installed.profile.charging_profile_purpose))
                and criteria.get("stackLevel", installed.profile.stack_level) == installed.profile.stack_level
            )  # fmt: skip

        kept = [p for p in self.profiles if not matches(p)]
        cleared = len(kept) < len(self.profiles)
        self.profiles = kept
        return {"status": "Accepted" if cleared else "Unknown"}

    def _command_GetCompositeSchedule(self, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        evse_id = payload["connectorId"] if self.v16 else payload["evseId"]
        if evse_id not in (0, 1):
            return {"status": "Rejected"}
        unit: Literal["W", "A"] = "A" if payload.get("chargingRateUnit") == "A" else "W"
        start = datetime.now(UTC).replace(microsecond=0)
        rating = smart_charging.convert_limit(self.rating.max_power_w, "W", unit, None)
        periods = smart_charging.composite_schedule(
            self.profiles,
            evse_id,
            start,
            payload["duration"],
            unit,
            transaction_id=self.transaction_id,
            transaction_started_at=self.transaction_started_at,
            unlimited=rating,
        )
        stamp = start.isoformat().replace("+00:00", "Z")
        schedule: dict[str, Any] = {
            "duration": payload["duration"],
            "chargingRateUnit": unit,
            "chargingSchedulePeriod": [{"startPeriod": p.start_period, "limit": p.limit} for p in periods],
        }
        if self.v16:
            return {
                "status": "Accepted",
                "connectorId": evse_id,
                "scheduleStart": stamp,
                "chargingSchedule": {**schedule, "startSchedule": stamp},
            }
        return {"status": "Accepted", "schedule": {**schedule, "evseId": evse_id, "scheduleStart": stamp}}

    def _command_GetChargingProfiles(self, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        criteria = payload["chargingProfile"]
        ids = criteria.get("chargingProfileId")
        purpose = criteria.get("chargingProfilePurpose")
        sources = criteria.get("chargingLimitSource")
        found = [
            p
            for p in self.profiles
            if payload.get("evseId", p.evse_id) == p.evse_id
            and (ids is None or p.profile.id in ids)
            and (purpose is None or smart_charging.canonical_purpose(p.profile.charging_profile_purpose) == purpose)
            and criteria.get("stackLevel", p.profile.stack_level) == p.profile.stack_level
            and (sources is None or "CSO" in sources)  # every profile here was set by the CSMS
        ]
        if not found:
            return {"status": "NoProfiles"}
        by_evse: dict[int, list[smart_charging.ChargingProfile]] = {}
        for installed in found:
            by_evse.setdefault(installed.evse_id, []).append(installed.profile)
        parts = sorted(by_evse.items())
        for n, (evse_id, profiles) in enumerate(parts):
            report: dict[str, Any] = {
                "requestId": payload["requestId"],
                "chargingLimitSource": "CSO",
                "evseId": evse_id,
                "chargingProfile": [msgspec.to_builtins(smart_charging.to_v201(p)) for p in profiles],
            }
            if n < len(parts) - 1:
                report["tbc"] = True
            self.after_reply.append(("ReportChargingProfiles", report))
        return {"status": "Accepted"}

    async def _notify_ev_charging_needs(self) -> None:
        """What an ISO 15118 car asks for as its transaction starts: the energy to full, by when, at what power."""
        wanted_wh = max(0.0, (self.target_soc - self.soc) / 100.0 * self.capacity_wh)
        departure = datetime.now(UTC) + timedelta(hours=self.rng.choice([2, 4, 8]))
        if self.rating.dc:
            parameters: dict[str, Any] = {
                "dcChargingParameters": {
                    "evMaxCurrent": round(self.max_power_w / 400.0),
                    "evMaxVoltage": 450,
                    "energyAmount": round(wanted_wh),
                    "evMaxPower": round(self.max_power_w),
                    "stateOfCharge": round(self.soc),
                    "evEnergyCapacity": round(self.capacity_wh),
                },
                "requestedEnergyTransfer": "DC",
            }
        else:
            parameters = {
                "acChargingParameters": {
                    "energyAmount": round(wanted_wh),
                    "evMinCurrent": 6,
                    "evMaxCurrent": round(self.max_power_w / 3 / 230.0),
                    "evMaxVoltage": 400,
                },
                "requestedEnergyTransfer": "AC_three_phase",
            }
        needs = {**parameters, "departureTime": departure.isoformat(timespec="seconds").replace("+00:00", "Z")}
        with contextlib.suppress(_Offline):
            await self.call("NotifyEVChargingNeeds", {"evseId": 1, "chargingNeeds": needs})

    # -- certificates (1.6 security extension, 2.0.1 blocks A and M) -----------------------------------------

    def _tls(self) -> dict[str, Any]:
        if not self.config.url.startswith("wss://"):
            return {}
        context = ssl.create_default_context(cafile=self.config.tls_ca)
        if self.certificates.key_pem is not None:  # the certificate the central system signed for it wins
            self.certificates.load_into(context)
        elif self.config.tls_client_cert is not None:
            context.load_cert_chain(self.config.tls_client_cert, self.config.tls_client_key)
        return {"ssl": context}

    def request_certificate(self) -> None:
        """Make a new key and send its CSR with SignCertificate (after the current command is answered)."""
        payload = self.certificates.sign_certificate_request()

        async def send() -> None:
            with contextlib.suppress(_Offline):
                await self.call("SignCertificate", payload)

        task = asyncio.get_running_loop().create_task(send())
        self._certificate_requests.add(task)
        task.add_done_callback(self._certificate_requests.discard)

    def _command_InstallCertificate(self, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return self.certificates.install(payload)

    def _command_GetInstalledCertificateIds(self, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return self.certificates.installed_ids(payload)

    def _command_DeleteCertificate(self, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return self.certificates.delete(payload)

    def _command_CertificateSigned(self, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return self.certificates.certificate_signed(payload)

    # -- 2.0.1 device model, monitoring, logs, customer information, display messages, firmware ----------------

    def _start_followups(self) -> None:
        """Send what a command promised (reports, notifications), after its answer has gone out."""
        while self.followups:
            task = asyncio.get_running_loop().create_task(self.followups.pop(0)())
            self.background.add(task)
            task.add_done_callback(self.background.discard)

    def _then_send(self, messages: list[tuple[str, dict[str, Any]]]) -> None:
        async def send() -> None:
            with contextlib.suppress(_Offline):
                for action, payload in messages:
                    await self.call(action, payload)

        self.followups.append(send)

    # -- authorisation: local list, cache, reservations, groups ---------------------------------------------------

    def _later(self, work: Any) -> None:
        """Messages a command causes are sent after its answer, as a charger does."""
        task = asyncio.create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _quiet(self, work: Any) -> None:
        with contextlib.suppress(_Offline):
            await work

    def _remember(self, id_tag: str, info: dict[str, Any] | None) -> None:
        """The authorisation cache keeps what the central system said about a card (unless it is in the local list)."""
        if (
            info is not None
            and id_tag not in self.local_list
            and self.settings.get("AuthorizationCacheEnabled", self.settings.get("Enabled")) == "true"
        ):
            self.auth_cache[id_tag] = info

    def _info_of(self, id_tag: str) -> dict[str, Any] | None:
        return self.local_list.get(id_tag) or self.auth_cache.get(id_tag)

    @staticmethod
    def _group(info: dict[str, Any] | None) -> str | None:
        if info is None:
            return None
        parent = info.get("parentIdTag") or info.get("groupIdToken")
        return parent.get("idToken") if isinstance(parent, dict) else parent

    def _holds_reservation(self, token: str) -> bool:
        reservation = self.reservation
        if reservation is None:
            return True
        group = reservation.get("group")
        return token == reservation["idTag"] or (group is not None and self._group(self._info_of(token)) == group)

    def _remote_start_info(self) -> dict[str, Any]:
        """The remoteStartId of the RequestStartTransaction this start answers, once."""
        remote_start_id, self.remote_start_id = self.remote_start_id, None
        return {} if remote_start_id is None else {"transactionInfo": {"remoteStartId": remote_start_id}}

    def _use_reservation(self, token: str, field: str) -> dict[str, Any]:
        """The reservation a start by `token` consumes, as the message field naming it."""
        if self.reservation is None or not self._holds_reservation(token):
            return {}
        reservation_id = self.reservation["id"]
        self.reservation = None
        self.reservation_id_used = reservation_id
        return {field: reservation_id}

    async def present_card(self, id_tag: str) -> bool:
        """A driver holds a card to the reader during a transaction: it ends the transaction if it is the card that
        started it, a card of the same group (parentIdTag / groupIdToken) or, 2.0.1, a master pass."""
        if self.transaction_id is None:
            return False
        if id_tag != self.id_tag:
            if self.v16:
                info = (await self.call("Authorize", {"idTag": id_tag})).get("idTagInfo")
            else:
                info = (await self.call("Authorize", {"idToken": {"idToken": id_tag, "type": "ISO14443"}})).get(
                    "idTokenInfo"
                )
            self._remember(id_tag, info)
            if info is None or info.get("status") != "Accepted":
                return False
            group = self._group(info)
            master = self.settings.get("MasterPassGroupId")
            if not (group is not None and (group == self._group(self._info_of(self.id_tag)) or group == master)):
                return False
            self.id_tag = id_tag
        await self._stop("Local", "StopAuthorized")
        return True

    def _command_SendLocalList(self, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        if self.settings.get("LocalAuthListEnabled", self.settings.get("Enabled")) != "true":
            return {"status": "NotSupported"} if self.v16 else {"status": "Failed"}
        version = payload["listVersion" if self.v16 else "versionNumber"]
        entries = payload.get("localAuthorizationList") or []
        limit = int(self.settings.get("SendLocalListMaxLength", self.settings.get("ItemsPerMessage", "100")))
        if len(entries) > limit:
            return {"status": "Failed"}
        if payload["updateType"] == "Full":
            self.local_list = {}
        elif version <= self.local_list_version:
            return {"status": "VersionMismatch"}
        for entry in entries:
            tag = entry["idTag"] if self.v16 else entry["idToken"]["idToken"]
            info = entry.get("idTagInfo" if self.v16 else "idTokenInfo")
            if info is None:
                self.local_list.pop(tag, None)
            else:
                self.local_list[tag] = info
                self.auth_cache.pop(tag, None)
        self.local_list_version = version
        return {"status": "Accepted"}

    def _command_GetLocalListVersion(self, _payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return {"listVersion" if self.v16 else "versionNumber": self.local_list_version}

    def _command_ClearCache(self, _payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        self.auth_cache.clear()
        return {"status": "Accepted"}

    def _command_ReserveNow(self, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        if self.fault_until is not None:
            return {"status": "Faulted"}
        if self.transaction_id is not None or self.status not in ("Available", "Reserved"):
            return {"status": "Occupied"}
        reservation_id = payload["reservationId" if self.v16 else "id"]
        if self.reservation is not None and self.reservation["id"] != reservation_id:
            return {"status": "Occupied"}
        if self.v16:
            tag, group, expiry = payload["idTag"], payload.get("parentIdTag"), payload["expiryDate"]
        else:
            tag, expiry = payload["idToken"]["idToken"], payload["expiryDateTime"]
            group = (payload.get("groupIdToken") or {}).get("idToken")
        expires = datetime.fromisoformat(expiry.replace("Z", "+00:00"))
        self.reservation = {"id": reservation_id, "idTag": tag, "group": group, "expires": expires}
        self._later(self._quiet(self._status("Reserved")))
        self._later(self._expire_reservation(reservation_id, expires))
        return {"status": "Accepted"}

    async def _expire_reservation(self, reservation_id: int, expires: datetime) -> None:
        await asyncio.sleep(max(0.0, (expires - datetime.now(UTC)).total_seconds()))
        if self.reservation is None or self.reservation["id"] != reservation_id:
            return
        self.reservation = None
        if not self.v16:  # 1.6 has no message for it: the connector just becomes Available again
            await self._quiet(
                self.call(
                    "ReservationStatusUpdate", {"reservationId": reservation_id, "reservationUpdateStatus": "Expired"}
                )
            )
        if self.transaction_id is None and self.status == "Reserved":
            await self._quiet(self._status("Available"))

    def _command_CancelReservation(self, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        if self.reservation is None or self.reservation["id"] != payload["reservationId"]:
            return {"status": "Rejected"}
        self.reservation = None
        if self.transaction_id is None and self.status == "Reserved":
            self._later(self._quiet(self._status("Available")))
        return {"status": "Accepted"}

    # -- registration and password changes ----------------------------------------------------------------------

    def _change_authorization_key(self, value: str) -> str:
        """1.6 Security Whitepaper: the key is the password's 16 to 40 bytes in hex; used from the next connection,
        which is opened at once."""
        try:
            password = bytes.fromhex(value).decode("utf-8")
        except ValueError:
            return "Rejected"
        if not 16 <= len(password.encode()) <= 40:
            return "Rejected"
        return self._take_password(password)

    def _change_basic_auth_password(self, value: str) -> str:
        """2.0.1 A01: Accepted, then reconnect with the new password."""
        if not 16 <= len(value) <= 40:
            return "Rejected"
        return self._take_password(value)

    def _take_password(self, password: str) -> str:
        if not self.config.accept_password_change:
            return "Rejected"
        self.password = password
        self.reconnect_now = True  # after this answer is sent
        self.wake.set()
        return "Accepted"

    def _trigger_boot(self) -> dict[str, Any]:
        if self.booted and not self.v16:  # 2.0.1 F06.FR.17: already Accepted
            return {"status": "Rejected"}
        self.boot_requested = True
        self.wake.set()
        return {"status": "Accepted"}

    async def _wait_to_boot_again(self, stop: asyncio.Event, seconds: float) -> None:
        """Pending or Rejected: wait the interval, or less when asked to boot now or to reconnect."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                while not (stop.is_set() or self.reconnect_now or self.boot_requested):
                    self.wake.clear()
                    await self.wake.wait()
        self.boot_requested = False
        if self.reconnect_now:
            self.reconnect_now = False
            raise _Offline

    async def _boot_on_request(self) -> None:
        """A BootNotification the central system asked for while the charger runs (1.6 TriggerMessage)."""
        self.boot_requested = False
        if self.v16:
            payload: dict[str, Any] = {"chargePointVendor": "Voltway", "chargePointModel": "SimCharger"}
        else:
            payload = {"chargingStation": {"vendorName": "Voltway", "model": "SimCharger"}, "reason": "Triggered"}
        result = await self.call("BootNotification", payload)
        self.report.boots += 1
        if result.get("interval"):
            self.heartbeat_interval = float(result["interval"])


class Simulation:
    """A set of simulated chargers; ``report`` is live while ``run`` is in progress."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.report = SimulationReport(chargers=config.chargers)
        self.stop = asyncio.Event()
        gate = asyncio.Semaphore(config.connect_concurrency)
        self.chargers = [SimulatedCharger(cid, config, self.report, gate) for cid in charger_ids(config)]

    def request_stop(self) -> None:
        self.stop.set()
        for charger in self.chargers:
            charger.wake.set()

    async def run(self) -> SimulationReport:
        """Run for ``duration`` real seconds (or until cancelled or ``request_stop``), then disconnect everyone."""
        started = time.monotonic()
        tasks = [asyncio.create_task(c.run(self.stop), name=f"sim-{c.charger_id}") for c in self.chargers]
        try:
            if self.config.duration is None:
                await self.stop.wait()
            else:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.config.duration):
                        await self.stop.wait()
        finally:
            self.request_stop()
            done, pending = await asyncio.wait(tasks, timeout=10)
            for task in pending:
                task.cancel()
            for task in done:
                if not task.cancelled() and task.exception() is not None:
                    logger.error("simulated charger failed", exc_info=task.exception())
            self.report.elapsed_seconds = time.monotonic() - started
        return self.report


async def run_simulation(config: SimulatorConfig) -> SimulationReport:
    """Simulate ``config.chargers`` chargers against ``config.url`` for ``config.duration`` seconds.

    With ``duration=None`` it runs until cancelled; keep a ``Simulation`` to read its report afterwards.
    """
    return await Simulation(config).run()
