"""`voltway chargers rotate-password|approve|audit` from another process: the command travels over the PostgreSQL
relay to the process holding the charger's socket (here the served app with a simulated charger)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import httpx
import pytest

from tests.integration.test_chargers_registration import (
    OLD_PASSWORD,
    ONBOARDING_PASSWORD,
    admin_headers,
    charger_row,
    provision,
    simulation,
)
from tests.integration.test_sessions import running, served_app
from tests.support import cli_environment, wait_for


async def voltway(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "api", *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode or 0, out.decode(), err.decode()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_the_command_line_rotates_and_approves_through_the_relay(
    database_url: str, version: str, tmp_path: Path
) -> None:
    await provision(database_url, "CLI-00001")
    env = cli_environment(tmp_path, VOLTWAY_DATABASE_URL=database_url)
    async with (
        served_app(database_url, ocpp_onboarding_password=ONBOARDING_PASSWORD) as (_app, base, ocpp_url),
        httpx.AsyncClient(timeout=20) as client,
        running(simulation(ocpp_url, "CLI-", version, OLD_PASSWORD)) as sim,
        running(simulation(ocpp_url, "ONB-", version, ONBOARDING_PASSWORD)) as onboarding,
    ):
        headers = await admin_headers(client, base, database_url)

        async def online() -> bool:
            rows = [await charger_row(client, base, headers, ocpp_id) for ocpp_id in ("CLI-00001", "ONB-00001")]
            return all(row.get("connected") and row.get("ocppVersion") == version for row in rows)

        await wait_for(online, "both chargers online")

        code, out, err = await voltway(env, "chargers", "rotate-password", "CLI-00001")
        assert code == 0, err
        assert "answered Accepted" in out
        assert sim.chargers[0].password != OLD_PASSWORD

        async def confirmed() -> bool:
            row = await charger_row(client, base, headers, "CLI-00001")
            return row["passwordRotation"] is None and bool(row["connected"])

        await wait_for(confirmed, "the charger back with its new password")

        assert (await charger_row(client, base, headers, "ONB-00001"))["registrationStatus"] == "pending"
        code, out, err = await voltway(env, "chargers", "approve", "ONB-00001")
        assert code == 0, err
        assert "approved" in out

        async def approved() -> bool:
            row = await charger_row(client, base, headers, "ONB-00001")
            return onboarding.chargers[0].booted and row["registrationStatus"] == "accepted" and bool(row["connected"])

        await wait_for(approved, "the approved charger Accepted")
        assert onboarding.chargers[0].password != ONBOARDING_PASSWORD

        code, out, err = await voltway(env, "chargers", "audit", "CLI-00001")
        assert code == 0, err
        assert "password-rotation" in out
        assert " cli " in out
        password = sim.chargers[0].password
        assert password is not None
        assert password not in out

        code, _out, err = await voltway(env, "chargers", "rotate-password", "NOBODY")
        assert code == 2
        assert "No charger 'NOBODY'" in err
