"""The network view's rules without I/O: what status an operator reads for an EVSE and a charger, and how a
subscriber's queue keeps the newest state of each charger, EVSE or session."""

from __future__ import annotations

import asyncio
import uuid

from api.domain.operations.network.feed import LatestQueue, NetworkEvent
from api.domain.operations.network.schemas import charger_status, evse_status


def test_an_offline_charger_shows_every_evse_offline_whatever_it_reported_last() -> None:
    assert evse_status(False, "AVAILABLE") == "offline"
    assert evse_status(True, "AVAILABLE") == "available"
    assert evse_status(True, "OUTOFORDER") == "faulted"
    assert evse_status(True, "INOPERATIVE") == "unavailable"
    assert evse_status(True, "PLANNED") == "unknown"


def test_a_charger_shows_the_worst_status_of_its_evses() -> None:
    assert charger_status(True, ["available", "charging"]) == "charging"
    assert charger_status(True, ["charging", "faulted", "available"]) == "faulted"
    assert charger_status(False, ["charging"]) == "offline"
    assert charger_status(True, []) == "unknown"


def _event(key: str, data: bytes) -> NetworkEvent:
    return NetworkEvent("session", key, uuid.uuid4(), data)


async def test_a_slow_reader_gets_the_newest_state_of_each_thing_in_first_arrival_order() -> None:
    queue = LatestQueue()
    queue.offer(_event("s:1", b"1.0 kWh"))
    queue.offer(_event("e:9", b"faulted"))
    queue.offer(_event("s:1", b"1.5 kWh"))
    assert len(queue) == 2
    taken = await asyncio.wait_for(queue.take(), 1)
    assert taken is not None
    assert [(event.key, event.data) for event in taken] == [("s:1", b"1.5 kWh"), ("e:9", b"faulted")]
    queue.close()
    assert await asyncio.wait_for(queue.take(), 1) is None
