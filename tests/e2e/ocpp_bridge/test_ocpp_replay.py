"""Nothing lost, nothing counted twice: strict per-charger order, and replays after a reconnect keep their
original timestamps and message ids."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from ocpp_bridge.events import MeterValuesReceived, StatusChanged, TransactionEnded
from tests.e2e.ocpp_bridge.backend_for_tests import running_bridge
from tests.e2e.ocpp_bridge.ocpp_charger_for_tests import charger

# The session began an hour before the test runs: its messages were queued and are replayed now.
BEGAN = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=1)


def stamp(minute: int) -> str:
    return (BEGAN + timedelta(minutes=minute)).isoformat().replace("+00:00", "Z")


def meter_values(transaction_id: int, minute: int, wh: int) -> dict[str, object]:
    return {
        "connectorId": 1,
        "transactionId": transaction_id,
        "meterValue": [{"timestamp": stamp(minute), "sampledValue": [{"value": str(wh), "unit": "Wh"}]}],
    }


async def test_replayed_messages_keep_their_time_and_are_not_counted_twice() -> None:
    async with running_bridge() as (bridge, backend):
        async with charger(bridge.port, "CP-REPLAY") as cp:
            started = await cp.call(
                "StartTransaction",
                {"connectorId": 1, "idTag": "T1", "meterStart": 1000, "timestamp": stamp(0)},
            )
        transaction_id = started["transactionId"]

        # offline: the charger queued these and sends them after reconnecting
        async with charger(bridge.port, "CP-REPLAY") as cp:
            await cp.call("MeterValues", meter_values(transaction_id, 10, 2000), message_id="q-1")
            await cp.call("MeterValues", meter_values(transaction_id, 20, 3000), message_id="q-2")
            stop = {"transactionId": transaction_id, "meterStop": 3500, "timestamp": stamp(25)}
            await cp.call("StopTransaction", stop, message_id="q-3")
        # the answer to q-3 was lost, so the charger sends it again after another reconnect
        async with charger(bridge.port, "CP-REPLAY") as cp:
            await cp.call("StopTransaction", stop, message_id="q-3")

        meter_events = backend.of_type(MeterValuesReceived)
        assert [e.message_id for e in meter_events] == ["q-1", "q-2"]
        assert [e.samples[0].timestamp for e in meter_events] == [
            BEGAN + timedelta(minutes=10),
            BEGAN + timedelta(minutes=20),
        ]
        assert all(e.received_at > e.samples[0].timestamp for e in meter_events)
        [ended] = backend.of_type(TransactionEnded)
        assert ended.message_id == "q-3"
        assert ended.timestamp == BEGAN + timedelta(minutes=25)
        transaction = backend.transactions[str(transaction_id)]
        assert transaction["stop_count"] == 1
        assert transaction["meter_stop_wh"] == 3500.0


async def test_pipelined_calls_are_processed_in_order() -> None:
    async with running_bridge() as (bridge, backend), charger(bridge.port, "CP-ORDER", "2.0.1") as cs:
        statuses = ["Available", "Occupied", "Reserved", "Unavailable", "Faulted", "Available"] * 5
        for n, status in enumerate(statuses):
            payload = {"timestamp": stamp(0), "connectorStatus": status, "evseId": 1, "connectorId": 1}
            await cs.send_raw(json.dumps([2, f"s{n}", "StatusNotification", payload]))
        answers = [await cs.next_unmatched() for _ in statuses]
        assert [a[1] for a in answers] == [f"s{n}" for n in range(len(statuses))]
        recorded = backend.of_type(StatusChanged)
        assert [e.status for e in recorded] == statuses
        assert [e.message_id for e in recorded] == [f"s{n}" for n in range(len(statuses))]
