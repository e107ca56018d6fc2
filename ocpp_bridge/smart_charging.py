"""Charging profiles, version-neutral: their model, the rules a profile must keep before it is sent, the
translation to and from OCPP 1.6 and 2.0.1, and the composite schedule a charger derives from its profiles.

The neutral model takes OCPP 2.0.1's shape (a 1.6 profile is a 2.0.1 profile with one schedule and no
``phaseToUse``), with camelCase names on the wire so the admin API and the spec read alike. 1.6 calls the
station-wide maximum ``ChargePointMaxProfile``, 2.0.1 ``ChargingStationMaxProfile``: either is accepted and
sent under the name of the charger's version.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Literal, TypeVar

import msgspec
from msgspec import UNSET, UnsetType

from ocpp_bridge.v16 import messages as v16
from ocpp_bridge.v201 import messages as v201

ChargingProfilePurpose = Literal[
    "ChargePointMaxProfile",
    "ChargingStationMaxProfile",
    "ChargingStationExternalConstraints",
    "TxDefaultProfile",
    "TxProfile",
]
ChargingProfileKind = Literal["Absolute", "Recurring", "Relative"]
RecurrencyKind = Literal["Daily", "Weekly"]
ChargingRateUnit = Literal["W", "A"]
STATION_MAX = frozenset({"ChargePointMaxProfile", "ChargingStationMaxProfile"})
NOMINAL_VOLTAGE = 230.0  # per phase, to compare limits in A with limits in W
DEFAULT_PHASES = 3
T = TypeVar("T")
_RECURRENCE = {"Daily": timedelta(days=1), "Weekly": timedelta(days=7)}


class ChargingSchedulePeriod(msgspec.Struct, frozen=True, kw_only=True, rename="camel", omit_defaults=True):
    """From ``start_period`` seconds after the schedule's start: at most ``limit`` (A or W)."""

    start_period: int
    limit: float
    number_phases: int | None = None
    phase_to_use: int | None = None


class ChargingSchedule(msgspec.Struct, frozen=True, kw_only=True, rename="camel", omit_defaults=True):
    charging_rate_unit: ChargingRateUnit
    charging_schedule_period: tuple[ChargingSchedulePeriod, ...]
    id: int | None = None
    start_schedule: datetime | None = None
    duration: int | None = None
    min_charging_rate: float | None = None


class ChargingProfile(msgspec.Struct, frozen=True, kw_only=True, rename="camel", omit_defaults=True):
    id: int
    stack_level: int
    charging_profile_purpose: ChargingProfilePurpose
    charging_profile_kind: ChargingProfileKind
    charging_schedule: tuple[ChargingSchedule, ...]
    recurrency_kind: RecurrencyKind | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    transaction_id: str | None = None


class ProfileProblem(msgspec.Struct, frozen=True):
    """One broken rule: the field (a camelCase path inside the profile) and what is wrong with it."""

    field: str
    message: str


class InstalledProfile(msgspec.Struct, frozen=True, kw_only=True):
    """A profile as a charger holds it: on which EVSE (0 = the whole station), since when."""

    evse_id: int
    profile: ChargingProfile
    installed_at: datetime


def canonical_purpose(purpose: str) -> str:
    """The 2.0.1 name of a purpose (1.6 ChargePointMaxProfile is 2.0.1 ChargingStationMaxProfile)."""
    return "ChargingStationMaxProfile" if purpose in STATION_MAX else purpose


# -- rules -------------------------------------------------------------------------------------------------------


