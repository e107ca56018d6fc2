"""Smart charging through the admin API on SQLite and PostgreSQL: the app with its OCPP bridge, a simulated charger
over a real websocket, profiles checked, set, replaced and cleared and stored with the charger's verdict, the
composite schedule, a remote start with a TxProfile, the charging power dropping to a limit in the stored meter
values, a 2.0.1 charger's profile report and its EV's charging needs stored."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from api.db.models import (
    ChargerLogEntry,
    ChargingProfileRecord,
    ChargingStation,
    ChargingTransaction,
    MeterSampleRecord,
)
from api.domain.chargers.charging_profiles import latest_ev_charging_needs
from api.domain.chargers.provisioning import add_charger
from api.domain.drivers.commands import add_user
from ocpp_bridge.simulator import Simulation, SimulatorConfig
from tests.e2e.ocpp_bridge.ocpp_charger_for_tests import charger
from tests.integration.test_sessions import PASSWORD, Network, _prepare, running, served_app
from tests.support import database_session, make_settings, wait_for

CHARGER = "SES-00001"
ADMIN_PASSWORD = "correct horse battery"


@contextlib.asynccontextmanager
async def network(database_url: str, version: str) -> AsyncIterator[tuple[Network, httpx.AsyncClient, str]]:
    """One simulated charger of ``version`` whose EV tells its needs; an admin's client and the charger's API root."""
    evse_uids = await _prepare(database_url, 1)
    await add_user(
        make_settings(database_url=database_url),
        email="ops@example.com",
        password=ADMIN_PASSWORD,
        role="admin",
        name="Ops",
    )
    async with served_app(database_url) as (app, base, ocpp_url):
        config = SimulatorConfig(
            url=ocpp_url,
            chargers=1,
            ocpp_version=version,  # type: ignore[arg-type]
            id_prefix="SES-",
            password=PASSWORD,
            duration=None,
            speed=60.0,
            arrival_rate=0.0,
            fault_rate=0.0,
            disconnect_rate=0.0,
            meter_interval=60.0,
            ev_charging_needs=True,
        )
        async with running(Simulation(config)) as simulation, httpx.AsyncClient(timeout=15) as client:
            login = await client.post(
                f"{base}/v1/auth/login", json={"email": "ops@example.com", "password": ADMIN_PASSWORD}
            )
            client.headers["Authorization"] = f"Bearer {login.json()['accessToken']}"

            async def known_version() -> bool:
                chargers = (await client.get(f"{base}/v1/admin/chargers")).json()
                return any(c["ocppId"] == CHARGER and c["ocppVersion"] == version for c in chargers)

            await wait_for(known_version, "the charger to connect and boot")
            yield (
                Network(base, ocpp_url, database_url, evse_uids, [simulation], app),
                client,
                f"{base}/v1/admin/chargers/{CHARGER}",
            )


def tx_default(profile_id: int, limit: float, *, stack_level: int = 0, unit: str = "W") -> dict[str, Any]:
    return {
        "id": profile_id,
        "stackLevel": stack_level,
        "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Relative",
        "chargingSchedule": [
            {"chargingRateUnit": unit, "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}]}
        ],
    }


def problem_fields(response: httpx.Response) -> set[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return {error["field"] for error in response.json()["errors"]}


async def stored_powers(database_url: str, transaction_id: str) -> list[float]:
    async with database_session(database_url) as session:
        rows = await session.execute(
            select(MeterSampleRecord.power_w)
            .join(ChargingTransaction, ChargingTransaction.id == MeterSampleRecord.transaction_id)
            .where(ChargingTransaction.ocpp_transaction_id == transaction_id, MeterSampleRecord.power_w.is_not(None))
            .order_by(MeterSampleRecord.at)
        )
        return [float(p) for p in rows.scalars() if p is not None]


async def active_transaction(database_url: str) -> str | None:
    async with database_session(database_url) as session:
        return (
            await session.execute(
                select(ChargingTransaction.ocpp_transaction_id).where(ChargingTransaction.ended_at.is_(None))
            )
        ).scalar_one_or_none()


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_profiles_are_checked_set_replaced_cleared_and_obeyed(database_url: str, version: str) -> None:
    async with network(database_url, version) as (net, client, root):
        set_ = await client.post(
            f"{root}/charging-profiles", json={"evseId": 1, "chargingProfile": tx_default(1, 9000)}
        )
        assert set_.status_code == 200, set_.text
        assert (set_.json()["status"], set_.json()["source"]) == ("Accepted", "csms")
        replaced = await client.post(
            f"{root}/charging-profiles", json={"evseId": 1, "chargingProfile": tx_default(1, 7000)}
        )
        assert replaced.json()["status"] == "Accepted"
        clash = await client.post(
            f"{root}/charging-profiles", json={"evseId": 1, "chargingProfile": tx_default(2, 5000)}
        )
        if version == "1.6":  # 1.6: the same stack level and purpose replaces, whatever the id
            assert clash.json()["status"] == "Accepted", clash.text
            listed = (await client.get(f"{root}/charging-profiles")).json()
            assert [(p["profile"]["id"], p["status"], _first_limit(p)) for p in listed] == [(2, "Accepted", 5000.0)]
            back = {"evseId": 1, "chargingProfile": tx_default(1, 7000)}
            assert (await client.post(f"{root}/charging-profiles", json=back)).json()["status"] == "Accepted"
        else:  # 2.0.1: refused while the validity periods overlap
            assert problem_fields(clash) == {"chargingProfile.stackLevel"}
        listed = (await client.get(f"{root}/charging-profiles")).json()
        assert [(p["profile"]["id"], p["status"], _first_limit(p)) for p in listed] == [(1, "Accepted", 7000.0)]
        history = (await client.get(f"{root}/charging-profiles", params={"includeCleared": "true"})).json()
        replacements = 3 if version == "1.6" else 1
        assert sorted(p["status"] for p in history) == ["Accepted"] + ["Replaced"] * replacements

        composite = await client.get(f"{root}/composite-schedule", params={"evseId": 1, "duration": 900, "unit": "W"})
        assert composite.status_code == 200, composite.text
        assert composite.json()["status"] == "Accepted"
        assert [p["limit"] for p in composite.json()["chargingSchedulePeriod"]] == [7000.0]

        # a remote start with a TxProfile: the car charges at 4 kW, then at the 2.5 kW a new TxProfile sets
        tx_profile = {**tx_default(10, 4000), "chargingProfilePurpose": "TxProfile"}
        started = await client.post(
            f"{root}/commands/remote-start",
            json={"id_token": "RFIDCARD01", "connector_id": 1, "charging_profile": tx_profile},
        )
        assert started.status_code == 200, started.text
        assert started.json()["status"] == "Accepted"
        transaction_id = await wait_for(lambda: active_transaction(net.database_url), "the transaction to start")

        async def charging_at(power: float) -> bool:
            powers = await stored_powers(net.database_url, transaction_id)
            return bool(powers) and powers[-1] == pytest.approx(power, abs=1)

        await wait_for(lambda: charging_at(4000), "meter values at the remote start's 4 kW")
        unknown = {**tx_default(11, 2500, stack_level=1), "chargingProfilePurpose": "TxProfile", "transactionId": "999"}
        refused = await client.post(f"{root}/charging-profiles", json={"evseId": 1, "chargingProfile": unknown})
        assert problem_fields(refused) == {"chargingProfile.transactionId"}
        lower = {**unknown, "transactionId": transaction_id}
        lowered = await client.post(f"{root}/charging-profiles", json={"evseId": 1, "chargingProfile": lower})
        assert lowered.json()["status"] == "Accepted", lowered.text
        await wait_for(lambda: charging_at(2500), "meter values at the new 2.5 kW limit")
        assert max(await stored_powers(net.database_url, transaction_id)) <= 4001

        cleared = await client.delete(f"{root}/charging-profiles", params={"chargingProfileId": 1})
        assert cleared.json()["status"] == "Accepted"
        again = await client.delete(f"{root}/charging-profiles", params={"chargingProfileId": 1})
        assert again.json()["status"] == "Unknown"
        left = {p["profile"]["id"] for p in (await client.get(f"{root}/charging-profiles")).json()}
        assert 1 not in left
        assert 11 in left
        # a TxProfile ends with its transaction
        stopped = await client.post(f"{root}/commands/remote-stop", json={"transaction_id": transaction_id})
        assert stopped.json()["status"] == "Accepted"
        await wait_for(lambda: _no_active_transaction(net.database_url), "the transaction to end")
        assert 11 not in {p["profile"]["id"] for p in (await client.get(f"{root}/charging-profiles")).json()}
        history = (await client.get(f"{root}/charging-profiles", params={"includeCleared": "true"})).json()
        assert {p["profile"]["id"]: p["status"] for p in history if p["profile"]["id"] in {10, 11}} == {11: "Ended"}

        if version == "2.0.1":
            needs = await wait_for(lambda: _needs(client, root), "the EV's charging needs to be stored")
            assert needs["requestedEnergyTransfer"] == "AC_three_phase"
            assert needs["energyAmountWh"] >= 0
            assert needs["departureTime"] is not None
        else:
            missing = await client.get(f"{root}/ev-charging-needs", params={"evseId": 1})
            assert missing.status_code == 404


async def _no_active_transaction(database_url: str) -> bool:
    return await active_transaction(database_url) is None


def _first_limit(stored: dict[str, Any]) -> float:
    return float(stored["profile"]["chargingSchedule"][0]["chargingSchedulePeriod"][0]["limit"])


async def _needs(client: httpx.AsyncClient, root: str) -> dict[str, Any] | None:
    answer = await client.get(f"{root}/ev-charging-needs", params={"evseId": 1})
    return answer.json() if answer.status_code == 200 else None


async def test_a_201_charger_reports_its_profiles(database_url: str) -> None:
    async with network(database_url, "2.0.1") as (_net, client, root):
        station = {
            **tx_default(5, 32, unit="A"),
            "chargingProfilePurpose": "ChargingStationMaxProfile",
            "chargingProfileKind": "Absolute",
        }
        assert (await client.post(f"{root}/charging-profiles", json={"evseId": 0, "chargingProfile": station})).json()[
            "status"
        ] == "Accepted"
        assert (
            await client.post(f"{root}/charging-profiles", json={"evseId": 1, "chargingProfile": tx_default(6, 11000)})
        ).json()["status"] == "Accepted"
        asked = await client.post(f"{root}/charging-profiles/report", json={})
        assert asked.status_code == 200, asked.text
        assert asked.json()["status"] == "Accepted"

        async def reported() -> list[dict[str, Any]]:
            items = (await client.get(f"{root}/charging-profiles")).json()
            return [p for p in items if p["source"] == "charger"]

        async def both_reported() -> list[dict[str, Any]] | None:
            items = await reported()
            return items if len(items) == 2 else None

        items = await wait_for(both_reported, "the charger's ReportChargingProfiles to be stored")
        assert {(p["evseId"], p["profile"]["id"], p["status"]) for p in items} == {
            (0, 5, "Reported"),
            (1, 6, "Reported"),
        }
        assert {p["requestId"] for p in items} == {asked.json()["requestId"]}
        assert {p["chargingLimitSource"] for p in items} == {"CSO"}
        composite = (await client.get(f"{root}/composite-schedule", params={"evseId": 0, "unit": "A"})).json()
        assert [p["limit"] for p in composite["chargingSchedulePeriod"]] == [32.0]


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_every_rule_is_checked_before_sending(database_url: str, version: str) -> None:
    async with network(database_url, version) as (net, client, root):
        net.simulators[0].chargers[0].settings |= {
            "ChargingScheduleAllowedChargingRateUnit": "Current",
            "RateUnit": "A",
        }

        async def refused(evse_id: int, profile: dict[str, Any]) -> set[str]:
            body = {"evseId": evse_id, "chargingProfile": profile}
            return problem_fields(await client.post(f"{root}/charging-profiles", json=body))

        def period(**changes: Any) -> dict[str, Any]:
            return {**tx_default(1, 16, unit="A"), **changes}

        def periods(*items: dict[str, Any]) -> dict[str, Any]:
            return period(chargingSchedule=[{"chargingRateUnit": "A", "chargingSchedulePeriod": list(items)}])

        cs = "chargingProfile.chargingSchedule[0]"
        assert await refused(1, period(stackLevel=-1)) == {"chargingProfile.stackLevel"}
        assert await refused(1, period(chargingProfilePurpose="ChargingStationMaxProfile")) == {
            "chargingProfile.chargingProfilePurpose"
        }
        assert await refused(0, period(chargingProfilePurpose="ChargingStationExternalConstraints")) == {
            "chargingProfile.chargingProfilePurpose"
        }
        assert await refused(1, period(chargingProfilePurpose="TxProfile")) == {"chargingProfile.transactionId"}
        assert await refused(1, periods({"startPeriod": 30, "limit": 16})) == {
            f"{cs}.chargingSchedulePeriod[0].startPeriod"
        }
        assert await refused(1, periods({"startPeriod": 0, "limit": 16}, {"startPeriod": 0, "limit": 8})) == {
            f"{cs}.chargingSchedulePeriod[1].startPeriod"
        }
        assert await refused(1, periods({"startPeriod": 0, "limit": -2})) == {f"{cs}.chargingSchedulePeriod[0].limit"}
        assert await refused(1, periods({"startPeriod": 0, "limit": 16, "numberPhases": 4})) == {
            f"{cs}.chargingSchedulePeriod[0].numberPhases"
        }
        assert await refused(1, periods({"startPeriod": 0, "limit": 16, "numberPhases": 3, "phaseToUse": 1})) == {
            f"{cs}.chargingSchedulePeriod[0].phaseToUse"
        }
        relative_with_start = period(
            chargingSchedule=[
                {
                    "chargingRateUnit": "A",
                    "startSchedule": "2026-01-01T00:00:00Z",
                    "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}],
                }
            ]
        )
        assert await refused(1, relative_with_start) == {f"{cs}.startSchedule"}
        assert await refused(1, period(chargingProfileKind="Recurring")) == {
            "chargingProfile.recurrencyKind",
            f"{cs}.startSchedule",
        }
        assert await refused(7, period()) == {"evseId"}
        # the charger takes current limits only (ChargingScheduleAllowedChargingRateUnit / SmartChargingCtrlr.RateUnit)
        assert await refused(1, tx_default(1, 7000, unit="W")) == {f"{cs}.chargingRateUnit"}
        assert (await client.post(f"{root}/charging-profiles", json={"evseId": 1, "chargingProfile": period()})).json()[
            "status"
        ] == "Accepted"
        undecodable = await client.post(f"{root}/charging-profiles", json={"evseId": 1, "chargingProfile": {"id": 1}})
        assert undecodable.status_code in {400, 422}
        offline = await client.post(
            f"{base_of(root)}/SES-09999/charging-profiles", json={"evseId": 1, "chargingProfile": period()}
        )
        assert offline.status_code == 404
        async with database_session(net.database_url) as session:
            await add_charger(
                session, ocpp_id="SES-00002", password=PASSWORD, country_code="NL", party_id="VWY",
                coordinates=(52.5, 4.9), name="never connected",
            )  # fmt: skip
            await session.commit()
        body = {"evseId": 1, "chargingProfile": period()}
        not_connected = await client.post(f"{base_of(root)}/SES-00002/charging-profiles", json=body)
        assert not_connected.status_code == 409
        assert not_connected.json()["type"] == "urn:voltway:problem:charger-offline"
        assert (await client.get(f"{base_of(root)}/SES-00002/charging-profiles")).json() == []
        if version == "1.6":  # 1.6 has no GetChargingProfiles
            assert problem_fields(await client.post(f"{root}/charging-profiles/report", json={})) == {"chargerId"}


def base_of(root: str) -> str:
    return root.rsplit("/", 1)[0]


async def test_what_a_201_charger_says_about_smart_charging_is_answered_per_schema_and_stored(
    database_url: str,
) -> None:
    await _prepare(database_url, 1)
    async with served_app(database_url) as (_app, _base, ocpp_url):
        port = int(ocpp_url.rsplit(":", 1)[1].split("/")[0])
        async with charger(port, CHARGER, "2.0.1", PASSWORD) as cp:
            boot = await cp.call(
                "BootNotification",
                {"chargingStation": {"vendorName": "Voltway", "model": "Scripted"}, "reason": "PowerUp"},
            )
            assert boot["status"] == "Accepted"
            schedule = {"id": 1, "chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 10}]}
            await cp.call(
                "NotifyChargingLimit",
                {
                    "evseId": 1,
                    "chargingLimit": {"chargingLimitSource": "SO", "isGridCritical": True},
                    "chargingSchedule": [schedule],
                },
            )
            await cp.call("ClearedChargingLimit", {"chargingLimitSource": "SO", "evseId": 1})
            answer = await cp.call(
                "NotifyEVChargingNeeds",
                {
                    "evseId": 1,
                    "maxScheduleTuples": 3,
                    "chargingNeeds": {
                        "requestedEnergyTransfer": "DC",
                        "departureTime": "2030-01-01T18:00:00Z",
                        "dcChargingParameters": {
                            "evMaxCurrent": 300,
                            "evMaxVoltage": 800,
                            "energyAmount": 42000,
                            "evMaxPower": 150000,
                            "stateOfCharge": 35,
                            "evEnergyCapacity": 77000,
                        },
                    },
                },
            )
            assert answer["status"] == "Processing"  # stored; a schedule may follow from load management
            schedule_answer = await cp.call(
                "NotifyEVChargingSchedule",
                {"timeBase": "2030-01-01T12:00:00Z", "evseId": 1, "chargingSchedule": schedule},
            )
            assert schedule_answer["status"] == "Accepted"
            external = {
                "id": 77,
                "stackLevel": 0,
                "chargingProfilePurpose": "ChargingStationExternalConstraints",
                "chargingProfileKind": "Absolute",
                "chargingSchedule": [{**schedule, "startSchedule": "2030-01-01T12:00:00Z"}],
            }
            for part, tbc in ((1, True), (2, False)):
                await cp.call(
                    "ReportChargingProfiles",
                    {"requestId": 9, "chargingLimitSource": "EMS", "evseId": part, "tbc": tbc,
                     "chargingProfile": [{**external, "id": 76 + part}]},
                )  # fmt: skip

    async with database_session(database_url) as session:
        station_id = (
            await session.execute(select(ChargingStation.id).where(ChargingStation.ocpp_id == CHARGER))
        ).scalar_one()
        kinds = set(
            (
                await session.execute(
                    select(ChargerLogEntry.kind).where(ChargerLogEntry.charging_station_id == station_id)
                )
            ).scalars()
        )
        assert {"ChargingLimitNotified", "ChargingLimitCleared", "EVChargingScheduleNotified"} <= kinds
        needs = await latest_ev_charging_needs(session, CHARGER, 1)
        assert needs is not None
        assert (needs.requested_energy_transfer, needs.energy_amount_wh, needs.ev_max_power_w) == (
            "DC",
            42000.0,
            150000.0,
        )
        assert needs.state_of_charge == 35
        assert needs.departure_time is not None
        assert needs.departure_time.year == 2030
        reported = (
            await session.execute(
                select(ChargingProfileRecord.evse_id, ChargingProfileRecord.profile_id, ChargingProfileRecord.status)
                .where(ChargingProfileRecord.source == "charger")
                .order_by(ChargingProfileRecord.evse_id)
            )
        ).all()
        assert [tuple(r) for r in reported] == [(1, 77, "Reported"), (2, 78, "Reported")]
