"""Importing the 17 real OCPI feeds into both databases: nothing aborts, and importing again changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from api.db.engine import create_engine, create_session_factory
from api.db.models import Connector, Evse, Location
from api.domain.stations.feeds.ocpi import read_ocpi_feed
from api.domain.stations.importing import store_feed
from api.domain.stations.time_zones import time_zone_at


async def test_all_real_feeds_import_and_reimport_changes_nothing(shared_dir: Path, database_url: str) -> None:
    files = sorted((shared_dir / "data" / "ocpi-locations").glob("*.json"))
    assert len(files) == 17
    engine = create_engine(database_url)
    factory = create_session_factory(engine)
    now = datetime.now(UTC)
    try:
        results = [read_ocpi_feed(f.read_bytes(), f.name, now=now, time_zone_at=time_zone_at) for f in files]
        first = [await store_feed(factory, result) for result in results]
        for report in first:
            assert report.counts.created + report.counts.updated + report.counts.unchanged > 0, report.feed
            assert report.lines()[0].startswith(report.feed)
        assert sum(r.counts.created for r in first) == sum(len(r.locations) for r in results)
        assert any(r.repairs for r in first)
        assert any(r.rejections for r in first)

        async with factory() as session:
            counts = [
                (await session.execute(select(func.count()).select_from(model))).scalar_one()
                for model in (Location, Evse, Connector)
            ]
        assert counts[0] == sum(len(r.locations) for r in results)
        assert counts[1] == sum(len(loc.evses) for r in results for loc in r.locations)

        later = datetime.now(UTC)
        again = [
            await store_feed(factory, read_ocpi_feed(f.read_bytes(), f.name, now=later, time_zone_at=time_zone_at))
            for f in files
        ]
        assert all(r.counts.created == 0 and r.counts.updated == 0 for r in again), [
            (r.feed, r.counts) for r in again if r.counts.created or r.counts.updated
        ]
        async with factory() as session:
            assert (await session.execute(select(func.count()).select_from(Location))).scalar_one() == counts[0]
    finally:
        await engine.dispose()