def profile_problems(
    profile: ChargingProfile,
    *,
    evse_id: int,
    ocpp_version: str,
    allowed_units: Iterable[str] | None = None,
    remote_start: bool = False,
    field: str = "chargingProfile",
) -> list[ProfileProblem]:
    """Every rule of the spec ``profile`` breaks when sent by a central system to ``evse_id`` (0 = the station).

    ``remote_start``: the profile rides on RemoteStartTransaction / RequestStartTransaction, so it is a TxProfile
    for the transaction about to start and names no transaction yet.
    """
    problems: list[ProfileProblem] = []

    def bad(name: str, message: str) -> None:
        problems.append(ProfileProblem(f"{field}.{name}" if name else field, message))

    v16_charger = ocpp_version == "1.6"
    purpose = profile.charging_profile_purpose
    if profile.id < 0:
        bad("id", "must be 0 or more")
    if profile.stack_level < 0:
        bad("stackLevel", "must be 0 or more")
    if evse_id < 0:
        problems.append(ProfileProblem("evseId", "must be 0 (the whole charger) or an EVSE / connector number"))
    if purpose == "ChargingStationExternalConstraints":
        bad(
            "chargingProfilePurpose",
            "ChargingStationExternalConstraints profiles are set by external systems, never by the CSMS",
        )
    elif purpose in STATION_MAX and evse_id != 0:
        bad("chargingProfilePurpose", f"{purpose} applies to the whole charger: send it to EVSE / connector 0")
    elif remote_start and purpose != "TxProfile":
        bad("chargingProfilePurpose", "a profile sent with a remote start must be a TxProfile")
    elif purpose == "TxProfile" and not remote_start:
        if evse_id == 0:
            bad("chargingProfilePurpose", "a TxProfile applies to a transaction: send it to the EVSE / connector of it")
        if profile.transaction_id is None:
            bad("transactionId", "a TxProfile names the active transaction it limits")
    if profile.transaction_id is not None:
        if purpose != "TxProfile":
            bad("transactionId", "only a TxProfile names a transaction")
        elif remote_start:
            bad("transactionId", "the transaction of a remote start does not exist yet")
        elif v16_charger and not profile.transaction_id.isdigit():
            bad("transactionId", "OCPP 1.6 transaction ids are integers")
    kind = profile.charging_profile_kind
    if kind == "Recurring" and profile.recurrency_kind is None:
        bad("recurrencyKind", "a Recurring profile needs a recurrencyKind (Daily or Weekly)")
    if kind != "Recurring" and profile.recurrency_kind is not None:
        bad("recurrencyKind", "only a Recurring profile has a recurrencyKind")
    if profile.valid_from is not None and profile.valid_to is not None and profile.valid_to <= profile.valid_from:
        bad("validTo", "must be later than validFrom")
    schedules = profile.charging_schedule
    most = 1 if v16_charger else 3
    if not 1 <= len(schedules) <= most:
        bad("chargingSchedule", f"OCPP {ocpp_version} takes 1 to {most} charging schedules, got {len(schedules)}")
    units = None if allowed_units is None else set(allowed_units)
    for n, schedule in enumerate(schedules):
        problems.extend(_schedule_problems(schedule, kind, f"{field}.chargingSchedule[{n}]", v16_charger, units))
    return problems


