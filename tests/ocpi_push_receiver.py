"""A fake OCPI receiver for push tests and the push benchmark: a tiny asyncio HTTP server on port 0 that records
every request (method, path, headers, JSON body, arrival time) and answers with the OCPI envelope, or with what
it is told to (401, 500, an OCPI 2001 refusal, a dropped connection)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from tests.request_reading import read_request

ENVELOPE_OK = b'{"status_code":1000,"timestamp":"2026-01-01T00:00:00Z"}'
ENVELOPE_REFUSED = (
    b'{"status_code":2001,"status_message":"Invalid or missing parameters","timestamp":"2026-01-01T00:00:00Z"}'
)


class Pushed:
    def __init__(self, method: str, path: str, headers: dict[str, str], body: bytes) -> None:
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.arrived_at = time.perf_counter()

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class FakeOcpiReceiver:
    """Answers each request by the next of `answers` ("ok", "401", "500", "2001", "drop"), then by `default`."""

    def __init__(self, answers: list[str] | None = None, default: str = "ok") -> None:
        self.answers = list(answers or [])
        self.default = default
        self.requests: list[Pushed] = []
        self._changed = asyncio.Condition()
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/ocpi/emsp/2.2.1"

    async def start(self) -> FakeOcpiReceiver:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for writer in list(self._open):  # idle keep-alive connections end here, not by cancellation
                writer.close()
            await self._server.wait_closed()
            self._server = None

    async def wait_for(self, predicate: Callable[[list[Pushed]], bool], within: float = 10.0) -> list[Pushed]:
        """Wait until `predicate(requests)` holds (checked on every arrival); the requests then."""
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: predicate(self.requests))
        return list(self.requests)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._open.add(writer)
        try:
            while True:
                method, path, headers, body = await read_request(reader)
                answer = self.answers.pop(0) if self.answers else self.default
                if answer == "drop":
                    return
                async with self._changed:
                    self.requests.append(Pushed(method, path, headers, body))
                    self._changed.notify_all()
                status, content = {
                    "401": (b"401 Unauthorized", b""),
                    "500": (b"500 Internal Server Error", b""),
                    "2001": (b"200 OK", ENVELOPE_REFUSED),
                }.get(answer, (b"200 OK", ENVELOPE_OK))
                writer.write(
                    b"HTTP/1.1 "
                    + status
                    + b"\r\nContent-Type: application/json\r\nContent-Length: "
                    + str(len(content)).encode()
                    + b"\r\n\r\n"
                    + content
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            return
        finally:
            self._open.discard(writer)
            writer.close()
