"""HTTP throughput of the driver API on one worker: a signed-in `GET /v1/me` against `GET /health`.

`/health` is the baseline (routing, middleware, JSON); `/v1/me` adds token verification, a database
read and the profile encoding. The server runs as `voltway serve` (uvicorn, one worker, SQLite); the
load generator runs in a separate process. Usage: python bench/bench_api_http.py [--seconds S]
"""

from __future__ import annotations

import argparse
import signal
import socket
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.http_load import LoadResult, run_load_blocking
from bench.served_api import serve_pinned


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each measurement round")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per endpoint")
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="voltway-bench-"))
    port = free_port()
    server = serve_pinned(f"sqlite+aiosqlite:///{workdir}/bench.db", workdir, port)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        credentials = {"email": "bench@example.com", "password": "benchmark password"}
        httpx.post(f"{base}/v1/auth/register", json={**credentials, "name": "Bench"}).raise_for_status()
        token = httpx.post(f"{base}/v1/auth/login", json=credentials).json()["accessToken"]
        auth = {"Authorization": f"Bearer {token}"}

        results: dict[str, list[LoadResult]] = {"/health": [], "/v1/me": []}
        with ProcessPoolExecutor(max_workers=1) as pool:
            for _ in range(args.rounds):
                for path in results:
                    future = pool.submit(
                        run_load_blocking,
                        "127.0.0.1",
                        port,
                        [path],
                        connections=args.connections,
                        seconds=args.seconds,
                        headers=auth,
                    )
                    results[path].append(future.result())
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)

    print(
        f"one uvicorn worker pinned to core 0, {args.connections} connections, {args.rounds} rounds of {args.seconds}s"
    )
    print(f"{'endpoint':<10} {'req/s (median)':>15} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    medians = {}
    for path, rounds in results.items():
        ordered = sorted(rounds, key=lambda r: r.per_second)
        middle = ordered[len(ordered) // 2]
        medians[path] = middle.per_second
        errors = sum(r.errors for r in rounds)
        print(f"{path:<10} {middle.per_second:>15,.0f} {middle.p50_ms:>8.2f} {middle.p99_ms:>8.2f} {errors:>7}")
    print(f"/v1/me runs at {medians['/v1/me'] / medians['/health']:.0%} of the /health baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
