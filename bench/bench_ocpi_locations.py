"""A roaming partner crawling all our locations over OCPI 2.2.1, page by page, on SQLite and PostgreSQL.

The 53,000 AFDC stations (../shared/data/afdc, both files) are imported as OUR OWN locations (our country code
and party id; see bench/ocpi_network.py for the equipment given to rows without connector data), with our two
tariffs on their connectors. A registered partner then crawls `GET /ocpi/cpo/2.2.1/locations?limit=1000` through
the real HTTP stack (`voltway serve` in its own process pinned to core 0, this client on core 1), following the
Link header to the end, several times. Measured per page: latency (p50 / p99 / max over every page of every
crawl), and the server's resident memory after each page (it must stay flat: pages are read from the database one
at a time, never the whole network). Target: p99 < 50 ms on both databases.

Pages are timed by curl (its own `time_total`: connect, request and every byte of the 1.2 MB body), one curl per
page, as a partner's HTTP stack reads them. One more crawl is read by Python's httpx for comparison (a Python
client's own reading of a 1.2 MB body adds to each page when it shares its core with other work).

Usage: python bench/bench_ocpi_locations.py [--postgres URL] [--crawls N]
Needs ../shared/data/afdc next to the repository.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import msgspec
from sqlalchemy import text, update

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api.db.engine import create_engine, create_session_factory
from api.db.migrate import upgrade
from api.db.models import OcpiPartner
from api.domain.ocpi.client import authorization_header
from api.domain.ocpi.location_queries import LocationScope, refresh_location_documents
from api.domain.ocpi.partners import create_partner
from api.domain.ocpi.token_vault import hash_token, new_token
from api.domain.stations.importing import store_feed
from api.domain.stations.records import FeedResult
from api.domain.stations.tariffs import TariffImportReport, TariffStore, parse_tariff
from bench.ocpi_network import AFDC, our_network
from bench.postgres_database import database_if_reachable, drop_database
from bench.served_api import serve_pinned

COUNTRY, PARTY = "US", "VWY"
DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
PAGE = 1000
TARGET_P99_MS = 50.0
_ENERGY_039 = {"type": "ENERGY", "price": 0.39, "step_size": 1}
_ENERGY_056 = {"type": "ENERGY", "price": 0.56, "step_size": 1}
_FLAT_1 = {"type": "FLAT", "price": 1.0, "step_size": 1}
TARIFFS = (
    {"id": "AC-STANDARD", "currency": "USD", "elements": [{"price_components": [_ENERGY_039]}]},
    {"id": "DC-FAST", "currency": "USD", "elements": [{"price_components": [_ENERGY_056, _FLAT_1]}]},
)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def resident_mib(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of a process, MiB."""
    values: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


async def fill(url: str) -> tuple[int, float, str]:
    """Migrate, import our network and tariffs, and register a partner; (locations, seconds, its token C)."""
    engine = create_engine(url)
    started = time.perf_counter()
    try:
        await upgrade(engine)
        factory = create_session_factory(engine)
        records = our_network(COUNTRY, PARTY, datetime.now(UTC))
        await store_feed(factory, FeedResult(feed="afdc", locations=tuple(records), repairs=(), rejections=()))
        async with factory() as session:
            tariffs = [parse_tariff(msgspec.json.encode(t), country_code=COUNTRY, party_id=PARTY) for t in TARIFFS]
            await TariffStore(COUNTRY, PARTY).save(session, tariffs, TariffImportReport())
            await session.commit()
        seconds = time.perf_counter() - started
        # What the server's upkeep does within seconds of an import: store each location's OCPI document (the
        # pages before it are built on the spot, as before). Timed here so the crawl measures the steady state.
        started_documents = time.perf_counter()
        documents = await refresh_location_documents(factory, LocationScope(country_code=COUNTRY, party_id=PARTY))
        print(f"{documents:,} location documents stored in {time.perf_counter() - started_documents:.1f} s")
        # What autovacuum does soon after a bulk import: planner statistics and the visibility map (counts from the
        # index alone). Without it the first minutes after an import plan as if the tables were empty.
        async with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                await connection.execution_options(isolation_level="AUTOCOMMIT")
                await connection.execute(text("VACUUM ANALYZE"))
            else:
                await connection.execute(text("ANALYZE"))
                await connection.commit()
        # The credentials handshake is the core's and has its own tests: here the partner is made registered directly.
        async with factory() as session:
            partner, _ = await create_partner(session, country_code="DE", party_id="EMS", role="EMSP", name="Crawler")
            token = new_token()
            await session.execute(
                update(OcpiPartner)
                .where(OcpiPartner.id == partner.id)
                .values(status="registered", token_c_hash=hash_token(token), version="2.2.1")
            )
            await session.commit()
        return len(records), seconds, token
    finally:
        await engine.dispose()


class Crawl(msgspec.Struct):
    pages_ms: list[float] = msgspec.field(default_factory=list)
    rss_mib: list[float] = msgspec.field(default_factory=list)
    locations: int = 0
    evses: int = 0
    size_bytes: int = 0

    def add_page(self, url: str, status: int, content: bytes, milliseconds: float, pid: int) -> None:
        """One page read: its time, what it held, and the server's memory after it."""
        if status != 200:
            raise RuntimeError(f"{url}: {status} {content[:300]!r}")
        self.pages_ms.append(milliseconds)
        data = msgspec.json.decode(content)["data"]
        self.locations += len(data)
        self.evses += sum(len(item.get("evses", ())) for item in data)
        self.size_bytes += len(content)
        self.rss_mib.append(resident_mib(pid)[0])


