"""Nothing lost, nothing counted twice: strict per-charger order, and replays after a reconnect keep their
original timestamps and message ids."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from ocpp_bridge.events import MeterValuesReceived, StatusChanged, TransactionEnded
from tests.e2e.ocpp_bridge.backend_for_tests import running_bridge
from tests.e2e.ocpp_bridge.ocpp_charger_for_tests import charger


def meter_values(transaction_id: int, minute: int, wh: int) -> dict[str, object]:
    return {
        "connectorId": 1,
        "transactionId": transaction_id,
        "meterValue": [
            {"timestamp": f"2026-11-26T08:{minute:02d}:00Z", "sampledValue": [{"value": str(wh), "unit": "Wh"}]}
        ],
    }


async def test_replayed_messages_keep_their_time_and_are_not_counted_twice() -> None:
    async with running_bridge() as (bridge, backend):
        async with charger(bridge.port, "CP-REPLAY") as cp:
            started = await cp.call(
                "StartTransaction",
                {"connectorId": 1, "idTag": "T1", "meterStart": 1000, "timestamp": "2026-11-26T08:00:00Z"},
            )
        transaction_id = started["transactionId"]

        # offline: the charger queued these and sends them after reconnecting
        async with charger(bridge.port, "CP-REPLAY") as cp:
            await cp.call("MeterValues", meter_values(transaction_id, 10, 2000), message_id="q-1")
            await cp.call("MeterValues", meter_values(transaction_id, 20, 3000), message_id="q-2")
            stop = {"transactionId": transaction_id, "meterStop": 3500, "timestamp": "2026-11-26T08:25:00Z"}
            await cp.call("StopTransaction", stop, message_id="q-3")
        # the answer to q-3 was lost, so the charger sends it again after another reconnect
        async with charger(bridge.port, "CP-REPLAY") as cp:
            await cp.call("StopTransaction", stop, message_id="q-3")

        meter_events = backend.of_type(MeterValuesReceived)
        assert [e.message_id for e in meter_events] == ["q-1", "q-2"]
        assert [e.samples[0].timestamp for e in meter_events] == [
            datetime(2026, 11, 26, 8, 10, tzinfo=UTC),
            datetime(2026, 11, 26, 8, 20, tzinfo=UTC),
        ]
        assert all(e.received_at > e.samples[0].timestamp for e in meter_events)
        [ended] = backend.of_type(TransactionEnded)
        assert ended.message_id == "q-3"
        assert ended.timestamp == datetime(2026, 11, 26, 8, 25, tzinfo=UTC)
        transaction = backend.transactions[str(transaction_id)]
        assert transaction["stop_count"] == 1
        assert transaction["meter_stop_wh"] == 3500.0


async def test_pipelined_calls_are_processed_in_order() -> None:
    async with running_bridge() as (bridge, backend), charger(bridge.port, "CP-ORDER", "2.0.1") as cs:
        statuses = ["Available", "Occupied", "Reserved", "Unavailable", "Faulted", "Available"] * 5
        for n, status in enumerate(statuses):
            payload = {"timestamp": "2026-11-26T08:00:00Z", "connectorStatus": status, "evseId": 1, "connectorId": 1}
            await cs.send_raw(json.dumps([2, f"s{n}", "StatusNotification", payload]))
        answers = [await cs.next_unmatched() for _ in statuses]
        assert [a[1] for a in answers] == [f"s{n}" for n in range(len(statuses))]
        recorded = backend.of_type(StatusChanged)
        assert [e.status for e in recorded] == statuses
        assert [e.message_id for e in recorded] == [f"s{n}" for n in range(len(statuses))]
