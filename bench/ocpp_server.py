"""A central system under test in its own process: ``BridgeRuntime`` (ours) or the ``ocpp``-library baseline.

Run: python bench/ocpp_server.py {ours,baseline} DATABASE_URL [--compression] [--profile FILE]
Prints ``READY <port>`` once listening; SIGINT or SIGTERM stops it (buffered meter samples are written first),
then it prints ``DONE <meter rows written>``. ``bench/bench_ocpp.py`` starts it under ``taskset -c 0``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import logging
import resource
import signal
import sys
from pathlib import Path
from typing import Protocol

import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api.db.engine import create_engine, create_session_factory
from api.domain.chargers.runtime import BridgeRuntime
from api.settings import Settings
from bench.ocpp_baseline import LibraryCentralSystem
from ocpp_bridge.server import CentralSystem


class _Served(Protocol):
    @property
    def port(self) -> int: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


async def serve(kind: str, url: str, *, compression: bool, profile: str | None) -> None:
    engine = create_engine(url)
    factory = create_session_factory(engine)
    server: _Served
    rows: list[int] = []
    if kind == "ours":
        settings = Settings(database_url=url, ocpp_host="127.0.0.1", ocpp_port=0, log_level="WARNING")
        runtime = BridgeRuntime(settings, factory)
        if compression:
            config = msgspec.structs.replace(runtime.central.config, compression=True)
            runtime.central = CentralSystem(runtime.csms, config, relay=runtime.relay)
        server = runtime
        meters = runtime.meters
    else:
        baseline = LibraryCentralSystem(factory, compression=compression)
        server = baseline
        meters = baseline.meters
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, stop.set)
    profiler = cProfile.Profile() if profile else None
    await server.start()
    print(f"READY {server.port}", flush=True)
    if profiler is not None:
        profiler.enable()
    try:
        await stop.wait()
    finally:
        if profiler is not None and profile:
            profiler.disable()
            profiler.dump_stats(profile)
        await server.stop()
        rows.append(meters.rows_written)
        await engine.dispose()
    print(f"DONE {rows[0]}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kind", choices=["ours", "baseline"])
    parser.add_argument("database_url")
    parser.add_argument("--compression", action="store_true", help="offer permessage-deflate")
    parser.add_argument("--profile", help="write cProfile stats of the serving time to this file")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("ocpp").setLevel(logging.ERROR)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(serve(args.kind, args.database_url, compression=args.compression, profile=args.profile))


if __name__ == "__main__":
    main()