def _schedule_problems(
    schedule: ChargingSchedule, kind: str, field: str, v16_charger: bool, units: set[str] | None
) -> list[ProfileProblem]:
    problems: list[ProfileProblem] = []

    def bad(name: str, message: str) -> None:
        problems.append(ProfileProblem(f"{field}.{name}", message))

    if kind == "Relative" and schedule.start_schedule is not None:
        bad("startSchedule", "a Relative profile starts with the transaction: leave startSchedule out")
    if kind == "Recurring" and schedule.start_schedule is None:
        bad("startSchedule", "a Recurring profile needs a startSchedule to recur from")
    if schedule.duration is not None and schedule.duration <= 0:
        bad("duration", "must be more than 0 seconds")
    if schedule.min_charging_rate is not None and schedule.min_charging_rate < 0:
        bad("minChargingRate", "must be 0 or more")
    if schedule.id is not None and schedule.id < 0:
        bad("id", "must be 0 or more")
    if units is not None and schedule.charging_rate_unit not in units:
        allowed = ", ".join(sorted(units)) or "none"
        bad("chargingRateUnit", f"the charger takes limits in {allowed} only")
    periods = schedule.charging_schedule_period
    if not periods:
        bad("chargingSchedulePeriod", "needs at least one period")
    if len(periods) > 1024:
        bad("chargingSchedulePeriod", "at most 1024 periods")
    previous = -1
    for n, period in enumerate(periods):
        where = f"chargingSchedulePeriod[{n}]"
        if n == 0 and period.start_period != 0:
            bad(f"{where}.startPeriod", "the first period starts at 0")
        elif n > 0 and period.start_period <= previous:
            bad(f"{where}.startPeriod", "periods start in strictly increasing order")
        previous = period.start_period
        if period.limit < 0:
            bad(f"{where}.limit", "must be 0 or more")
        if period.number_phases is not None and not 1 <= period.number_phases <= 3:
            bad(f"{where}.numberPhases", "must be 1, 2 or 3")
        if period.phase_to_use is not None:
            if v16_charger:
                bad(f"{where}.phaseToUse", "OCPP 1.6 has no phaseToUse")
            elif period.number_phases != 1:
                bad(f"{where}.phaseToUse", "only with numberPhases 1")
            elif not 1 <= period.phase_to_use <= 3:
                bad(f"{where}.phaseToUse", "must be 1, 2 or 3")
    return problems


def _overlaps(a: ChargingProfile, b: ChargingProfile) -> bool:
    """Whether the validity ranges share a moment (an open end reaches forever)."""
    if a.valid_from is not None and b.valid_to is not None and b.valid_to <= a.valid_from:
        return False
    return not (b.valid_from is not None and a.valid_to is not None and a.valid_to <= b.valid_from)


def _same_slot(profile: ChargingProfile, evse_id: int, other: InstalledProfile) -> bool:
    """Same EVSE, purpose and stack level (and, for a TxProfile, transaction) but another id."""
    theirs = other.profile
    if theirs.id == profile.id or other.evse_id != evse_id or theirs.stack_level != profile.stack_level:
        return False
    purpose = canonical_purpose(profile.charging_profile_purpose)
    if canonical_purpose(theirs.charging_profile_purpose) != purpose:
        return False
    return purpose != "TxProfile" or theirs.transaction_id == profile.transaction_id


def conflicting_profile(
    profile: ChargingProfile, evse_id: int, installed: Iterable[InstalledProfile], ocpp_version: str = "2.0.1"
) -> InstalledProfile | None:
    """An installed profile ``profile`` may not stand beside (OCPP 2.0.1): another id with the same stack level and
    purpose on the same EVSE (and transaction) whose validity overlaps. In 1.6 such a profile is replaced instead
    (see ``replaced_profiles``), as is one with the same id in both versions."""
    if ocpp_version == "1.6":
        return None
    return next(
        (other for other in installed if _same_slot(profile, evse_id, other) and _overlaps(profile, other.profile)),
        None,
    )


def replaced_profiles(
    profile: ChargingProfile, evse_id: int, installed: Iterable[InstalledProfile], ocpp_version: str
) -> list[InstalledProfile]:
    """The installed profiles ``profile`` replaces once accepted: the one with its id (anywhere) and, in OCPP 1.6,
    the one with the same stack level and purpose on the same connector."""
    return [
        other
        for other in installed
        if other.profile.id == profile.id or (ocpp_version == "1.6" and _same_slot(profile, evse_id, other))
    ]


# -- translation ---------------------------------------------------------------------------------------------------


def _opt(value: T | None) -> T | UnsetType:
    return UNSET if value is None else value


def _none(value: T | UnsetType) -> T | None:
    return None if isinstance(value, UnsetType) else value


