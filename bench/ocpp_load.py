"""A lean OCPP 1.6J load generator: thousands of chargers over raw websockets in one asyncio process.

Each charger is an ``asyncio.Protocol`` speaking just enough RFC 6455 (client frames masked with a zero key,
pings answered, permessage-deflate replies inflated when negotiated); frames are built from byte templates and
replies decoded with msgspec. One Call is outstanding per charger at a time, as OCPP requires.

The process is driven over a pipe by ``bench/bench_ocpp.py``: it receives commands (connect, warm up, run a
closed or open loop, stop transactions, close) and sends back a result after each, so the driver can read the
server's memory between steps. Every loop is bounded in count and in time.
"""

from __future__ import annotations

import asyncio
import base64
import os
import resource
import secrets
import time
import zlib
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

import msgspec

PASSWORD = "bench-charger-secret-0001"
BOOT_TIMEOUT = 180.0
MIN_INTERVAL = 0.1  # a charger sends at most 10 messages/s, below the bridge's per-charger rate limit (20/s)
DRAIN_SECONDS = 15.0
_decode = msgspec.json.decode
_encode = msgspec.json.encode


def charger_id(index: int) -> str:
    return f"BENCH-{index:05d}"


def token_uid(index: int) -> str:
    return f"BENCHTAG{index:05d}"


def iso(moment: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(moment)) + f".{int(moment * 1000) % 1000:03d}Z"


def percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] if ordered else 0.0


class PhaseResult(msgspec.Struct, kw_only=True):
    """What one step of the load saw: counts, throughput and round trips (send -> CALLRESULT) in ms."""

    name: str
    chargers: int = 0
    sent: int = 0
    answered: int = 0
    answered_in_window: int = 0
    call_errors: int = 0
    error_codes: dict[str, int] = {}
    failed: int = 0
    failures: dict[str, int] = {}
    unanswered: int = 0
    skipped: int = 0
    seconds: float = 0.0
    per_second: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0


# ----- frames ---------------------------------------------------------------------------------------------


def client_frame(payload: bytes, opcode: int = 0x1) -> bytes:
    """One masked client frame; a zero masking key leaves the payload as it is (RFC 6455 allows any key)."""
    size = len(payload)
    if size < 126:
        head = bytes((0x80 | opcode, 0x80 | size))
    elif size < 65536:
        head = bytes((0x80 | opcode, 0x80 | 126)) + size.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 0x80 | 127)) + size.to_bytes(8, "big")
    return head + b"\x00\x00\x00\x00" + payload


METER_TEMPLATE = (
    '{{"connectorId":1,"transactionId":{tx},"meterValue":[{{"timestamp":"{ts}","sampledValue":['
    '{{"value":"{wh}","context":"Sample.Periodic","measurand":"Energy.Active.Import.Register","unit":"Wh"}},'
    '{{"value":"7400","context":"Sample.Periodic","measurand":"Power.Active.Import","unit":"W"}},'
    '{{"value":"{soc}","context":"Sample.Periodic","measurand":"SoC","location":"EV","unit":"Percent"}}]}}]}}'
)


