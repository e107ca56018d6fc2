"""A scripted OCPP 1.6 charger over a real websocket for fault tests: the test decides when it meters, drops its
connection, reconnects (to any process) and whether it carries out a remote stop. It keeps what it reported, so
a test can compare the bill with the energy the charger really measured.

Like a real charger it retries a transaction message (StartTransaction, MeterValues, StopTransaction) until the
central system answers it with a CallResult, across reconnects."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
from datetime import UTC, datetime
from typing import Any, Final

import websockets
from websockets.asyncio.client import ClientConnection

ANSWER_SECONDS: Final = 10.0  # a central system that does not answer a Call within this is taken as gone


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ScriptedCharger:
    def __init__(self, charger_id: str, password: str) -> None:
        self.charger_id = charger_id
        self.password = password
        self.register_wh = 1000  # the meter register; a transaction's energy is the difference
        self.transaction_id: int | None = None
        self.meter_start_wh: int | None = None
        self.obey_stops = True  # False: answer Accepted and keep charging (a stop lost inside the charger)
        self.stops_received = 0
        self.stopped = asyncio.Event()
        self.transaction_started = asyncio.Event()
        self._ids = itertools.count(1)
        self._socket: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._pending: dict[str, asyncio.Future[list[Any]]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._online = asyncio.Event()

    # -- connection ------------------------------------------------------------------------------------------

    async def connect(self, url: str) -> None:
        """Open the websocket at `url` (an OCPP endpoint), boot and report the connector available or charging."""
        token = base64.b64encode(f"{self.charger_id}:{self.password}".encode()).decode()
        self._socket = await websockets.connect(
            f"{url.rstrip('/')}/{self.charger_id}",
            subprotocols=["ocpp1.6"],  # type: ignore[list-item]
            additional_headers={"Authorization": f"Basic {token}"},
            ping_interval=None,
            open_timeout=10,
        )
        self._reader = asyncio.create_task(self._read(self._socket))
        self._online.set()
        await self.call("BootNotification", {"chargePointVendor": "Faults", "chargePointModel": "Scripted"})
        await self.status("Charging" if self.transaction_id is not None else "Available")

    async def drop(self) -> None:
        """Lose the connection abruptly (no close handshake), as a cut cable or a crashed peer does."""
        self._online.clear()
        socket, self._socket = self._socket, None
        if socket is not None:
            socket.transport.abort()
            with contextlib.suppress(Exception):
                await socket.wait_closed()
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await self._reader

    async def close(self) -> None:
        await self.drop()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    @property
    def online(self) -> bool:
        return self._socket is not None

    # -- messages --------------------------------------------------------------------------------------------

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        """One Call answered with a CallResult; raises on a CallError or a lost connection."""
        socket = self._socket
        if socket is None:
            raise ConnectionError("offline")
        message_id = f"{self.charger_id}-{next(self._ids)}"
        future: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        self._pending[message_id] = future
        try:
            await socket.send(json.dumps([2, message_id, action, payload]))
            async with asyncio.timeout(ANSWER_SECONDS):
                frame = await future
        finally:
            self._pending.pop(message_id, None)
        if frame[0] == 4:
            raise RuntimeError(f"{action} answered with {frame[2]}: {frame[3]}")
        result: dict[str, Any] = frame[2]
        return result

    async def transaction_call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        """A transaction message: retried (offline, CallError, no answer) until the central system takes it."""
        while True:
            await self._online.wait()
            try:
                return await self.call(action, payload)
            except (ConnectionError, RuntimeError, TimeoutError, websockets.ConnectionClosed):
                await asyncio.sleep(0.2)

    async def status(self, status: str) -> None:
        await self.call(
            "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": status, "timestamp": _now()}
        )

    async def meter(self, wh: int) -> None:
        """Charge `wh` more and report the register in a MeterValues of the running transaction."""
        assert self.transaction_id is not None
        self.register_wh += wh
        sample = {"measurand": "Energy.Active.Import.Register", "unit": "Wh", "value": str(self.register_wh)}
        payload = {
            "connectorId": 1,
            "transactionId": self.transaction_id,
            "meterValue": [{"timestamp": _now(), "sampledValue": [sample]}],
        }
        await self.transaction_call("MeterValues", payload)

    @property
    def energy_wh(self) -> int:
        """The energy of the current (or last) transaction as this charger measured it."""
        return self.register_wh - (self.meter_start_wh or self.register_wh)

    # -- commands from the central system ----------------------------------------------------------------------

    async def _read(self, socket: ClientConnection) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for data in socket:
                frame = json.loads(data)
                if frame[0] == 2:
                    answer = self._on_command(frame[2], frame[3])
                    reply = [3, frame[1], answer] if answer is not None else [4, frame[1], "NotImplemented", "", {}]
                    await socket.send(json.dumps(reply))
                elif (future := self._pending.get(frame[1])) is not None and not future.done():
                    future.set_result(frame)
        for future in self._pending.values():
            if not future.done():
                future.set_exception(ConnectionError("connection lost"))

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _on_command(self, action: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        if action == "RemoteStartTransaction":
            if self.transaction_id is not None:
                return {"status": "Rejected"}
            self._spawn(self._start(str(payload["idTag"])))
            return {"status": "Accepted"}
        if action == "RemoteStopTransaction":
            self.stops_received += 1
            if self.transaction_id is None or payload.get("transactionId") != self.transaction_id:
                return {"status": "Rejected"}
            if self.obey_stops:
                self._spawn(self._stop())
            return {"status": "Accepted"}
        if action in ("TriggerMessage", "ChangeConfiguration"):
            return {"status": "Rejected"}
        return None

    async def _start(self, id_tag: str) -> None:
        self.meter_start_wh = self.register_wh
        answer = await self.transaction_call(
            "StartTransaction",
            {"connectorId": 1, "idTag": id_tag, "meterStart": self.register_wh, "timestamp": _now()},
        )
        self.transaction_id = int(answer["transactionId"])
        self.transaction_started.set()
        await self.status("Charging")

    async def _stop(self) -> None:
        if self.transaction_id is None:
            return
        transaction_id, self.transaction_id = self.transaction_id, None
        await self.transaction_call(
            "StopTransaction",
            {"transactionId": transaction_id, "meterStop": self.register_wh, "timestamp": _now(), "reason": "Remote"},
        )
        self.stopped.set()
        with contextlib.suppress(Exception):
            await self.status("Available")