def to_v16(profile: ChargingProfile) -> v16.ChargingProfile:
    """The 1.6 ChargingProfile (its first schedule; the rules allow only one)."""
    schedule = profile.charging_schedule[0]
    purpose = (
        "ChargePointMaxProfile" if profile.charging_profile_purpose in STATION_MAX else profile.charging_profile_purpose
    )
    return v16.ChargingProfile(
        charging_profile_id=profile.id,
        transaction_id=UNSET if profile.transaction_id is None else int(profile.transaction_id),
        stack_level=profile.stack_level,
        charging_profile_purpose=purpose,  # type: ignore[arg-type]
        charging_profile_kind=profile.charging_profile_kind,
        recurrency_kind=_opt(profile.recurrency_kind),
        valid_from=_opt(profile.valid_from),
        valid_to=_opt(profile.valid_to),
        charging_schedule=v16.ChargingSchedule(
            duration=_opt(schedule.duration),
            start_schedule=_opt(schedule.start_schedule),
            charging_rate_unit=schedule.charging_rate_unit,
            charging_schedule_period=[
                v16.ChargingSchedulePeriod(
                    start_period=p.start_period, limit=p.limit, number_phases=_opt(p.number_phases)
                )
                for p in schedule.charging_schedule_period
            ],
            min_charging_rate=_opt(schedule.min_charging_rate),
        ),
    )


def schedule_to_v201(schedule: ChargingSchedule, default_id: int) -> v201.ChargingScheduleType:
    return v201.ChargingScheduleType(
        id_=schedule.id if schedule.id is not None else default_id,
        start_schedule=_opt(schedule.start_schedule),
        duration=_opt(schedule.duration),
        charging_rate_unit=schedule.charging_rate_unit,
        charging_schedule_period=[
            v201.ChargingSchedulePeriodType(
                start_period=p.start_period,
                limit=p.limit,
                number_phases=_opt(p.number_phases),
                phase_to_use=_opt(p.phase_to_use),
            )
            for p in schedule.charging_schedule_period
        ],
        min_charging_rate=_opt(schedule.min_charging_rate),
    )


def to_v201(profile: ChargingProfile) -> v201.ChargingProfileType:
    """The 2.0.1 ChargingProfileType; schedules without an id are numbered 1, 2, 3."""
    purpose = canonical_purpose(profile.charging_profile_purpose)
    return v201.ChargingProfileType(
        id_=profile.id,
        stack_level=profile.stack_level,
        charging_profile_purpose=purpose,  # type: ignore[arg-type]
        charging_profile_kind=profile.charging_profile_kind,
        recurrency_kind=_opt(profile.recurrency_kind),
        valid_from=_opt(profile.valid_from),
        valid_to=_opt(profile.valid_to),
        charging_schedule=[schedule_to_v201(s, n) for n, s in enumerate(profile.charging_schedule, start=1)],
        transaction_id=_opt(profile.transaction_id),
    )


def schedule_from_v201(schedule: v201.ChargingScheduleType) -> ChargingSchedule:
    return ChargingSchedule(
        id=schedule.id_,
        start_schedule=_none(schedule.start_schedule),
        duration=_none(schedule.duration),
        charging_rate_unit=schedule.charging_rate_unit,
        charging_schedule_period=periods_from_v201(schedule.charging_schedule_period),
        min_charging_rate=_none(schedule.min_charging_rate),
    )


def periods_from_v201(periods: Sequence[v201.ChargingSchedulePeriodType]) -> tuple[ChargingSchedulePeriod, ...]:
    return tuple(
        ChargingSchedulePeriod(
            start_period=p.start_period,
            limit=p.limit,
            number_phases=_none(p.number_phases),
            phase_to_use=_none(p.phase_to_use),
        )
        for p in periods
    )


def from_v201(profile: v201.ChargingProfileType) -> ChargingProfile:
    return ChargingProfile(
        id=profile.id_,
        stack_level=profile.stack_level,
        charging_profile_purpose=profile.charging_profile_purpose,
        charging_profile_kind=profile.charging_profile_kind,
        recurrency_kind=_none(profile.recurrency_kind),
        valid_from=_none(profile.valid_from),
        valid_to=_none(profile.valid_to),
        charging_schedule=tuple(schedule_from_v201(s) for s in profile.charging_schedule),
        transaction_id=_none(profile.transaction_id),
    )


