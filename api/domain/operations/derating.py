"""The maths of charger performance, pure: what a session delivered per state-of-charge band, whether it derated,
and whether its meter readings hang together. No I/O: the performance monitor feeds it rows and stores the answers.

A session is judged on its samples below ``soc_below`` % state of charge that delivered power (a car that paused
or a full battery says nothing about the charger). Each sample is compared with what it should have delivered:

- against the rating: ``min(connector rating, the EV's own max power)``; used when the EV told us its max power
  (OCPP 2.0.1 NotifyEVChargingNeeds) or the connector is DC (any DC car takes well over half of a charger's rating
  below 60 %); an AC car's on-board charger may take far less than the socket gives, so AC without the EV's word
  is not compared with the rating;
- against the baseline: what this connector normally delivers in the sample's SoC band, once it has seen
  ``min_sessions`` sessions there: the lower quartile of its recent normal sessions' steady power, i.e. what it gives
  even the slower cars (cars differ: a baseline any higher would hold a slow car against the charger).

Either expectation is capped by a smart-charging limit of ours in force at the sample's time: a deliberate limit
is never a derating. The session's ratio on a basis is the 90th percentile of its samples' delivered/expected, so
a slow ramp-up or a dip does not count; it derates when a ratio is below ``ratio``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Literal

import msgspec

SOC_BANDS = (0, 20, 40, 60, 80)  # lower bounds of the bands 0-20, 20-40, 40-60, 60-80, 80-100 %
STEADY_PERCENTILE = 0.9  # a session's steady power: the 90th percentile of its readings
BASELINE_KEEP = 20  # sessions remembered per connector and band
BASELINE_PERCENTILE = 0.25
MIN_JUDGED_SAMPLES = 3
# energy checks
BACKWARDS_TOLERANCE_WH = 1.0  # rounding of a register sent in kWh with three decimals
JUMP_SLACK = 1.5  # a reading may arrive late: allow half as much again as the connector's max power gives
JUMP_SLACK_WH = 1000.0  # ... plus 1 kWh: meter faults jump further (a reset, Wh read as kWh); rounding never does
MISMATCH_SHARE = 0.15  # energy and power x time may differ by 15 % (instantaneous power readings between samples)
MISMATCH_SLACK_WH = 200.0  # ... and always by 200 Wh
MISMATCH_MIN_SECONDS = 300.0  # sessions shorter than five minutes have too few readings to integrate

Basis = Literal["rating", "ev_request", "baseline"]
AnomalyKind = Literal["register_backwards", "impossible_jump", "energy_mismatch"]


class PowerSample(msgspec.Struct, frozen=True, kw_only=True):
    """One meter reading of a session, on our timeline; ``limit_w`` is our smart-charging limit then (None: none)."""

    at: datetime
    power_w: float | None = None
    soc_percent: float | None = None
    energy_wh: float | None = None
    limit_w: float | None = None


class Thresholds(msgspec.Struct, frozen=True, kw_only=True):
    """The derating rule's params."""

    ratio: float = 0.6
    soc_below: float = 60.0
    min_sessions: int = 3

    @classmethod
    def of(cls, params: Mapping[str, float]) -> Thresholds:
        return cls(
            ratio=float(params.get("ratio", 0.6)),
            soc_below=float(params.get("soc_below", 60.0)),
            min_sessions=max(1, int(params.get("min_sessions", 3))),
        )


class Judgement(msgspec.Struct, frozen=True, kw_only=True):
    """What one session delivered against what it should have. ``judged`` is False when too few samples qualified
    (no SoC, nothing below the threshold, or nothing to compare with)."""

    judged: bool
    derating: bool = False
    basis: Basis | None = None
    delivered_w: float | None = None  # steady power below the SoC threshold
    expected_w: float | None = None  # the expectation on the basis that judged it
    ratio: float | None = None
    limited: bool = False  # a smart-charging limit of ours held it at some point
    band_power_w: dict[int, float] = {}  # steady power per SoC band (lower bound), readings under no limit of ours


