"""Charging profiles: the spec's rules, the translation to each version's schema-valid messages and back, and the
composite schedule (per purpose the highest stack level; TxProfile over TxDefaultProfile; the station max caps)."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ocpp.messages import Call as LibraryCall
from ocpp.messages import _validate_payload

from ocpp_bridge import codec, commands, errors, smart_charging
from ocpp_bridge.smart_charging import (
    ChargingProfile,
    ChargingSchedule,
    ChargingSchedulePeriod,
    InstalledProfile,
    composite_schedule,
    conflicting_profile,
    limit_at,
    profile_problems,
)

NOW = datetime.now(UTC).replace(microsecond=0)


def schedule(*periods: tuple[int, float], unit: str = "W", **extra: object) -> ChargingSchedule:
    return ChargingSchedule(
        charging_rate_unit=unit,  # type: ignore[arg-type]
        charging_schedule_period=tuple(ChargingSchedulePeriod(start_period=s, limit=lim) for s, lim in periods),
        **extra,  # type: ignore[arg-type]
    )


def profile(
    profile_id: int = 1,
    *,
    purpose: str = "TxDefaultProfile",
    kind: str = "Absolute",
    stack_level: int = 0,
    schedules: tuple[ChargingSchedule, ...] | None = None,
    **extra: object,
) -> ChargingProfile:
    return ChargingProfile(
        id=profile_id,
        stack_level=stack_level,
        charging_profile_purpose=purpose,  # type: ignore[arg-type]
        charging_profile_kind=kind,  # type: ignore[arg-type]
        charging_schedule=schedules or (schedule((0, 11000.0), start_schedule=NOW),),
        **extra,  # type: ignore[arg-type]
    )


def fields(problems: list[smart_charging.ProfileProblem]) -> set[str]:
    return {p.field for p in problems}


# -- rules ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_a_plain_profile_keeps_every_rule(version: str) -> None:
    assert profile_problems(profile(), evse_id=1, ocpp_version=version) == []
    station = profile(
        purpose="ChargePointMaxProfile", schedules=(schedule((0, 32.0), (3600, 16.0), unit="A", start_schedule=NOW),)
    )
    assert profile_problems(station, evse_id=0, ocpp_version=version) == []


CP = "chargingProfile"
SCHEDULE = f"{CP}.chargingSchedule[0]"


@pytest.mark.parametrize(
    ("broken", "evse_id", "field"),
    [
        (profile(stack_level=-1), 1, f"{CP}.stackLevel"),
        (profile(purpose="ChargingStationMaxProfile"), 1, f"{CP}.chargingProfilePurpose"),
        (profile(purpose="ChargingStationExternalConstraints"), 0, f"{CP}.chargingProfilePurpose"),
        (profile(purpose="TxProfile"), 1, f"{CP}.transactionId"),
        (profile(purpose="TxProfile", transaction_id="7"), 0, f"{CP}.chargingProfilePurpose"),
        (profile(transaction_id="7"), 1, f"{CP}.transactionId"),
        (profile(), -1, "evseId"),
        (profile(kind="Relative"), 1, f"{SCHEDULE}.startSchedule"),
        (profile(kind="Recurring"), 1, f"{CP}.recurrencyKind"),
        (
            profile(kind="Recurring", recurrency_kind="Daily", schedules=(schedule((0, 1.0)),)),
            1,
            f"{SCHEDULE}.startSchedule",
        ),
        (profile(recurrency_kind="Weekly"), 1, f"{CP}.recurrencyKind"),
        (profile(valid_from=NOW, valid_to=NOW), 1, f"{CP}.validTo"),
        (profile(schedules=(schedule((60, 1.0)),)), 1, f"{SCHEDULE}.chargingSchedulePeriod[0].startPeriod"),
        (profile(schedules=(schedule((0, 1.0), (0, 2.0)),)), 1, f"{SCHEDULE}.chargingSchedulePeriod[1].startPeriod"),
        (
            profile(schedules=(schedule((0, 1.0), (60, 2.0), (30, 3.0)),)),
            1,
            f"{SCHEDULE}.chargingSchedulePeriod[2].startPeriod",
        ),
        (profile(schedules=(schedule((0, -1.0)),)), 1, f"{SCHEDULE}.chargingSchedulePeriod[0].limit"),
        (profile(schedules=(schedule(),)), 1, f"{SCHEDULE}.chargingSchedulePeriod"),
        (profile(schedules=(schedule((0, 1.0), duration=0),)), 1, f"{SCHEDULE}.duration"),
        (profile(schedules=(schedule((0, 1.0), min_charging_rate=-1.0),)), 1, f"{SCHEDULE}.minChargingRate"),
    ],
)
@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_each_broken_rule_names_its_field(broken: ChargingProfile, evse_id: int, field: str, version: str) -> None:
    assert field in fields(profile_problems(broken, evse_id=evse_id, ocpp_version=version))


def test_phases_rules() -> None:
    def with_period(**period: object) -> ChargingProfile:
        return profile(
            schedules=(
                ChargingSchedule(
                    charging_rate_unit="A",
                    charging_schedule_period=(ChargingSchedulePeriod(start_period=0, limit=16.0, **period),),  # type: ignore[arg-type]
                ),
            )
        )

    where = f"{SCHEDULE}.chargingSchedulePeriod[0]"
    assert f"{where}.numberPhases" in fields(
        profile_problems(with_period(number_phases=4), evse_id=1, ocpp_version="2.0.1")
    )
    assert f"{where}.phaseToUse" in fields(
        profile_problems(with_period(number_phases=3, phase_to_use=1), evse_id=1, ocpp_version="2.0.1")
    )
    assert profile_problems(with_period(number_phases=1, phase_to_use=2), evse_id=1, ocpp_version="2.0.1") == []
    assert f"{where}.phaseToUse" in fields(
        profile_problems(with_period(number_phases=1, phase_to_use=2), evse_id=1, ocpp_version="1.6")
    )


def test_schedules_per_version_and_rate_units() -> None:
    three = profile(schedules=(schedule((0, 1.0)), schedule((0, 2.0)), schedule((0, 3.0))))
    assert profile_problems(three, evse_id=1, ocpp_version="2.0.1") == []
    assert f"{CP}.chargingSchedule" in fields(profile_problems(three, evse_id=1, ocpp_version="1.6"))
    four = profile(schedules=(schedule((0, 1.0)),) * 4)
    assert f"{CP}.chargingSchedule" in fields(profile_problems(four, evse_id=1, ocpp_version="2.0.1"))
    assert f"{SCHEDULE}.chargingRateUnit" in fields(
        profile_problems(profile(), evse_id=1, ocpp_version="2.0.1", allowed_units={"A"})
    )
    assert profile_problems(profile(), evse_id=1, ocpp_version="2.0.1", allowed_units={"A", "W"}) == []


def test_remote_start_profiles_are_tx_profiles_without_a_transaction() -> None:
    tx = profile(purpose="TxProfile", kind="Relative", schedules=(schedule((0, 7000.0)),))
    assert profile_problems(tx, evse_id=1, ocpp_version="1.6", remote_start=True) == []
    assert f"{CP}.chargingProfilePurpose" in fields(
        profile_problems(profile(), evse_id=1, ocpp_version="1.6", remote_start=True)
    )
    named = profile(purpose="TxProfile", transaction_id="5")
    assert f"{CP}.transactionId" in fields(profile_problems(named, evse_id=1, ocpp_version="2.0.1", remote_start=True))
    assert f"{CP}.transactionId" in fields(
        profile_problems(profile(purpose="TxProfile", transaction_id="abc"), evse_id=1, ocpp_version="1.6")
    )


def test_stack_levels_clash_only_for_another_id_with_overlapping_validity() -> None:
    installed = [InstalledProfile(evse_id=1, profile=profile(1, valid_to=NOW + timedelta(hours=1)), installed_at=NOW)]
    assert conflicting_profile(profile(1), 1, installed) is None  # the same id replaces
    assert conflicting_profile(profile(2), 1, installed) is not None
    assert conflicting_profile(profile(2), 2, installed) is None  # another EVSE
    assert conflicting_profile(profile(2, stack_level=1), 1, installed) is None
    assert conflicting_profile(profile(2, valid_from=NOW + timedelta(hours=1)), 1, installed) is None
    assert conflicting_profile(profile(2, purpose="TxProfile", transaction_id="1"), 1, installed) is None
    # OCPP 1.6 replaces the profile of the same stack level and purpose instead
    assert conflicting_profile(profile(2), 1, installed, "1.6") is None
    assert smart_charging.replaced_profiles(profile(2), 1, installed, "1.6") == installed
    assert smart_charging.replaced_profiles(profile(2), 1, installed, "2.0.1") == []
    assert smart_charging.replaced_profiles(profile(1), 2, installed, "2.0.1") == installed
    station = [InstalledProfile(evse_id=0, profile=profile(5, purpose="ChargePointMaxProfile"), installed_at=NOW)]
    assert conflicting_profile(profile(6, purpose="ChargingStationMaxProfile"), 0, station) is not None


# -- translation -----------------------------------------------------------------------------------------------------

FULL = profile(
    9,
    stack_level=2,
    kind="Recurring",
    recurrency_kind="Daily",
    valid_from=NOW,
    valid_to=NOW + timedelta(days=30),
    schedules=(schedule((0, 16.0), (7200, 10.0), unit="A", start_schedule=NOW, duration=86400, min_charging_rate=6.0),),
)
COMMAND_REQUESTS: list[commands.CommandRequest] = [
    commands.SetChargingProfile(evse_id=1, profile=FULL),
    commands.SetChargingProfile(evse_id=0, profile=profile(3, purpose="ChargingStationMaxProfile")),
    commands.SetChargingProfile(evse_id=1, profile=profile(4, purpose="TxProfile", transaction_id="42")),
    commands.ClearChargingProfile(profile_id=9),
    commands.ClearChargingProfile(evse_id=1, purpose="TxDefaultProfile", stack_level=2),
    commands.ClearChargingProfile(purpose="ChargePointMaxProfile"),
    commands.ClearChargingProfile(),
    commands.GetCompositeSchedule(evse_id=1, duration=3600, charging_rate_unit="W"),
    commands.GetCompositeSchedule(evse_id=0, duration=60),
    commands.RemoteStart(
        id_token="APP-1",
        connector_id=1,
        charging_profile=profile(11, purpose="TxProfile", kind="Relative", schedules=(schedule((0, 3700.0)),)),
    ),
]


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
@pytest.mark.parametrize("request_", COMMAND_REQUESTS, ids=lambda r: type(r).__name__)
def test_smart_charging_calls_are_valid_for_the_library_schemas(
    request_: commands.CommandRequest, version: str
) -> None:
    action, payload = commands.spec_for(request_).translate(request_, version)
    _validate_payload(LibraryCall("1", action, json.loads(codec.encode(payload))), version)
    assert commands.decode_request(commands.encode_request(request_)) == request_


def test_get_charging_profiles_is_201_only() -> None:
    request = commands.GetChargingProfiles(request_id=3, evse_id=1, purpose="ChargePointMaxProfile", sources=("CSO",))
    action, payload = commands.spec_for(request).translate(request, "2.0.1")
    wire = json.loads(codec.encode(payload))
    _validate_payload(LibraryCall("1", action, wire), "2.0.1")
    assert wire["chargingProfile"]["chargingProfilePurpose"] == "ChargingStationMaxProfile"
    with pytest.raises(errors.InvalidCommand, match=r"1\.6 has no GetChargingProfiles"):
        commands.spec_for(request).translate(request, "1.6")


def test_purposes_are_named_per_version_and_invalid_profiles_are_not_sent() -> None:
    station = commands.SetChargingProfile(evse_id=0, profile=profile(3, purpose="ChargingStationMaxProfile"))
    _, v16_payload = commands.spec_for(station).translate(station, "1.6")
    assert (
        json.loads(codec.encode(v16_payload))["csChargingProfiles"]["chargingProfilePurpose"] == "ChargePointMaxProfile"
    )
    _, v201_payload = commands.spec_for(station).translate(station, "2.0.1")
    assert json.loads(codec.encode(v201_payload))["chargingProfile"]["chargingProfilePurpose"] == (
        "ChargingStationMaxProfile"
    )
    wrong = commands.SetChargingProfile(evse_id=1, profile=profile(stack_level=-1))
    with pytest.raises(errors.InvalidCommand, match=r"chargingProfile\.stackLevel"):
        commands.spec_for(wrong).translate(wrong, "2.0.1")
    start = commands.RemoteStart(id_token="A", charging_profile=profile())
    with pytest.raises(errors.InvalidCommand, match="TxProfile"):
        commands.spec_for(start).translate(start, "1.6")


def test_profiles_survive_both_versions() -> None:
    assert smart_charging.from_v16(smart_charging.to_v16(FULL)) == FULL
    numbered = ChargingProfile(
        **{f: getattr(FULL, f) for f in FULL.__struct_fields__ if f != "charging_schedule"},
        charging_schedule=tuple(
            ChargingSchedule(**{**{f: getattr(s, f) for f in s.__struct_fields__}, "id": 1})
            for s in FULL.charging_schedule
        ),
    )
    assert smart_charging.from_v201(smart_charging.to_v201(FULL)) == numbered


def test_composite_results_are_read_per_version() -> None:
    v16_answer = {
        "status": "Accepted",
        "connectorId": 1,
        "scheduleStart": "2026-12-06T10:00:00Z",
        "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}]},
    }
    spec = commands.COMMANDS["get-composite-schedule"]
    request = commands.GetCompositeSchedule(evse_id=1, duration=60)
    read = spec.read_result(
        codec.decode_payload(json.dumps(v16_answer), codec.RESPONSES["1.6"]["GetCompositeSchedule"]), "1.6"
    )
    assert isinstance(read, commands.CompositeScheduleResult)
    assert (read.evse_id, read.charging_rate_unit, [p.limit for p in read.periods]) == (1, "A", [16.0])
    v201_answer = {
        "status": "Accepted",
        "schedule": {
            "evseId": 1,
            "duration": 60,
            "scheduleStart": "2026-12-06T10:00:00Z",
            "chargingRateUnit": "W",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 7000}, {"startPeriod": 30, "limit": 3000}],
        },
    }
    read = spec.read_result(
        codec.decode_payload(json.dumps(v201_answer), codec.RESPONSES["2.0.1"]["GetCompositeSchedule"]), "2.0.1"
    )
    assert [(p.start_period, p.limit) for p in read.periods] == [(0, 7000.0), (30, 3000.0)]  # type: ignore[union-attr]
    assert commands.decode_result(commands.encode_result(read)) == read
    del request


# -- composite schedule ----------------------------------------------------------------------------------------------


def installed(evse_id: int, item: ChargingProfile) -> InstalledProfile:
    return InstalledProfile(evse_id=evse_id, profile=item, installed_at=NOW)


def test_the_composite_takes_the_highest_stack_level_and_the_station_max_caps_it() -> None:
    base = profile(1, schedules=(schedule((0, 11000.0), start_schedule=NOW),))
    evening = profile(
        2, stack_level=1, schedules=(schedule((0, 3000.0), start_schedule=NOW + timedelta(minutes=30), duration=1800),)
    )
    station = profile(
        3,
        purpose="ChargingStationMaxProfile",
        schedules=(schedule((0, 16.0), (5400, 8.0), unit="A", start_schedule=NOW),),
    )
    periods = composite_schedule(
        [installed(1, base), installed(1, evening), installed(0, station)], 1, NOW, 7200, "W", unlimited=22000.0
    )
    # 16 A x 3 x 230 V = 11,040 W; 8 A = 5,520 W
    assert [(p.start_period, p.limit) for p in periods] == [
        (0, 11000.0),
        (1800, 3000.0),
        (3600, 11000.0),
        (5400, 5520.0),
    ]
    in_amps = composite_schedule([installed(0, station)], 1, NOW, 600, "A", unlimited=32.0)
    assert [(p.start_period, p.limit) for p in in_amps] == [(0, 16.0)]


def test_a_tx_profile_overrides_the_default_and_relative_ones_start_with_the_transaction() -> None:
    default = installed(1, profile(1, schedules=(schedule((0, 11000.0), start_schedule=NOW),)))
    tx = installed(
        1,
        profile(
            2,
            purpose="TxProfile",
            kind="Relative",
            transaction_id="T1",
            schedules=(schedule((0, 4000.0), (600, 2000.0)),),
        ),
    )
    started = NOW - timedelta(minutes=5)
    assert limit_at([default, tx], 1, NOW, "W", transaction_id="T1", transaction_started_at=started) == 4000.0
    assert (
        limit_at([default, tx], 1, NOW + timedelta(minutes=6), "W", transaction_id="T1", transaction_started_at=started)
        == 2000.0
    )
    assert limit_at([default, tx], 1, NOW, "W", transaction_id="T2", transaction_started_at=started) == 11000.0
    assert limit_at([default, tx], 1, NOW, "W") == 11000.0
    assert limit_at([], 1, NOW, "W") is None


def test_recurring_profiles_repeat() -> None:
    night = profile(
        1,
        kind="Recurring",
        recurrency_kind="Daily",
        schedules=(schedule((0, 2000.0), (3600, 7000.0), start_schedule=NOW - timedelta(days=3)),),
    )
    assert limit_at([installed(1, night)], 1, NOW + timedelta(minutes=10), "W") == 2000.0
    assert limit_at([installed(1, night)], 1, NOW + timedelta(hours=2), "W") == 7000.0
    assert limit_at([installed(1, night)], 1, NOW + timedelta(days=1, minutes=10), "W") == 2000.0


limits = st.floats(min_value=0, max_value=50_000, allow_nan=False).map(lambda v: round(v, 1))


@given(
    station_limit=limits,
    defaults=st.lists(st.tuples(st.integers(0, 3), limits), min_size=1, max_size=4, unique_by=lambda t: t[0]),
    offsets=st.lists(st.integers(1, 7199), max_size=3, unique=True),
)
def test_the_composite_never_exceeds_the_station_max_and_follows_the_top_stack(
    station_limit: float, defaults: list[tuple[int, float]], offsets: list[int]
) -> None:
    station = installed(
        0,
        profile(
            100, purpose="ChargingStationMaxProfile", schedules=(schedule((0, station_limit), start_schedule=NOW),)
        ),
    )
    stack = [
        installed(
            1,
            profile(
                n + 1,
                stack_level=level,
                schedules=(schedule((0, lim), *[(o, lim / 2) for o in sorted(offsets)], start_schedule=NOW),),
            ),
        )
        for n, (level, lim) in enumerate(defaults)
    ]
    periods = composite_schedule([station, *stack], 1, NOW, 7200, "W", unlimited=99_999.0)
    assert periods[0].start_period == 0
    assert all(p.limit <= station_limit for p in periods)
    top = max(defaults)[1]
    assert periods[0].limit == min(station_limit, top)
    assert all(a.start_period < b.start_period and a.limit != b.limit for a, b in itertools.pairwise(periods))
