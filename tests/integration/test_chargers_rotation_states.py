"""Password rotation states on SQLite and PostgreSQL: a charger that did not answer may have switched, so both
secrets open the door, across a restart, until it connects with the new one; a refusal forgets the new one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.engine import create_engine, create_session_factory
from api.db.models import ChargingStation
from api.domain.chargers import audit, rotation
from api.domain.chargers.backend import CsmsService
from api.domain.chargers.meter_writer import MeterSampleWriter
from api.domain.chargers.operations import ChargerOperations
from api.domain.chargers.provisioning import add_charger
from api.domain.chargers.registration import RegistrationPolicy
from ocpp_bridge import commands, errors

OLD = "the-old-charger-secret"
Factory = async_sessionmaker[AsyncSession]


@pytest.fixture
async def factory(database_url: str) -> AsyncIterator[Factory]:
    engine = create_engine(database_url)
    session_factory = create_session_factory(engine)
    async with session_factory() as session:
        await add_charger(session, ocpp_id="CP-ROT", password=OLD, country_code="NL", party_id="VWY")
    yield session_factory
    await engine.dispose()


def service(session_factory: Factory) -> CsmsService:
    return CsmsService(
        session_factory,
        heartbeat_interval=60,
        meter_writer=MeterSampleWriter(session_factory, flush_seconds=60),
        registration_policy=RegistrationPolicy(),
    )


async def test_an_unanswered_rotation_keeps_both_secrets_across_a_restart(factory: Factory) -> None:
    sent: list[commands.CommandRequest] = []

    async def no_answer(_charger_id: str, request: commands.CommandRequest) -> commands.CommandResult:
        sent.append(request)
        raise errors.CommandTimeout("no answer within 30 s")

    operations = ChargerOperations(factory, no_answer)
    station = await operations.station("CP-ROT")
    new = "the-new-charger-secret"
    with pytest.raises(errors.CommandTimeout):
        await operations.send(
            audit.CLI, "CP-ROT", commands.ChangeConfiguration(key="AuthorizationKey", value=new.encode().hex())
        )
    assert sent == [commands.ChangeConfiguration(key="AuthorizationKey", value=new.encode().hex())]

    restarted = service(factory)  # a process started after the command was sent knows both
    await restarted.directory.load_all()
    assert await restarted.check_credentials("CP-ROT", OLD)
    assert await restarted.check_credentials("CP-ROT", new)  # and this confirms the new one
    assert not await restarted.check_credentials("CP-ROT", OLD)
    assert await restarted.check_credentials("CP-ROT", new)

    async with factory() as session:
        trail = [(e.action, e.outcome) for e in await audit.list_entries(session, station.id)]
    assert trail == [("password-rotation", "confirmed"), ("password-rotation", "timeout")]


@pytest.mark.parametrize(
    "failure", [errors.CommandRejected("SecurityError", "no"), errors.ChargerNotConnected("offline")]
)
async def test_a_refused_or_unsent_rotation_forgets_the_new_secret(factory: Factory, failure: Exception) -> None:
    async def refuse(_charger_id: str, _request: commands.CommandRequest) -> commands.CommandResult:
        raise failure

    operations = ChargerOperations(factory, refuse)
    new = "another-new-secret-value"
    with pytest.raises(type(failure)):
        await operations.send(
            audit.CLI, "CP-ROT", commands.ChangeConfiguration(key="SecurityCtrlr.BasicAuthPassword", value=new)
        )
    csms = service(factory)
    await csms.directory.load_all()
    assert not await csms.check_credentials("CP-ROT", new)
    assert await csms.check_credentials("CP-ROT", OLD)


async def test_a_later_rotation_replaces_an_earlier_pending_one(factory: Factory) -> None:
    async def accept(_charger_id: str, _request: commands.CommandRequest) -> commands.CommandResult:
        return commands.StatusResult(status="Accepted")

    operations = ChargerOperations(factory, accept)
    first, second = "first-new-charger-secret", "second-new-charger-secret"
    for secret in (first, second):
        result = await operations.send(audit.CLI, "CP-ROT", rotation.rotation_request(secret, "1.6"))
        assert result == commands.StatusResult(status="Accepted")
    csms = service(factory)
    await csms.directory.load_all()
    assert not await csms.check_credentials("CP-ROT", first)
    assert await csms.check_credentials("CP-ROT", OLD)
    assert await csms.check_credentials("CP-ROT", second)
    assert not await csms.check_credentials("CP-ROT", OLD)


async def test_an_unknown_charger_connecting_twice_at_once_is_onboarded_once(factory: Factory) -> None:
    onboarding = "shared-onboarding-secret"
    csms = CsmsService(
        factory,
        heartbeat_interval=60,
        meter_writer=MeterSampleWriter(factory, flush_seconds=60),
        registration_policy=RegistrationPolicy(onboarding_password=onboarding),
    )
    await csms.directory.load_all()
    admitted = await asyncio.gather(*(csms.check_credentials("CP-NEW", onboarding) for _ in range(3)))
    assert admitted == [True, True, True]
    assert not await csms.check_credentials("CP-OTHER", "not-the-onboarding-one")
    async with factory() as session:
        rows = (
            await session.execute(
                select(ChargingStation.registration_status).where(ChargingStation.ocpp_id == "CP-NEW")
            )
        ).all()
    assert [row[0] for row in rows] == ["pending"]
    assert csms.registrations.registration_status("CP-NEW") == "Pending"
    assert csms.registrations.registration_status("CP-ROT") == "Accepted"