class Charger(asyncio.Protocol):
    """One simulated charge point on its own socket."""

    def __init__(self, load: Load, index: int, deflate: bool) -> None:
        self.load = load
        self.index = index
        self.ident = charger_id(index)
        self.deflate = deflate
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.upgraded = False
        self.opened: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.inflater: Any = None
        self.pending_id: str | None = None
        self.pending_sent = 0.0
        self.waiter: asyncio.Future[list[Any]] | None = None
        self.sequence = 0
        self.meter_count = 0
        self.transaction_id: int | None = None
        self.alive = False

    # -- socket callbacks --------------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        token = base64.b64encode(f"{self.ident}:{PASSWORD}".encode()).decode()
        lines = [
            f"GET /ocpp/{self.ident} HTTP/1.1",
            f"Host: 127.0.0.1:{self.load.port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {base64.b64encode(secrets.token_bytes(16)).decode()}",
            "Sec-WebSocket-Version: 13",
            "Sec-WebSocket-Protocol: ocpp1.6",
            f"Authorization: Basic {token}",
        ]
        if self.deflate:
            lines.append("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits")
        transport.write(("\r\n".join(lines) + "\r\n\r\n").encode())

    def connection_lost(self, exc: Exception | None) -> None:
        self.alive = False
        if not self.opened.done():
            self.opened.set_result("connection lost")
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("closed"))
        self.load.lost += 1

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        if not self.upgraded:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buffer[:end]).decode("latin-1")
            del buffer[: end + 4]
            status = head[9:12]
            if status != "101":
                self.opened.set_result(f"HTTP {status}")
                if self.transport is not None:
                    self.transport.close()
                return
            self.upgraded = True
            self.alive = True
            if "permessage-deflate" in head.lower():
                self.inflater = zlib.decompressobj(-15)
            self.opened.set_result("")
        while len(buffer) >= 2:
            first, second = buffer[0], buffer[1]
            size = second & 0x7F
            start = 2
            if size == 126:
                if len(buffer) < 4:
                    return
                size = int.from_bytes(buffer[2:4], "big")
                start = 4
            elif size == 127:
                if len(buffer) < 10:
                    return
                size = int.from_bytes(buffer[2:10], "big")
                start = 10
            if len(buffer) < start + size:
                return
            payload = bytes(buffer[start : start + size])
            del buffer[: start + size]
            opcode = first & 0x0F
            if opcode == 0x1:
                if first & 0x40 and self.inflater is not None:
                    payload = self.inflater.decompress(payload + b"\x00\x00\xff\xff")
                self.on_message(payload)
            elif opcode == 0x9 and self.transport is not None:
                self.transport.write(client_frame(payload, 0xA))
            elif opcode == 0x8 and self.transport is not None:
                self.alive = False
                self.transport.write(client_frame(payload[:2], 0x8))
                self.transport.close()

    # -- OCPP ----------------------------------------------------------------------------------------------

    def on_message(self, payload: bytes) -> None:
        now = time.perf_counter()
        frame = _decode(payload)
        if frame[0] == 2:  # a command from the central system: none is expected here
            self.load.unexpected += 1
            return
        if frame[1] != self.pending_id:
            self.load.unexpected += 1
            return
        self.pending_id = None
        if frame[0] == 4:
            self.load.error(str(frame[2]))
        waiter = self.waiter
        if waiter is not None:
            self.waiter = None
            if not waiter.done():
                waiter.set_result(frame)
            return
        self.load.answered(self, now - self.pending_sent)

    def send(self, action: str, payload: str) -> None:
        self.sequence += 1
        message_id = f"{self.index}-{self.sequence}"
        self.pending_id = message_id
        self.pending_sent = time.perf_counter()
        frame = f'[2,"{message_id}","{action}",{payload}]'.encode()
        assert self.transport is not None
        self.transport.write(client_frame(frame))

    async def call(self, action: str, payload: dict[str, Any], limit: float) -> list[Any]:
        waiter: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        self.waiter = waiter
        self.send(action, _encode(payload).decode())
        async with asyncio.timeout(limit):
            return await waiter

    def send_mixed(self) -> None:
        """The next message of the mix: 90 % MeterValues, 5 % Heartbeat, 5 % StatusNotification."""
        slot = (self.sequence + self.index) % 20
        if slot == 0:
            self.send("Heartbeat", "{}")
        elif slot == 1:
            self.send(
                "StatusNotification",
                f'{{"connectorId":1,"errorCode":"NoError","status":"Charging","timestamp":"{iso(time.time())}"}}',
            )
        else:
            self.meter_count += 1
            count = self.meter_count
            payload = METER_TEMPLATE.format(
                tx=self.transaction_id or 0,
                ts=iso(self.load.meter_epoch + count),
                wh=1000 + 10 * count,
                soc=min(100, 20 + count // 10),
            )
            self.send("MeterValues", payload)

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            if self.alive:
                self.transport.write(client_frame(b"\x03\xe8", 0x8))
            self.transport.close()


class Load:
    """The chargers of one load process and the bookkeeping of the step being measured."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.chargers: list[Charger] = []
        self.meter_epoch = time.time()  # one clock for every message; a sample a second keeps stamps unique
        self.lost = 0
        self.unexpected = 0
        self.latencies: list[float] = []
        self.errors: dict[str, int] = {}
        self.answered_total = 0
        self.window_end = 0.0
        self.in_window = 0
        self.on_answer: Callable[[Charger], None] | None = None

    def error(self, code: str) -> None:
        self.errors[code] = self.errors.get(code, 0) + 1

    def answered(self, charger: Charger, seconds: float) -> None:
        self.answered_total += 1
        self.latencies.append(seconds)
        if time.perf_counter() <= self.window_end:
            self.in_window += 1
        if self.on_answer is not None:
            self.on_answer(charger)

    def _reset(self) -> None:
        self.latencies = []
        self.errors = {}
        self.answered_total = 0
        self.in_window = 0

    def _result(self, name: str, sent: int, seconds: float, **extra: Any) -> PhaseResult:
        ordered = sorted(self.latencies)
        return PhaseResult(
            name=name,
            chargers=len(self.chargers),
            sent=sent,
            answered=self.answered_total,
            answered_in_window=self.in_window,
            call_errors=sum(self.errors.values()),
            error_codes=dict(self.errors),
            unanswered=sum(1 for c in self.chargers if c.pending_id is not None),
            seconds=seconds,
            per_second=self.in_window / seconds if seconds else 0.0,
            p50_ms=percentile(ordered, 0.5) * 1000,
            p99_ms=percentile(ordered, 0.99) * 1000,
            max_ms=(ordered[-1] * 1000) if ordered else 0.0,
            **extra,
        )

    # -- steps -------------------------------------------------------------------------------------------

    async def connect(self, first: int, count: int, deflate: bool, concurrency: int = 0) -> PhaseResult:
        """Open ``count`` chargers, all at once or ``concurrency`` at a time; each is done when its
        BootNotification is accepted."""
        loop = asyncio.get_running_loop()
        gate = asyncio.Semaphore(concurrency or count or 1)
        failures: dict[str, int] = {}
        latencies: list[float] = []
        started = time.perf_counter()

        async def one(index: int) -> Charger | None:
            try:
                async with gate, asyncio.timeout(BOOT_TIMEOUT):
                    _transport, charger = await loop.create_connection(
                        lambda: Charger(self, index, deflate), self.host, self.port
                    )
                    outcome = await charger.opened
                    if outcome:
                        failures[outcome] = failures.get(outcome, 0) + 1
                        return None
                    boot = {
                        "chargePointVendor": "Voltway",
                        "chargePointModel": "Bench",
                        "chargePointSerialNumber": charger.ident,
                        "firmwareVersion": "1.0.0",
                    }
                    reply = await charger.call("BootNotification", boot, BOOT_TIMEOUT)
            except (OSError, TimeoutError) as exc:
                key = type(exc).__name__
                failures[key] = failures.get(key, 0) + 1
                return None
            latencies.append(time.perf_counter() - started)
            if reply[0] != 3 or reply[2].get("status") != "Accepted":
                failures["boot not accepted"] = failures.get("boot not accepted", 0) + 1
                return charger
            return charger

        self._reset()
        results = await asyncio.gather(*(one(first + n) for n in range(count)))
        elapsed = time.perf_counter() - started
        self.chargers = [c for c in results if c is not None]
        ordered = sorted(latencies)
        return PhaseResult(
            name="connect+boot",
            chargers=len(self.chargers),
            sent=count,
            answered=len(latencies),
            call_errors=sum(self.errors.values()),
            error_codes=dict(self.errors),
            failed=count - len(latencies),
            failures=failures,
            seconds=elapsed,
            per_second=len(latencies) / elapsed if elapsed else 0.0,
            p50_ms=percentile(ordered, 0.5) * 1000,
            p99_ms=percentile(ordered, 0.99) * 1000,
            max_ms=(ordered[-1] * 1000) if ordered else 0.0,
        )

    async def warm_up(self, concurrency: int = 0) -> PhaseResult:
        """Every charger reports its connector and starts a transaction (StartTransaction over OCPP), all at once
        or ``concurrency`` chargers at a time."""
        failures: dict[str, int] = {}
        gate = asyncio.Semaphore(concurrency or len(self.chargers) or 1)
        started = time.perf_counter()
        self._reset()

        async def one(charger: Charger) -> None:
            async with gate:
                await started_one(charger)

        async def started_one(charger: Charger) -> None:
            try:
                status = {
                    "connectorId": 1,
                    "errorCode": "NoError",
                    "status": "Preparing",
                    "timestamp": iso(time.time()),
                }
                await charger.call("StatusNotification", status, BOOT_TIMEOUT)
                start = {
                    "connectorId": 1,
                    "idTag": token_uid(charger.index),
                    "meterStart": 1000,
                    "timestamp": iso(time.time()),
                }
                reply = await charger.call("StartTransaction", start, BOOT_TIMEOUT)
            except (ConnectionError, TimeoutError) as exc:
                failures[type(exc).__name__] = failures.get(type(exc).__name__, 0) + 1
                return
            if reply[0] == 3 and reply[2].get("idTagInfo", {}).get("status") == "Accepted":
                charger.transaction_id = int(reply[2]["transactionId"])
            else:
                failures["start refused"] = failures.get("start refused", 0) + 1

        await asyncio.gather(*(one(c) for c in self.chargers))
        elapsed = time.perf_counter() - started
        started_ok = sum(1 for c in self.chargers if c.transaction_id is not None)
        return PhaseResult(
            name="warm-up",
            chargers=len(self.chargers),
            sent=2 * len(self.chargers),
            answered=started_ok,
            call_errors=sum(self.errors.values()),
            error_codes=dict(self.errors),
            failed=len(self.chargers) - started_ok,
            failures=failures,
            seconds=elapsed,
        )

    async def _drain(self) -> None:
        deadline = time.perf_counter() + DRAIN_SECONDS
        # Polls the state of thousands of chargers, bounded in time.
        while time.perf_counter() < deadline and any(  # noqa: ASYNC110
            c.pending_id is not None for c in self.chargers if c.alive
        ):
            await asyncio.sleep(0.05)

    async def closed_loop(self, seconds: float) -> PhaseResult:
        """Every charger sends its next message as soon as the previous one is answered, for ``seconds``."""
        self._reset()
        started = time.perf_counter()
        self.window_end = started + seconds
        end = self.window_end

        loop = asyncio.get_running_loop()

        def send_if_open(charger: Charger) -> None:
            if time.perf_counter() < end and charger.alive and charger.pending_id is None:
                charger.send_mixed()

        def again(charger: Charger) -> None:
            wait = charger.pending_sent + MIN_INTERVAL - time.perf_counter()
            if wait > 0:
                loop.call_later(wait, send_if_open, charger)
            else:
                send_if_open(charger)

        self.on_answer = again
        sent_before = sum(c.sequence for c in self.chargers)
        for charger in self.chargers:
            if charger.alive and charger.pending_id is None:
                charger.send_mixed()
        await asyncio.sleep(seconds)
        self.on_answer = None
        await self._drain()
        sent = sum(c.sequence for c in self.chargers) - sent_before
        return self._result("closed loop", sent, seconds)

    async def open_loop(self, rate: float, seconds: float) -> PhaseResult:
        """Offer ``rate`` messages/s spread over idle chargers (round robin) for ``seconds``; a message that finds
        every charger still waiting for its previous answer is counted as skipped."""
        self._reset()
        started = time.perf_counter()
        self.window_end = started + seconds + DRAIN_SECONDS
        self.on_answer = None
        chargers = [c for c in self.chargers if c.alive]
        sent = 0
        skipped = 0
        cursor = 0
        total = len(chargers)
        limit = int(rate * seconds)
        while sent + skipped < limit and total:
            now = time.perf_counter()
            if now - started >= seconds:
                break
            due = min(limit, int(rate * (now - started))) - sent - skipped
            for _ in range(due):
                for _probe in range(total):
                    charger = chargers[cursor]
                    cursor = (cursor + 1) % total
                    if charger.pending_id is None and charger.alive:
                        charger.send_mixed()
                        sent += 1
                        break
                else:
                    skipped += 1
            await asyncio.sleep(0.002)
        offered_seconds = time.perf_counter() - started
        await self._drain()
        result = self._result(f"open loop {rate:,.0f}/s", sent, offered_seconds, skipped=skipped)
        result.per_second = self.answered_total / offered_seconds if offered_seconds else 0.0
        return result

    async def stop_transactions(self) -> PhaseResult:
        started = time.perf_counter()
        self._reset()
        failures: dict[str, int] = {}

        async def one(charger: Charger) -> None:
            if charger.transaction_id is None or not charger.alive:
                return
            stop = {
                "transactionId": charger.transaction_id,
                "idTag": token_uid(charger.index),
                "meterStop": 1000 + 10 * charger.meter_count,
                "timestamp": iso(time.time()),
                "reason": "Local",
            }
            try:
                await charger.call("StopTransaction", stop, BOOT_TIMEOUT)
            except (ConnectionError, TimeoutError) as exc:
                failures[type(exc).__name__] = failures.get(type(exc).__name__, 0) + 1

        await asyncio.gather(*(one(c) for c in self.chargers))
        return PhaseResult(
            name="stop transactions",
            chargers=len(self.chargers),
            call_errors=sum(self.errors.values()),
            error_codes=dict(self.errors),
            failures=failures,
            seconds=time.perf_counter() - started,
        )

    async def close(self) -> PhaseResult:
        started = time.perf_counter()
        for charger in self.chargers:
            charger.close()
        deadline = time.perf_counter() + 10.0
        while time.perf_counter() < deadline and any(  # noqa: ASYNC110
            c.transport is not None and not c.transport.is_closing() for c in self.chargers
        ):
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)
        self.chargers = []
        return PhaseResult(name="close", seconds=time.perf_counter() - started)


async def _serve(pipe: Connection, host: str, port: int) -> None:
    load = Load(host, port)
    loop = asyncio.get_running_loop()
    while True:
        command: dict[str, Any] = await loop.run_in_executor(None, pipe.recv)
        op = command["op"]
        result: PhaseResult
        if op == "connect":
            result = await load.connect(
                command["first"], command["count"], command.get("deflate", False), command.get("concurrency", 0)
            )
        elif op == "warm_up":
            result = await load.warm_up(command.get("concurrency", 0))
        elif op == "closed":
            result = await load.closed_loop(command["seconds"])
        elif op == "open":
            result = await load.open_loop(command["rate"], command["seconds"])
        elif op == "stop_transactions":
            result = await load.stop_transactions()
        elif op == "close":
            result = await load.close()
        else:
            pipe.send(None)
            return
        pipe.send(msgspec.to_builtins(result))


def load_process(pipe: Connection, host: str, port: int, core: int | None) -> None:
    """Entry point of the load process: pin to ``core``, raise the file limit, obey the pipe until told to exit."""
    if core is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {core})
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(_serve(pipe, host, port))
