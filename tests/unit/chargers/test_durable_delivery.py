"""Durable command delivery in the relay: retried until the charger answers, never past the point where the
command stops mattering, not retried when the charger refused it, and sent again at once when asked again."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.domain.chargers.relay import LocalCommandRelay, Owed
from ocpp_bridge import errors
from ocpp_bridge.commands import CommandRequest, CommandResult, RemoteStop, StatusResult
from ocpp_bridge.server import CentralSystem


class Charger:
    """Stands in for `CentralSystem.send_command`: answers with the outcomes it is given, in turn."""

    def __init__(self, *outcomes: Exception | None) -> None:
        self.outcomes = list(outcomes)
        self.sent: list[CommandRequest] = []
        self.attempted = asyncio.Event()

    async def send_command(self, charger_id: str, request: CommandRequest) -> CommandResult:
        self.sent.append(request)
        self.attempted.set()
        outcome = self.outcomes.pop(0) if self.outcomes else None
        if outcome is not None:
            raise outcome
        return StatusResult(status="Accepted")


def relay_for(charger: Charger, *, first_pause: float) -> LocalCommandRelay:
    # the session factory is never used: deliveries do not touch the database
    relay = LocalCommandRelay(cast("async_sessionmaker[AsyncSession]", None), "unit-test")
    relay.central = cast("CentralSystem", charger)
    relay.retry_first_seconds = first_pause
    relay.retry_max_seconds = first_pause * 4
    return relay


def stop(key: str = "stop s1", wanted: Any = None) -> Owed:
    async def always() -> bool:
        return True

    return Owed(key=key, request=RemoteStop(transaction_id="7"), wanted=wanted or always)


async def finished(relay: LocalCommandRelay) -> None:
    await asyncio.wait_for(relay.delivered(), 10)
    assert relay.deliveries == 0


async def test_retried_until_the_charger_answers() -> None:
    charger = Charger(errors.ChargerNotConnected("offline"), errors.CommandTimeout("no answer"), None)
    relay = relay_for(charger, first_pause=0.01)
    relay.deliver_later("CP-1", stop())
    await finished(relay)
    assert len(charger.sent) == 3


async def test_ends_when_no_longer_wanted() -> None:
    charger = Charger(*[errors.ChargerNotConnected("offline")] * 100)
    asked = 0

    async def wanted() -> bool:
        nonlocal asked
        asked += 1
        return asked <= 3  # the session ended after the third attempt

    relay = relay_for(charger, first_pause=0.01)
    relay.deliver_later("CP-1", stop(wanted=wanted))
    await finished(relay)
    assert len(charger.sent) == 3


async def test_a_refusal_by_the_charger_is_not_retried() -> None:
    charger = Charger(errors.CommandRejected("NotSupported", "no"), None)
    relay = relay_for(charger, first_pause=0.01)
    relay.deliver_later("CP-1", stop())
    await finished(relay)
    assert len(charger.sent) == 1


async def test_asking_again_sends_at_once_instead_of_waiting_out_the_backoff() -> None:
    charger = Charger(errors.ChargerNotConnected("offline"), None)
    relay = relay_for(charger, first_pause=3600.0)  # the backoff alone would wait an hour
    relay.deliver_later("CP-1", stop())
    await asyncio.wait_for(charger.attempted.wait(), 10)
    relay.deliver_later("CP-1", stop())  # the driver pressed stop again
    await finished(relay)
    assert len(charger.sent) == 2


async def test_kept_when_whether_it_is_wanted_cannot_be_read() -> None:
    charger = Charger(errors.ChargerNotConnected("offline"), None)
    reads = 0

    async def wanted() -> bool:
        nonlocal reads
        reads += 1
        if reads == 2:
            raise ConnectionResetError("the database is unreachable")
        return True

    relay = relay_for(charger, first_pause=0.01)
    relay.deliver_later("CP-1", stop(wanted=wanted))
    await finished(relay)
    assert len(charger.sent) == 2
