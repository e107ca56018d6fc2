"""The heap freezer: long-lived objects out of the collector's reach, with a scheduled full collection."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from api.heap import HeapFreezer


@pytest.fixture(autouse=True)
def _unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()


class Cycle:
    def __init__(self) -> None:
        self.me = self


async def test_frozen_objects_are_skipped_until_the_scheduled_full_collection() -> None:
    freezer = HeapFreezer(freeze_seconds=3600, refresh_seconds=3600)
    gc.unfreeze()
    cycle = Cycle()
    alive = weakref.ref(cycle)
    await freezer.tick()
    assert gc.get_freeze_count() > 0
    del cycle  # now cyclic garbage, but frozen: collections do not walk it
    gc.collect()
    assert alive() is not None
    freezer.refresh_seconds = 0
    await freezer.tick()  # the scheduled full collection
    assert freezer.refreshes == 1
    assert alive() is None