def crawl_with_curl(base: str, token: str, pid: int, folder: Path) -> Crawl:
    """Every page, following Link, as a partner does; each page timed by curl from connect to the last body byte."""
    headers_file, body_file = folder / "headers.txt", folder / "body.json"
    result = Crawl()
    url: str | None = f"{base}/ocpi/cpo/2.2.1/locations?limit={PAGE}"
    while url is not None:
        command = ["curl", "-sS", "-H", f"Authorization: {authorization_header(token)}", "-D", str(headers_file)]
        command += ["-o", str(body_file), "-w", "%{http_code} %{time_total}", url]
        status, seconds = subprocess.run(command, check=True, capture_output=True, text=True).stdout.split()
        result.add_page(url, int(status), body_file.read_bytes(), float(seconds) * 1000, pid)
        links = [line for line in headers_file.read_text().splitlines() if line.lower().startswith("link:")]
        url = links[0].split(":", 1)[1].split(";")[0].strip(" <>") if links else None
    return result


def crawl(base: str, token: str, pid: int) -> Crawl:
    """Every page, following Link, with httpx; each page timed from request to the last body byte."""
    headers = {"Authorization": authorization_header(token)}
    result = Crawl()
    url: str | None = f"{base}/ocpi/cpo/2.2.1/locations?limit={PAGE}"
    with httpx.Client(timeout=60) as client:
        while url is not None:
            started = time.perf_counter()
            response = client.get(url, headers=headers)
            milliseconds = (time.perf_counter() - started) * 1000
            result.add_page(url, response.status_code, response.content, milliseconds, pid)
            link = response.headers.get("link")
            url = link.split(";")[0].strip("<> ") if link else None
    return result


def wait_until_ready(base: str, process: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if not Path(f"/proc/{process}").exists():
            break
        time.sleep(0.2)
    raise RuntimeError("the server did not become ready")


def measure(label: str, url: str, crawls: int) -> list[str]:
    count, import_seconds, token = asyncio.run(fill(url))
    port = free_port()
    data_dir = Path(tempfile.mkdtemp(prefix="voltway-ocpi-bench-"))
    server = serve_pinned(url, data_dir, port, VOLTWAY_OCPI_COUNTRY_CODE=COUNTRY, VOLTWAY_OCPI_PARTY_ID=PARTY)
    base = f"http://127.0.0.1:{port}"
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setaffinity(0, {1})
    try:
        wait_until_ready(base, server.pid)
        runs = [crawl_with_curl(base, token, server.pid, data_dir) for _ in range(crawls)]
        with_httpx = crawl(base, token, server.pid)
        peak = resident_mib(server.pid)[1]
    finally:
        server.terminate()
        server.wait(timeout=30)
    pages = [ms for run in runs for ms in run.pages_ms]
    first = runs[0]
    p99 = percentile(pages, 0.99)
    rss = [mib for run in runs for mib in run.rss_mib]
    return [
        f"{label}: {count:,} of our locations imported in {import_seconds:.0f} s; "
        f"each crawl {len(first.pages_ms)} pages, {first.locations:,} locations, {first.evses:,} EVSEs, "
        f"{first.size_bytes / 2**20:.1f} MiB",
        f"  per page (limit={PAGE}, {len(pages)} pages over {crawls} crawls): p50 {statistics.median(pages):.1f} ms, "
        f"p99 {p99:.1f} ms, max {max(pages):.1f} ms (target p99 < {TARGET_P99_MS:.0f} ms: "
        f"{'met' if p99 < TARGET_P99_MS else 'MISSED'})",
        f"  server memory: RSS after the first page {rss[0]:.0f} MiB, after the last {rss[-1]:.0f} MiB "
        f"(min {min(rss):.0f}, max {max(rss):.0f} over all pages), peak {peak:.0f} MiB",
        f"  one more crawl read by Python's httpx (its own reading adds to every page): "
        f"p50 {statistics.median(with_httpx.pages_ms):.1f} ms, p99 {percentile(with_httpx.pages_ms, 0.99):.1f} ms, "
        f"max {max(with_httpx.pages_ms):.1f} ms",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", default=os.environ.get("VOLTWAY_TEST_POSTGRES_URL", DEFAULT_POSTGRES))
    parser.add_argument("--crawls", type=int, default=3, help="full crawls per database")
    parser.add_argument("--only", choices=("sqlite", "postgresql"), help="measure one database")
    args = parser.parse_args()
    if shutil.which("curl") is None:
        print("curl is missing: this benchmark times pages with curl (apt-get install -y curl)")
        return 2
    if not AFDC.is_dir():
        print(f"{AFDC} is missing: this benchmark needs the AFDC reference data")
        return 2
    summary: list[str] = []
    if args.only != "postgresql":
        path = Path(tempfile.mkdtemp(prefix="voltway-ocpi-bench-")) / "ocpi.db"
        summary += measure("SQLite", f"sqlite+aiosqlite:///{path}", args.crawls)
    if args.only != "sqlite":
        pg_url = asyncio.run(database_if_reachable(args.postgres, "voltway_ocpi_bench"))
        if pg_url:
            try:
                summary += measure("PostgreSQL", pg_url, args.crawls)
            finally:
                asyncio.run(drop_database(pg_url))
    print("\n".join(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
