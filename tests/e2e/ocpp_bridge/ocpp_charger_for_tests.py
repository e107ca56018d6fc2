"""A scriptable charger over a real websocket for end-to-end tests.

It checks every CallResult the central system sends, and every command it receives, with the ``ocpp``
library's own jsonschema validation, so the bridge's output is held to the official schemas independently.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from ocpp.messages import Call as LibraryCall
from ocpp.messages import CallResult as LibraryCallResult
from ocpp.messages import _validate_payload
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

Answer = dict[str, Any] | list[Any] | Callable[[dict[str, Any]], Any]

V16_ANSWERS: dict[str, Answer] = {
    "RemoteStartTransaction": {"status": "Accepted"},
    "RemoteStopTransaction": {"status": "Accepted"},
    "UnlockConnector": {"status": "Unlocked"},
    "Reset": {"status": "Accepted"},
    "TriggerMessage": {"status": "Accepted"},
    "ChangeAvailability": {"status": "Scheduled"},
    "GetConfiguration": {
        "configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}],
        "unknownKey": ["Nope"],
    },
    "ChangeConfiguration": {"status": "RebootRequired"},
    "GetDiagnostics": {"fileName": "diag-2026.zip"},
    "UpdateFirmware": {},
    "ReserveNow": {"status": "Accepted"},
    "CancelReservation": {"status": "Rejected"},
    "ClearCache": {"status": "Accepted"},
}

V201_ANSWERS: dict[str, Answer] = {
    "RequestStartTransaction": {"status": "Accepted", "transactionId": "tx-remote-1"},
    "RequestStopTransaction": {"status": "Accepted"},
    "UnlockConnector": {"status": "Unlocked"},
    "Reset": {"status": "Scheduled"},
    "TriggerMessage": {"status": "Accepted"},
    "ChangeAvailability": {"status": "Accepted"},
    "GetVariables": lambda payload: {
        "getVariableResult": [
            {
                "attributeStatus": "Accepted" if item["variable"]["name"] == "HeartbeatInterval" else "UnknownVariable",
                "attributeValue": "300",
                "component": item["component"],
                "variable": item["variable"],
            }
            for item in payload["getVariableData"]
        ]
    },
    "SetVariables": lambda payload: {
        "setVariableResult": [
            {"attributeStatus": "Accepted", "component": item["component"], "variable": item["variable"]}
            for item in payload["setVariableData"]
        ]
    },
    "GetLog": {"status": "Accepted", "filename": "log-2026.tar"},
    "UpdateFirmware": {"status": "Accepted"},
    "ReserveNow": {"status": "Occupied"},
    "CancelReservation": {"status": "Accepted"},
    "ClearCache": {"status": "Rejected", "statusInfo": {"reasonCode": "NoCache"}},
}


class ChargerError(Exception):
    def __init__(self, code: str, description: str) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description


class ScriptedCharger:
    """Sends Calls and waits for their answers; answers the central system's commands from ``answers``."""

    def __init__(self, websocket: ClientConnection, version: str) -> None:
        self.websocket = websocket
        self.version = version
        self.answers: dict[str, Answer] = dict(V16_ANSWERS if version == "1.6" else V201_ANSWERS)
        self.received_commands: list[tuple[str, dict[str, Any]]] = []
        self.unmatched: asyncio.Queue[list[Any]] = asyncio.Queue()
        self.answer_delay = 0.0
        self.in_flight = 0
        self.max_in_flight = 0
        self._pending: dict[str, asyncio.Future[list[Any]]] = {}
        self._sent_actions: dict[str, str] = {}
        self._ids = itertools.count(1)
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for data in self.websocket:
                frame = json.loads(data)
                if isinstance(frame, list) and frame and frame[0] == 2:
                    asyncio.create_task(self._answer(frame))  # noqa: RUF006
                elif isinstance(frame, list) and len(frame) > 1 and frame[1] in self._pending:
                    waiting = self._pending.pop(frame[1])
                    if not waiting.done():  # the caller may have given up waiting (a timeout) before the answer came
                        waiting.set_result(frame)
                else:
                    await self.unmatched.put(frame)

    async def _answer(self, frame: list[Any]) -> None:
        _, message_id, action, payload = frame
        _validate_payload(LibraryCall(message_id, action, payload), self.version)
        self.received_commands.append((action, payload))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await self._reply(message_id, action, payload)
        finally:
            self.in_flight -= 1

    async def _reply(self, message_id: str, action: str, payload: dict[str, Any]) -> None:
        if self.answer_delay:
            await asyncio.sleep(self.answer_delay)
        answer = self.answers.get(action)
        if answer is None:
            await self.websocket.send(json.dumps([4, message_id, "NotImplemented", "no answer scripted", {}]))
            return
        body = answer(payload) if callable(answer) else answer
        if isinstance(body, list):  # a raw frame, e.g. a CallError
            await self.websocket.send(json.dumps([body[0], message_id, *body[1:]]))
        else:
            await self.websocket.send(json.dumps([3, message_id, body]))

    async def send_raw(self, text: str | bytes) -> None:
        await self.websocket.send(text)

    async def next_unmatched(self, within: float = 5.0) -> list[Any]:
        async with asyncio.timeout(within):
            return await self.unmatched.get()

    async def call_frame(self, action: str, payload: Any, message_id: str | None = None) -> list[Any]:
        """Send a Call and return the raw answer frame (CallResult or CallError)."""
        message_id = message_id or f"m{next(self._ids)}"
        future: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        self._pending[message_id] = future
        self._sent_actions[message_id] = action
        await self.websocket.send(json.dumps([2, message_id, action, payload]))
        async with asyncio.timeout(5):
            frame = await future
        if frame[0] == 3:
            result = LibraryCallResult(message_id, frame[2], action=action)
            _validate_payload(result, self.version)
        return frame

    async def call(self, action: str, payload: Any, message_id: str | None = None) -> dict[str, Any]:
        """Send a Call and return its CallResult payload, raising ChargerError for a CallError."""
        frame = await self.call_frame(action, payload, message_id)
        if frame[0] == 4:
            raise ChargerError(frame[2], frame[3])
        result: dict[str, Any] = frame[2]
        return result

    async def wait_closed(self, within: float = 5.0) -> None:
        async with asyncio.timeout(within):
            await self.websocket.wait_closed()

    async def close(self) -> None:
        await self.websocket.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


def basic_auth(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@contextlib.asynccontextmanager
async def charger(
    port: int,
    charger_id: str,
    version: str = "1.6",
    password: str | None = None,
    *,
    path_prefix: str = "/ocpp/",
    **kwargs: Any,
) -> AsyncIterator[ScriptedCharger]:
    from tests.e2e.ocpp_bridge.backend_for_tests import TEST_PASSWORD

    headers = basic_auth(charger_id, TEST_PASSWORD if password is None else password)
    subprotocol = "ocpp1.6" if version == "1.6" else "ocpp2.0.1"
    async with connect(
        f"ws://127.0.0.1:{port}{path_prefix}{charger_id}",
        subprotocols=[subprotocol],  # type: ignore[list-item]
        additional_headers=headers,
        compression=None,
        ping_interval=None,
        **kwargs,
    ) as websocket:
        scripted = ScriptedCharger(websocket, version)
        try:
            yield scripted
        finally:
            await scripted.close()
