"""CPU cost of handling one ~1 KB OCPP 1.6 MeterValues Call, without the network, and what the per-charger
message journal adds to it (recording the frame in and the reply out).

Compares the bridge's path (frame split, msgspec validation against the generated Structs, event building,
backend call, CallResult encoding) with the ``ocpp`` library: its jsonschema validation alone, and its full
``ChargePoint.route_message`` path with inline validation. Medians of interleaved rounds, one core.

With ``--sockets N`` it also measures the real server over websockets: N chargers in a separate load
process each send MeterValues back to back (one outstanding call per charger, as OCPP requires).

Run: .venv/bin/python bench/bench_ocpp_codec.py [--seconds S] [--rounds N] [--sockets N]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import multiprocessing
import os
import statistics
import sys
import time
import timeit
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import ocpp.messages
from ocpp.routing import on
from ocpp.v16 import ChargePoint as LibraryChargePoint
from ocpp.v16 import call_result
from ocpp.v16.enums import Action
from websockets.asyncio.client import connect

from ocpp_bridge import codec
from ocpp_bridge.config import BridgeConfig
from ocpp_bridge.events import (
    BootReply,
    CertificateSigningReply,
    CertificateStatusReply,
    ContractCertificateStatus,
    DataTransferReply,
    EvCertificateReply,
    IdTokenInfo,
    TransactionStartReply,
)
from ocpp_bridge.journal import ChargerJournal
from ocpp_bridge.server import CentralSystem
from ocpp_bridge.v16.handlers import V16Router

SAMPLED = [
    {"value": "12345.678", "measurand": "Energy.Active.Import.Register", "unit": "kWh", "context": "Sample.Periodic"},
    {"value": "7.4", "measurand": "Power.Active.Import", "unit": "kW", "context": "Sample.Periodic"},
    {"value": "32.1", "measurand": "Current.Import", "unit": "A", "phase": "L1", "context": "Sample.Periodic"},
    {"value": "31.9", "measurand": "Current.Import", "unit": "A", "phase": "L2", "context": "Sample.Periodic"},
    {"value": "32.0", "measurand": "Current.Import", "unit": "A", "phase": "L3", "context": "Sample.Periodic"},
    {"value": "230.1", "measurand": "Voltage", "unit": "V", "phase": "L1-N", "context": "Sample.Periodic"},
    {"value": "61", "measurand": "SoC", "unit": "Percent", "location": "EV", "context": "Sample.Periodic"},
]
PAYLOAD = {
    "connectorId": 1,
    "transactionId": 4711,
    "meterValue": [{"timestamp": "2026-11-27T09:00:00Z", "sampledValue": SAMPLED}],
}
FRAME = json.dumps([2, "19223201-0001", "MeterValues", PAYLOAD], separators=(",", ":"))


class NullBackend:
    """Accepts everything; what a real backend costs is outside this measurement."""

    async def check_credentials(self, charger_id: str, password: str | None) -> bool:
        return True

    async def on_event(self, event: object) -> None:
        return None

    async def on_charger_booted(self, event: object) -> BootReply:
        return BootReply(status="Accepted")

    async def on_authorization_requested(self, event: object) -> IdTokenInfo:
        return IdTokenInfo(status="Accepted")

    async def on_transaction_started(self, event: object) -> TransactionStartReply:
        return TransactionStartReply(transaction_id=1)

    async def on_transaction_updated(self, event: object) -> None:
        return None

    async def on_transaction_ended(self, event: object) -> None:
        return None

    async def on_data_transfer(self, event: object) -> DataTransferReply:
        return DataTransferReply()

    async def security_profile(self, charger_id: str) -> int | None:
        return None

    async def on_certificate_signing_requested(self, event: object) -> CertificateSigningReply:
        return CertificateSigningReply(status="Rejected")

    async def on_certificate_status_requested(self, event: object) -> CertificateStatusReply:
        return CertificateStatusReply(status="Failed")

    async def on_ev_certificate_requested(self, event: object) -> EvCertificateReply:
        return EvCertificateReply(status="Failed")

    async def on_contract_certificates_presented(self, event: object) -> ContractCertificateStatus:
        return "NoCertificateAvailable"


class _Sink:
    async def send(self, message: str) -> None:
        return None

    async def recv(self) -> str:
        await asyncio.sleep(3600)
        return ""


class LibraryCentralSystem(LibraryChargePoint):  # type: ignore[misc]
    @on(Action.meter_values)  # type: ignore[untyped-decorator]
    async def on_meter_values(self, connector_id: int, meter_value: list[Any], **kwargs: Any) -> Any:
        return call_result.MeterValues()


async def rate(step: Callable[[], Awaitable[object]], seconds: float) -> float:
    count = 0
    started = time.perf_counter()
    deadline = started + seconds
    while True:
        for _ in range(200):
            await step()
        count += 200
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - started)


async def _load(port: int, chargers: int, seconds: float) -> tuple[int, list[float]]:
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds + 2.0

    async def one(n: int) -> None:
        charger_id = f"LOAD-{n:05d}"
        token = base64.b64encode(f"{charger_id}:x".encode()).decode()
        async with connect(
            f"ws://127.0.0.1:{port}/ocpp/{charger_id}",
            subprotocols=["ocpp1.6"],  # type: ignore[list-item]
            additional_headers={"Authorization": f"Basic {token}"},
            compression=None,
            ping_interval=None,
        ) as websocket:
            await asyncio.sleep(2.0 - (time.perf_counter() - started))  # everyone connected before measuring
            count = 0
            while time.perf_counter() < deadline:
                sent = time.perf_counter()
                await websocket.send(FRAME.replace("19223201-0001", f"{n}-{count}"))
                await websocket.recv()
                latencies.append(time.perf_counter() - sent)
                count += 1

    started = time.perf_counter()
    await asyncio.gather(*(one(n) for n in range(chargers)))
    return len(latencies), latencies


def _load_process(port: int, chargers: int, seconds: float, queue: multiprocessing.Queue[Any]) -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {1})
    count, latencies = asyncio.run(_load(port, chargers, seconds))
    queue.put((count, sorted(latencies)))


async def sockets(chargers: int, seconds: float) -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})
    config = BridgeConfig(
        host="127.0.0.1", port=0, ping_interval=None, rate_limit_per_second=1e6, rate_limit_burst=10**6
    )
    async with CentralSystem(NullBackend(), config) as system:
        queue: multiprocessing.Queue[Any] = multiprocessing.Queue()
        loader = multiprocessing.Process(target=_load_process, args=(system.port, chargers, seconds, queue))
        loader.start()
        count, latencies = await asyncio.to_thread(queue.get)
        loader.join()
    p50 = latencies[len(latencies) // 2] * 1000
    p99 = latencies[int(len(latencies) * 0.99)] * 1000
    print(f"sockets: {chargers} chargers, {count / seconds:,.0f} MeterValues/s, p50 {p50:.2f} ms, p99 {p99:.2f} ms")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sockets", type=int, default=0, help="also load the real server with this many chargers")
    args = parser.parse_args()
    print(f"MeterValues frame: {len(FRAME)} bytes")

    router = V16Router(NullBackend(), BridgeConfig())

    async def bridge_path() -> object:
        call = codec.parse_frame(FRAME)
        assert isinstance(call, codec.Call)
        return await router.handle("CP-1", call)

    async def library_validation() -> object:
        message = ocpp.messages.unpack(FRAME)
        ocpp.messages._validate_payload(message, "1.6")
        return message

    ocpp.messages.ASYNC_VALIDATION = False  # inline, as the faster of the library's two modes
    library = LibraryCentralSystem("CP-1", _Sink())

    async def library_route() -> object:
        await library.route_message(FRAME)
        return None

    journal = ChargerJournal("CP-1", 50)

    async def bridge_path_with_journal() -> object:
        """What the session adds per message with the journal on: the frame in and the reply out recorded."""
        journal.record(time.time(), True, FRAME)
        reply = await bridge_path()
        journal.record(time.time(), False, reply)  # type: ignore[arg-type]
        return reply

    reply = await bridge_path()
    assert reply == b'[3,"19223201-0001",{}]', reply
    results: dict[str, list[float]] = {
        "bridge": [],
        "bridge + journal": [],
        "library validation": [],
        "library route_message": [],
    }
    for _ in range(args.rounds):
        results["bridge"].append(await rate(bridge_path, args.seconds))
        results["bridge + journal"].append(await rate(bridge_path_with_journal, args.seconds))
        results["library validation"].append(await rate(library_validation, args.seconds))
        results["library route_message"].append(await rate(library_route, args.seconds))
    medians = {name: statistics.median(values) for name, values in results.items()}
    for name, value in medians.items():
        print(f"{name:>24}: {value:10,.0f} msg/s  ({1e6 / value:7.1f} us/msg)")
    journal_cost = 1e6 / medians["bridge + journal"] - 1e6 / medians["bridge"]
    print(f"message journal (50 frames): {journal_cost:+.2f} us/msg ({journal_cost * medians['bridge'] / 1e4:+.1f} %)")
    # The difference above is within the rounds' noise on a busy machine; the recording alone, timed directly
    # (the session reads the clock for every frame anyway, so the clock is left out of both sides):
    outgoing: bytes = reply
    moment = time.time()

    def record_pair() -> None:
        journal.record(moment, True, FRAME)
        journal.record(moment, False, outgoing)

    def nothing() -> None:
        return None

    recording = min(timeit.repeat(record_pair, number=200_000, repeat=5)) - min(
        timeit.repeat(nothing, number=200_000, repeat=5)
    )
    per_message = recording / 200_000 * 1e6
    share = per_message * medians["bridge"] / 1e4
    print(f"journal recording alone (in + out): {per_message:.2f} us/msg = {share:.1f} % of the bridge path")
    print(f"bridge vs library validation:   {medians['bridge'] / medians['library validation']:.1f}x")
    print(f"bridge vs library route_message: {medians['bridge'] / medians['library route_message']:.1f}x")
    if args.sockets:
        await sockets(args.sockets, max(args.seconds, 5.0))


if __name__ == "__main__":
    asyncio.run(main())