class Anomaly(msgspec.Struct, frozen=True, kw_only=True):
    kind: AnomalyKind
    at: datetime
    detail: dict[str, str]


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) by linear interpolation between the closest ranks."""
    if not values:
        raise ValueError("percentile of nothing")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def soc_band(soc_percent: float) -> int:
    """The lower bound of the 20 % band holding ``soc_percent`` (100 % belongs to 80-100)."""
    for lower in reversed(SOC_BANDS):
        if soc_percent >= lower:
            return lower
    return 0


def band_label(lower: int) -> str:
    return f"{lower}-{lower + 20} %"


def _capped(expected: float | None, limit: float | None) -> float | None:
    if expected is None:
        return None
    return expected if limit is None else min(expected, limit)


def judge_session(
    samples: Sequence[PowerSample],
    *,
    rating_w: float | None,
    dc: bool,
    ev_max_power_w: float | None,
    baseline_w: Mapping[int, float],
    thresholds: Thresholds,
) -> Judgement:
    """Judge one session (see the module docstring for the rule)."""
    limited = any(s.limit_w is not None and s.limit_w < (rating_w or math.inf) for s in samples)
    bands: dict[int, list[float]] = {}
    for sample in samples:
        if sample.power_w and sample.power_w > 0 and sample.soc_percent is not None and sample.limit_w is None:
            bands.setdefault(soc_band(sample.soc_percent), []).append(sample.power_w)
    band_power = {band: percentile(values, STEADY_PERCENTILE) for band, values in sorted(bands.items())}
    eligible = [
        s
        for s in samples
        if s.power_w and s.power_w > 0 and s.soc_percent is not None and s.soc_percent < thresholds.soc_below
    ]
    if len(eligible) < MIN_JUDGED_SAMPLES:
        return Judgement(judged=False, limited=limited, band_power_w=band_power)
    delivered = percentile([s.power_w or 0.0 for s in eligible], STEADY_PERCENTILE)

    rating_basis: Basis | None = None
    rated: float | None = None
    if ev_max_power_w is not None and ev_max_power_w > 0:
        rating_basis, rated = "ev_request", min(ev_max_power_w, rating_w or math.inf)
    elif dc and rating_w:
        rating_basis, rated = "rating", rating_w

    outcomes: list[tuple[float, Basis, float]] = []  # (ratio, basis, median expectation)
    candidates: list[tuple[Basis, list[float | None]]] = []
    if rating_basis is not None:
        candidates.append((rating_basis, [_capped(rated, s.limit_w) for s in eligible]))
    baseline_per_sample = [_capped(baseline_w.get(soc_band(s.soc_percent or 0.0)), s.limit_w) for s in eligible]
    if sum(1 for e in baseline_per_sample if e) >= MIN_JUDGED_SAMPLES:
        candidates.append(("baseline", baseline_per_sample))
    for basis, expectations in candidates:
        ratios = [(s.power_w or 0.0) / e for s, e in zip(eligible, expectations, strict=True) if e and e > 0]
        if len(ratios) < MIN_JUDGED_SAMPLES:
            continue
        ratio = min(1.0, percentile(ratios, STEADY_PERCENTILE))
        outcomes.append((ratio, basis, percentile([e for e in expectations if e], 0.5)))
    if not outcomes:
        return Judgement(judged=False, delivered_w=delivered, limited=limited, band_power_w=band_power)
    ratio, basis, expected = min(outcomes, key=lambda outcome: outcome[0])
    return Judgement(
        judged=True,
        derating=ratio < thresholds.ratio,
        basis=basis,
        delivered_w=delivered,
        expected_w=expected,
        ratio=round(ratio, 3),
        limited=limited,
        band_power_w=band_power,
    )


def updated_baseline(recent: Sequence[float], session_power_w: float) -> tuple[list[float], float]:
    """A band's remembered sessions with this one added (the oldest dropped past `BASELINE_KEEP`), and the new
    baseline: their lower quartile (see the module docstring)."""
    kept = [*recent, session_power_w][-BASELINE_KEEP:]
    return kept, percentile(kept, BASELINE_PERCENTILE)


def charger_derating(recent: Sequence[bool], min_sessions: int) -> bool:
    """A connector derates when each of its ``min_sessions`` most recent judged sessions (newest last) derated."""
    return len(recent) >= min_sessions and all(recent[-min_sessions:])


def _kw(watts: float) -> str:
    return f"{watts / 1000:.1f} kW"


def energy_anomalies(samples: Sequence[PowerSample], *, max_power_w: float | None) -> list[Anomaly]:
    """Meter readings that cannot be right: the register going backwards, a rise between two readings more than
    the connector's max power could give in that time (with `JUMP_SLACK`), and a session whose energy differs
    from the integral of its power over time by more than `MISMATCH_SHARE` and `MISMATCH_SLACK_WH`."""
    ordered = sorted(samples, key=lambda s: s.at)
    found: list[Anomaly] = []
    metered = [s for s in ordered if s.energy_wh is not None]
    for before, after in itertools.pairwise(metered):
        rise = (after.energy_wh or 0.0) - (before.energy_wh or 0.0)
        seconds = (after.at - before.at).total_seconds()
        if rise < -BACKWARDS_TOLERANCE_WH:
            found.append(
                Anomaly(
                    kind="register_backwards",
                    at=after.at,
                    detail={"from": f"{before.energy_wh:.0f} Wh", "to": f"{after.energy_wh:.0f} Wh"},
                )
            )
        elif max_power_w and rise > max_power_w * max(seconds, 0.0) / 3600.0 * JUMP_SLACK + JUMP_SLACK_WH:
            found.append(
                Anomaly(
                    kind="impossible_jump",
                    at=after.at,
                    detail={
                        "rise": f"{rise:.0f} Wh",
                        "seconds": f"{seconds:.0f}",
                        "possible": f"{max_power_w * max(seconds, 0.0) / 3600.0:.0f} Wh at {_kw(max_power_w)}",
                    },
                )
            )
    if found:
        return found
    both = [s for s in metered if s.power_w is not None]
    if len(both) < MIN_JUDGED_SAMPLES or (both[-1].at - both[0].at).total_seconds() < MISMATCH_MIN_SECONDS:
        return found
    integral = sum(
        ((a.power_w or 0.0) + (b.power_w or 0.0)) / 2 * (b.at - a.at).total_seconds() / 3600.0
        for a, b in itertools.pairwise(both)
    )
    energy = (both[-1].energy_wh or 0.0) - (both[0].energy_wh or 0.0)
    difference = abs(energy - integral)
    if difference > max(MISMATCH_SHARE * max(energy, integral), MISMATCH_SLACK_WH):
        found.append(
            Anomaly(
                kind="energy_mismatch",
                at=both[-1].at,
                detail={"metered": f"{energy:.0f} Wh", "powerTimesTime": f"{integral:.0f} Wh"},
            )
        )
    return found