def schedule_from_v16(schedule: v16.ChargingSchedule) -> ChargingSchedule:
    return ChargingSchedule(
        start_schedule=_none(schedule.start_schedule),
        duration=_none(schedule.duration),
        charging_rate_unit=schedule.charging_rate_unit,
        charging_schedule_period=tuple(
            ChargingSchedulePeriod(start_period=p.start_period, limit=p.limit, number_phases=_none(p.number_phases))
            for p in schedule.charging_schedule_period
        ),
        min_charging_rate=_none(schedule.min_charging_rate),
    )


def from_v16(profile: v16.ChargingProfile) -> ChargingProfile:
    transaction_id = _none(profile.transaction_id)
    return ChargingProfile(
        id=profile.charging_profile_id,
        stack_level=profile.stack_level,
        charging_profile_purpose=profile.charging_profile_purpose,
        charging_profile_kind=profile.charging_profile_kind,
        recurrency_kind=_none(profile.recurrency_kind),
        valid_from=_none(profile.valid_from),
        valid_to=_none(profile.valid_to),
        charging_schedule=(schedule_from_v16(profile.charging_schedule),),
        transaction_id=None if transaction_id is None else str(transaction_id),
    )


# -- composite schedule ----------------------------------------------------------------------------------------------


def convert_limit(limit: float, from_unit: str, to_unit: str, phases: int | None) -> float:
    """A limit in the other unit, at the nominal voltage over ``phases`` (three when not said)."""
    if from_unit == to_unit:
        return limit
    volts = NOMINAL_VOLTAGE * (phases or DEFAULT_PHASES)
    return limit * volts if to_unit == "W" else limit / volts


