"""A real HTTP receiver of outbound deliveries for tests: a tiny asyncio server on port 0 that de-duplicates by
delivery id, checks signatures, and can drop the connection or fail after processing."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from typing import Any

from api.deliveries.signing import verify_signature
from tests.request_reading import read_request


class Received:
    def __init__(self, headers: dict[str, str], body: bytes, *, signed: bool) -> None:
        self.headers = headers
        self.body = body
        self.signed = signed

    @property
    def delivery_id(self) -> str:
        return self.headers["x-voltway-delivery-id"]

    @property
    def kind(self) -> str:
        return self.headers["x-voltway-delivery-kind"]

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """Answers each request by the next of `answers` ("ok", "drop": close without answering, "500", "hang": never
    answer until stopped), then "ok".

    Whatever the answer, a request is processed first; `processed` keeps each delivery id once, as a receiver
    de-duplicating by X-Voltway-Delivery-Id does.
    """

    def __init__(self, secret: str, answers: list[str] | None = None) -> None:
        self.secret = secret
        self.answers = list(answers or [])
        self.requests: list[Received] = []
        self.processed: dict[str, Any] = {}
        self.arrived = asyncio.Event()
        self._stopping = asyncio.Event()
        self._server: asyncio.Server | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/voltway"

    def counts(self) -> Counter[str]:
        return Counter(request.delivery_id for request in self.requests)

    async def start(self) -> Receiver:
        self._stopping = asyncio.Event()
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            _, _, headers, body = await read_request(reader)
            received = Received(headers, body, signed=verify_signature(self.secret, headers, body))
            self.requests.append(received)
            if received.signed and received.delivery_id not in self.processed:
                self.processed[received.delivery_id] = received.json()
            self.arrived.set()
            answer = self.answers.pop(0) if self.answers else "ok"
            if answer == "drop":
                return
            if answer == "hang":
                await self._stopping.wait()
                return
            status = b"500 Internal Server Error" if answer == "500" else b"200 OK"
            writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            return
        finally:
            writer.close()
