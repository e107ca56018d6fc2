"""A small HTTP/1.1 keep-alive load generator for the benchmarks (one process, asyncio, raw sockets).

Run it in its own process so it does not share a core with the server under test.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections.abc import Sequence

import msgspec


class LoadResult(msgspec.Struct, frozen=True):
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _request_bytes(host: str, port: int, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: keep-alive"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status


async def _worker(
    host: str, port: int, requests: Sequence[bytes], deadline: float, latencies: list[float], failures: list[int]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    index = 0
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            writer.write(requests[index % len(requests)])
            index += 1
            status = await _read_response(reader)
            latencies.append(time.perf_counter() - started)
            if status >= 400:
                failures.append(status)
    finally:
        writer.close()


async def run_load(
    host: str,
    port: int,
    paths: Sequence[str],
    *,
    connections: int = 32,
    seconds: float = 5.0,
    headers: dict[str, str] | None = None,
) -> LoadResult:
    """Keep `connections` sockets busy for `seconds`, cycling through `paths`."""
    requests = [_request_bytes(host, port, path, headers or {}) for path in paths]
    latencies: list[float] = []
    failures: list[int] = []
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(_worker(host, port, requests, deadline, latencies, failures) for _ in range(connections)))
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else 0.0
    return LoadResult(
        requests=len(latencies),
        errors=len(failures),
        seconds=elapsed,
        p50_ms=statistics.median(ordered) * 1000 if ordered else 0.0,
        p99_ms=p99 * 1000,
    )


def run_load_blocking(
    host: str,
    port: int,
    paths: Sequence[str],
    *,
    connections: int = 32,
    seconds: float = 5.0,
    headers: dict[str, str] | None = None,
    pin_core: int | None = None,
) -> LoadResult:
    """Entry point for a separate process (multiprocessing needs a plain function), optionally on one core."""
    if pin_core is not None:
        os.sched_setaffinity(0, {pin_core})
    return asyncio.run(run_load(host, port, paths, connections=connections, seconds=seconds, headers=headers))