def _schedule_start(
    installed: InstalledProfile, at: datetime, transaction_started_at: datetime | None
) -> datetime | None:
    """When the schedule's period 0 began for the moment ``at`` (None: the profile does not apply yet)."""
    profile = installed.profile
    schedule = profile.charging_schedule[0]
    if profile.charging_profile_kind == "Relative":
        return transaction_started_at
    start = schedule.start_schedule or installed.installed_at
    if profile.charging_profile_kind == "Recurring" and profile.recurrency_kind is not None and at >= start:
        step = _RECURRENCE[profile.recurrency_kind]
        start += step * ((at - start) // step)
    return start


def profile_limit(
    installed: InstalledProfile, at: datetime, unit: str, transaction_started_at: datetime | None
) -> float | None:
    """The profile's limit at ``at`` in ``unit``, or None when it sets none then."""
    profile = installed.profile
    if profile.valid_from is not None and at < profile.valid_from:
        return None
    if profile.valid_to is not None and at >= profile.valid_to:
        return None
    start = _schedule_start(installed, at, transaction_started_at)
    if start is None or at < start:
        return None
    schedule = profile.charging_schedule[0]
    offset = (at - start).total_seconds()
    if schedule.duration is not None and offset >= schedule.duration:
        return None
    current = None
    for period in schedule.charging_schedule_period:
        if period.start_period <= offset:
            current = period
        else:
            break
    if current is None:
        return None
    return convert_limit(current.limit, schedule.charging_rate_unit, unit, current.number_phases)


def _highest_stack(
    candidates: Iterable[InstalledProfile], at: datetime, unit: str, transaction_started_at: datetime | None
) -> float | None:
    best: tuple[int, float] | None = None
    for installed in candidates:
        limit = profile_limit(installed, at, unit, transaction_started_at)
        if limit is None:
            continue
        level = installed.profile.stack_level
        if best is None or level > best[0] or (level == best[0] and limit < best[1]):
            best = (level, limit)
    return None if best is None else best[1]


def limit_at(
    installed: Sequence[InstalledProfile],
    evse_id: int,
    at: datetime,
    unit: str,
    *,
    transaction_id: str | None = None,
    transaction_started_at: datetime | None = None,
) -> float | None:
    """The limit in force on ``evse_id`` at ``at``: per purpose the highest stack level (its lowest limit), a
    TxProfile of the running transaction before the TxDefaultProfile (the EVSE's before the station's), and the
    station maximum and external constraints capping all. None: nothing limits the EVSE."""
    if transaction_started_at is None:  # Relative schedules start with a transaction; without one, now
        transaction_started_at = at

    def of(purpose: str, evse: int) -> list[InstalledProfile]:
        return [
            p
            for p in installed
            if canonical_purpose(p.profile.charging_profile_purpose) == purpose and p.evse_id == evse
        ]

    caps = [
        _highest_stack(of("ChargingStationMaxProfile", 0), at, unit, transaction_started_at),
        _highest_stack(of("ChargingStationExternalConstraints", 0), at, unit, transaction_started_at),
    ]
    tx_limit = None
    if evse_id != 0:
        caps.append(_highest_stack(of("ChargingStationExternalConstraints", evse_id), at, unit, transaction_started_at))
        if transaction_id is not None:
            tx_profiles = [p for p in of("TxProfile", evse_id) if p.profile.transaction_id in (None, transaction_id)]
            tx_limit = _highest_stack(tx_profiles, at, unit, transaction_started_at)
        if tx_limit is None:
            tx_limit = _highest_stack(of("TxDefaultProfile", evse_id), at, unit, transaction_started_at)
        if tx_limit is None:
            tx_limit = _highest_stack(of("TxDefaultProfile", 0), at, unit, transaction_started_at)
    limits = [limit for limit in [*caps, tx_limit] if limit is not None]
    return min(limits) if limits else None


def _change_points(
    installed: Sequence[InstalledProfile], start: datetime, end: datetime, transaction_started_at: datetime | None
) -> list[datetime]:
    points = {start}
    for item in installed:
        profile = item.profile
        points.update(t for t in (profile.valid_from, profile.valid_to) if t is not None)
        schedule = profile.charging_schedule[0]
        first = _schedule_start(item, start, transaction_started_at)
        if first is None:
            continue
        step = _RECURRENCE.get(profile.recurrency_kind or "") if profile.charging_profile_kind == "Recurring" else None
        origin = first
        for _ in range(400):  # recurrences within the window (a year of daily ones at most)
            points.update(origin + timedelta(seconds=p.start_period) for p in schedule.charging_schedule_period)
            if schedule.duration is not None:
                points.add(origin + timedelta(seconds=schedule.duration))
            if step is None or origin >= end:
                break
            origin += step
    return sorted(t for t in points if start <= t < end)


def composite_schedule(
    installed: Sequence[InstalledProfile],
    evse_id: int,
    start: datetime,
    duration: int,
    unit: ChargingRateUnit,
    *,
    transaction_id: str | None = None,
    transaction_started_at: datetime | None = None,
    unlimited: float | None = None,
) -> tuple[ChargingSchedulePeriod, ...]:
    """The periods of the limit on ``evse_id`` from ``start`` for ``duration`` seconds, merged where equal; where
    nothing limits the EVSE the period's limit is ``unlimited`` (left out when None)."""
    end = start + timedelta(seconds=duration)
    if transaction_started_at is None:
        transaction_started_at = start
    periods: list[ChargingSchedulePeriod] = []
    for at in _change_points(installed, start, end, transaction_started_at):
        limit = limit_at(
            installed, evse_id, at, unit, transaction_id=transaction_id, transaction_started_at=transaction_started_at
        )
        if limit is None:
            limit = unlimited
        if limit is None or (periods and periods[-1].limit == round(limit, 1)):
            continue
        periods.append(ChargingSchedulePeriod(start_period=int((at - start).total_seconds()), limit=round(limit, 1)))
    return tuple(periods)
