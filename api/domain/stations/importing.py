"""Importing feeds into the database: batches of upserts, a revision per batch, and a report per feed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.domain.stations.records import FeedResult
from api.domain.stations.store import UpsertCounts, bump_revision, upsert_locations

BATCH = 500
Progress = Callable[[int], None]


class FeedReport(msgspec.Struct):
    """What one import did: counts, and the repairs and rejections grouped by kind."""

    feed: str
    counts: UpsertCounts
    repairs: dict[str, int]
    rejections: dict[str, int]

    def lines(self) -> list[str]:
        c = self.counts
        total = c.created + c.updated + c.unchanged
        out = [
            f"{self.feed}: {total} locations ({c.created} new, {c.updated} updated, {c.unchanged} unchanged), "
            f"{c.evses} EVSEs and {c.connectors} connectors written",
        ]
        if self.repairs:
            out.append(f"  repaired ({sum(self.repairs.values())}):")
            out += [f"    {count:>6}  {what}" for what, count in sorted(self.repairs.items(), key=lambda i: -i[1])]
        if self.rejections:
            out.append(f"  rejected ({sum(self.rejections.values())}):")
            out += [f"    {count:>6}  {why}" for why, count in sorted(self.rejections.items(), key=lambda i: -i[1])]
        return out


async def store_feed(
    session_factory: async_sessionmaker[AsyncSession], result: FeedResult, progress: Progress | None = None
) -> FeedReport:
    """Write a feed's locations in batches, each its own transaction with its own revision."""
    counts = UpsertCounts()
    records = result.locations
    for start in range(0, len(records), BATCH):
        batch = records[start : start + BATCH]
        async with session_factory() as session:
            revision = await bump_revision(session)
            await upsert_locations(session, batch, revision, counts)
            await session.commit()
        if progress is not None:
            progress(len(batch))
    return FeedReport(
        feed=result.feed,
        counts=counts,
        repairs=dict(Counter(repair.what for repair in result.repairs)),
        rejections=dict(Counter(rejection.reason for rejection in result.rejections)),
    )
