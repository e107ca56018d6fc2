"""Hostile chargers: frames nested beyond the decoder's depth, password guessing at the upgrade, and floods of bad
frames that would otherwise flood the log."""

from __future__ import annotations

import asyncio
import json
import logging
import time

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.e2e.ocpp_bridge.backend_for_tests import TEST_PASSWORD, RecordingBackend, running_bridge
from tests.e2e.ocpp_bridge.ocpp_charger_for_tests import basic_auth, charger

CODES = {"1.6": ("FormationViolation", "FormationViolation"), "2.0.1": ("FormatViolation", "RpcFrameworkError")}


@pytest.mark.parametrize("depth", [100, 1_000])  # beyond the frame limit (64), readable by the decoder or not
@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_deeply_nested_frames_are_answered_and_the_connection_stays(
    version: str, depth: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    payload_code, framing_code = CODES[version]
    nested = "[" * depth + "]" * depth
    async with running_bridge() as (bridge, _backend), charger(bridge.port, "CP-DEEP", version) as cp:
        await cp.send_raw(f'[2, "deep-1", "DataTransfer", {{"vendorId": "x", "data": {nested}}}]')
        answer = await cp.next_unmatched()
        assert answer[:3] == [4, "deep-1", payload_code]
        await cp.send_raw(nested)
        answer = await cp.next_unmatched()
        assert answer[:3] == [4, "-1", framing_code]
        assert (await cp.call("Heartbeat", {}))["currentTime"]
        assert cp.websocket.close_code is None
    assert not [
        r for r in caplog.records if r.name.startswith("ocpp_bridge") and (r.levelno >= logging.ERROR or r.exc_info)
    ]


class CountingBackend(RecordingBackend):
    def __init__(self) -> None:
        super().__init__(accept_prefix="CP-", prefix_password=TEST_PASSWORD)
        self.checks = 0

    async def check_credentials(self, charger_id: str, password: str | None) -> bool:
        self.checks += 1
        return await super().check_credentials(charger_id, password)


async def upgrade_status(port: int, charger_id: str, password: str, address: str) -> tuple[int, int]:
    """The HTTP status of an upgrade from ``address`` (101 when accepted) and its Retry-After (0 when absent)."""
    try:
        async with connect(
            f"ws://127.0.0.1:{port}/ocpp/{charger_id}",
            subprotocols=["ocpp1.6"],  # type: ignore[list-item]
            additional_headers=basic_auth(charger_id, password),
            local_addr=(address, 0),
        ):
            return 101, 0
    except InvalidStatus as refused:
        return refused.response.status_code, int(refused.response.headers.get("Retry-After", "0"))


async def test_password_guesses_are_throttled_and_the_real_charger_still_gets_in() -> None:
    backend = CountingBackend()
    async with running_bridge(backend) as (bridge, _):
        statuses = [await upgrade_status(bridge.port, "CP-VICTIM", f"guess-{n}", "127.0.0.2") for n in range(300)]
        assert {status for status, _ in statuses} == {401, 429}
        assert sum(1 for status, _ in statuses if status == 401) <= 10
        assert backend.checks <= 10
        assert all(retry_after >= 1 for status, retry_after in statuses if status == 429)

        # The attacker's address stays refused, even with a guess at another identity.
        assert (await upgrade_status(bridge.port, "CP-OTHER", "guess", "127.0.0.2"))[0] == 429

        # The real charger, from its own address and with the right password, gets in once it honours Retry-After.
        started = time.monotonic()
        status, retry_after = await upgrade_status(bridge.port, "CP-VICTIM", TEST_PASSWORD, "127.0.0.3")
        if status == 429:
            assert retry_after <= bridge.config.auth_charger_refill_seconds + 1
            await asyncio.sleep(retry_after)  # what a charger does with Retry-After
            status, _ = await upgrade_status(bridge.port, "CP-VICTIM", TEST_PASSWORD, "127.0.0.3")
        assert status == 101
        assert time.monotonic() - started < bridge.config.auth_charger_refill_seconds + 2


async def test_a_reconnect_storm_from_one_address_is_not_throttled() -> None:
    async with running_bridge() as (bridge, _backend):
        statuses = await asyncio.gather(
            *(upgrade_status(bridge.port, f"CP-STORM-{n}", TEST_PASSWORD, "127.0.0.4") for n in range(100))
        )
        assert {status for status, _ in statuses} == {101}


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_a_flood_of_bad_frames_logs_a_bounded_number_of_lines(
    version: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="ocpp_bridge")
    async with (
        running_bridge(rate_limit_per_second=10_000.0, rate_limit_burst=10_000) as (bridge, _backend),
        charger(bridge.port, "CP-NOISY", version) as cp,
    ):
        for n in range(1_000):
            await cp.send_raw("not json" if n % 2 else json.dumps([2, 17, "Heartbeat", {}]))
        for _ in range(1_000):
            assert (await cp.next_unmatched())[0] == 4
        assert (await cp.call("Heartbeat", {}))["currentTime"]
    # Leaving running_bridge closed the session, which wrote its summary line.
    lines = [r.getMessage() for r in caplog.records if "CP-NOISY" in r.getMessage()]
    limit = bridge.config.log_lines_per_minute
    assert limit <= len(lines) <= limit + 2
    assert any("suppressing" in line for line in lines)
    assert any(line.endswith(f"{1_000 - limit} further log lines suppressed") for line in lines), lines[-3:]
