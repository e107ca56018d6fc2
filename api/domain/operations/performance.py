"""The performance monitor: as each transaction ends, judge what it delivered (derating) and whether its meter hangs
together (energy anomalies), store the judgement, move the connector's baseline on, and report conditions that
start or stop holding to the alert engine's `ConditionSink`.

All of it runs off the charger's message loop (a task per ended transaction) and reads only that transaction's
rows and its connector's few baseline rows: no scans. See `derating.py` for the rule.

When the derating condition holds on a connector: each of its ``min_sessions`` most recent judged sessions derated,
or a single session derated against the EV's own request (the car said it could take more: a clear case). It clears
with the first judged session that delivers normally. An energy anomaly holds from a session with one until the
connector's next session with clean readings.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import datetime, timedelta

import msgspec
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import (
    ChargingProfileRecord,
    ChargingStation,
    ChargingTransaction,
    Connector,
    EVChargingNeedsRecord,
    Evse,
    MeterSampleRecord,
    PerformanceFlag,
    PowerBaseline,
    SessionPerformance,
)
from api.db.types import utc_now
from api.domain.operations.conditions import ConditionReport, ConditionSink, RuleBook
from api.domain.operations.derating import (
    Anomaly,
    Judgement,
    PowerSample,
    Thresholds,
    charger_derating,
    energy_anomalies,
    judge_session,
    updated_baseline,
)
from ocpp_bridge.smart_charging import ChargingProfile, InstalledProfile, limit_at

logger = logging.getLogger(__name__)

DERATING = "derating"
ENERGY_ANOMALY = "energy_anomaly"
EV_REQUEST_WINDOW = timedelta(minutes=2)  # an EV's request received this long before its transaction still counts
_PROFILE_STATUSES = ("Accepted", "Ended", "Replaced", "Cleared", "Reported")


class Rating(msgspec.Struct, frozen=True):
    power_w: float | None
    dc: bool


async def connector_rating(session: AsyncSession, station_id: uuid.UUID, connector_id: int) -> Rating:
    """The rated power of the charger's EVSE ``connector_id`` (its connectors' highest), and whether it is DC."""
    rows = (
        await session.execute(
            select(Connector.max_electric_power, Connector.power_type)
            .join(Evse, Evse.id == Connector.evse_id)
            .where(Evse.charging_station_id == station_id, Evse.ocpp_evse_id == connector_id)
        )
    ).all()
    powers = [float(power) for power, _ in rows if power]
    return Rating(max(powers) if powers else None, any(kind.startswith("DC") for _, kind in rows))


async def _limits(
    session: AsyncSession, transaction: ChargingTransaction, ended_at: datetime
) -> list[InstalledProfile]:
    """The charging profiles that may have limited the transaction: ours live or retired after it started, and the
    ones the charger reported (external constraints of a site's energy manager are deliberate too)."""
    rows = (
        await session.execute(
            select(ChargingProfileRecord).where(
                ChargingProfileRecord.charging_station_id == transaction.charging_station_id,
                ChargingProfileRecord.status.in_(_PROFILE_STATUSES),
                ChargingProfileRecord.created_at <= ended_at,
                or_(
                    ChargingProfileRecord.status.in_(("Accepted", "Reported")),
                    ChargingProfileRecord.updated_at >= transaction.started_at,
                ),
            )
        )
    ).scalars()
    installed = []
    for row in rows:
        try:
            profile = msgspec.convert(row.profile, ChargingProfile)
        except msgspec.ValidationError:
            continue
        installed.append(InstalledProfile(evse_id=row.evse_id, profile=profile, installed_at=row.created_at))
    return installed


async def _ev_max_power(session: AsyncSession, transaction: ChargingTransaction, ended_at: datetime) -> float | None:
    """The EV's own max power where OCPP 2.0.1 reported it for this transaction (NotifyEVChargingNeeds)."""
    value = (
        await session.execute(
            select(EVChargingNeedsRecord.ev_max_power_w)
            .where(
                EVChargingNeedsRecord.charging_station_id == transaction.charging_station_id,
                EVChargingNeedsRecord.evse_id == transaction.connector_id,
                EVChargingNeedsRecord.received_at >= transaction.started_at - EV_REQUEST_WINDOW,
                EVChargingNeedsRecord.received_at <= ended_at,
                EVChargingNeedsRecord.ev_max_power_w.is_not(None),
            )
            .order_by(EVChargingNeedsRecord.received_at.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    return float(value) if value else None


def _kw(watts: float | None) -> str:
    return "unknown" if watts is None else f"{watts / 1000:.1f} kW"


class PerformanceMonitor:
    """Judges ended transactions; `transaction_ended` is the OCPP backend's hook (it must return at once)."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        rules: RuleBook,
        sink: ConditionSink | None = None,
    ) -> None:
        self._session_factory = session_factory
        self.rules = rules
        self.sink = sink
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopped = False

    def transaction_ended(self, transaction_id: uuid.UUID) -> None:
        if self._stopped:
            return
        try:
            task = asyncio.create_task(self._run(transaction_id), name=f"performance {transaction_id}")
        except RuntimeError:  # no running loop
            logger.exception("cannot schedule the performance check of a transaction")
            return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, transaction_id: uuid.UUID) -> None:
        for attempt in (1, 2):
            try:
                await self.judge(transaction_id)
            except IntegrityError:  # another process added the same baseline band at once: read it and go again
                if attempt == 1:
                    continue
                logger.exception("performance check failed", extra={"transaction_id": str(transaction_id)})
            except Exception:
                logger.exception("performance check failed", extra={"transaction_id": str(transaction_id)})
            return

    async def drain(self) -> None:
        """Wait for the checks scheduled so far."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def stop(self) -> None:
        self._stopped = True
        await self.drain()

    def _thresholds(self) -> Thresholds:
        return Thresholds.of(self.rules.rule(DERATING).params)

    async def judge(self, transaction_id: uuid.UUID) -> SessionPerformance | None:
        """Judge one ended transaction once (again: nothing happens); returns the stored judgement."""
        thresholds = self._thresholds()
        reports: list[ConditionReport] = []
        async with self._session_factory() as session, session.begin():
            transaction = await session.get(ChargingTransaction, transaction_id)
            if transaction is None or transaction.status != "ended" or transaction.ended_at is None:
                return None
            if await session.get(SessionPerformance, transaction_id) is not None:
                return None
            station = await session.get(ChargingStation, transaction.charging_station_id)
            if station is None:
                return None
            ended_at = transaction.ended_at
            rating = await connector_rating(session, station.id, transaction.connector_id)
            installed = await _limits(session, transaction, ended_at)
            samples = await self._samples(session, transaction, installed)
            ev_max = await _ev_max_power(session, transaction, ended_at)
            baselines = await self._baselines(session, station.id, transaction.connector_id)
            usable = {band: row.power_w for band, row in baselines.items() if row.sessions >= thresholds.min_sessions}
            judgement = judge_session(
                samples,
                rating_w=rating.power_w,
                dc=rating.dc,
                ev_max_power_w=ev_max,
                baseline_w=usable,
                thresholds=thresholds,
            )
            anomalies = energy_anomalies(samples, max_power_w=rating.power_w)
            socs = [s.soc_percent for s in samples if s.soc_percent is not None]
            record = SessionPerformance(
                transaction_id=transaction.id,
                charging_station_id=station.id,
                connector_id=transaction.connector_id,
                started_at=transaction.started_at,
                ended_at=ended_at,
                energy_wh=transaction.energy_wh or 0.0,
                judged=judgement.judged,
                derating=judgement.derating,
                basis=judgement.basis,
                delivered_w=judgement.delivered_w,
                expected_w=judgement.expected_w,
                ratio=judgement.ratio,
                rating_w=rating.power_w,
                ev_max_power_w=ev_max,
                soc_start=socs[0] if socs else None,
                soc_end=socs[-1] if socs else None,
                limited=judgement.limited,
                band_power_w={str(band): round(power, 1) for band, power in judgement.band_power_w.items()},
                anomalies=[msgspec.to_builtins(anomaly) for anomaly in anomalies],
                created_at=utc_now(),
            )
            session.add(record)
            if not judgement.derating:
                self._learn(session, baselines, station.id, transaction.connector_id, judgement)
            await session.flush()
            if judgement.judged:
                reports += await self._derating_flag(session, station, transaction, judgement, thresholds)
            reports += await self._anomaly_flag(session, station, transaction, anomalies)
        for report in reports:
            await self._report(report)
        return record

    async def _samples(
        self, session: AsyncSession, transaction: ChargingTransaction, installed: list[InstalledProfile]
    ) -> list[PowerSample]:
        rows = (
            await session.execute(
                select(
                    MeterSampleRecord.at,
                    MeterSampleRecord.power_w,
                    MeterSampleRecord.soc_percent,
                    MeterSampleRecord.energy_wh,
                )
                .where(MeterSampleRecord.transaction_id == transaction.id)
                .order_by(MeterSampleRecord.at, MeterSampleRecord.id)
            )
        ).all()
        samples = []
        for at, power, soc, energy in rows:
            limit = None
            if installed:
                limit = limit_at(
                    installed,
                    transaction.connector_id,
                    at,
                    "W",
                    transaction_id=transaction.ocpp_transaction_id,
                    transaction_started_at=transaction.started_at,
                )
            samples.append(PowerSample(at=at, power_w=power, soc_percent=soc, energy_wh=energy, limit_w=limit))
        return samples

    @staticmethod
    async def _baselines(session: AsyncSession, station_id: uuid.UUID, connector_id: int) -> dict[int, PowerBaseline]:
        rows = (
            await session.execute(
                select(PowerBaseline).where(
                    PowerBaseline.charging_station_id == station_id, PowerBaseline.connector_id == connector_id
                )
            )
        ).scalars()
        return {row.soc_band: row for row in rows}

    @staticmethod
    def _learn(
        session: AsyncSession,
        baselines: dict[int, PowerBaseline],
        station_id: uuid.UUID,
        connector_id: int,
        judgement: Judgement,
    ) -> None:
        """Move the connector's baseline on with a session that did not derate (a derating one would teach it to
        expect the derated power)."""
        now = utc_now()
        for band, power in judgement.band_power_w.items():
            row = baselines.get(band)
            if row is None:
                row = PowerBaseline(
                    charging_station_id=station_id, connector_id=connector_id, soc_band=band, sessions=0, recent_w=[]
                )
                session.add(row)
            recent, baseline = updated_baseline(list(row.recent_w or []), round(power, 1))
            row.recent_w, row.power_w, row.sessions, row.updated_at = recent, baseline, (row.sessions or 0) + 1, now

    @staticmethod
    async def _flag(session: AsyncSession, station_id: uuid.UUID, connector_id: int, rule: str) -> PerformanceFlag:
        flag = await session.get(PerformanceFlag, (station_id, connector_id, rule))
        if flag is None:
            flag = PerformanceFlag(
                charging_station_id=station_id, connector_id=connector_id, rule=rule, active=False, detail={}
            )
            session.add(flag)
        return flag

    async def _derating_flag(
        self,
        session: AsyncSession,
        station: ChargingStation,
        transaction: ChargingTransaction,
        judgement: Judgement,
        thresholds: Thresholds,
    ) -> list[ConditionReport]:
        recent = (
            await session.execute(
                select(SessionPerformance.derating, SessionPerformance.ratio)
                .where(
                    SessionPerformance.charging_station_id == station.id,
                    SessionPerformance.connector_id == transaction.connector_id,
                    SessionPerformance.judged.is_(True),
                )
                .order_by(SessionPerformance.ended_at.desc())
                .limit(thresholds.min_sessions)
            )
        ).all()
        derated = [bool(row[0]) for row in reversed(recent)]
        clear_case = judgement.derating and judgement.basis == "ev_request"
        holds = clear_case or charger_derating(derated, thresholds.min_sessions)
        flag = await self._flag(session, station.id, transaction.connector_id, DERATING)
        was = flag.active
        now = utc_now()
        assert transaction.ended_at is not None
        if holds:
            detail = {
                "delivered": _kw(judgement.delivered_w),
                "expected": _kw(judgement.expected_w),
                "ratio": f"{judgement.ratio:.2f}" if judgement.ratio is not None else "",
                "basis": judgement.basis or "",
                "socBelow": f"{thresholds.soc_below:.0f} %",
                "sessions": str(sum(derated[-thresholds.min_sessions :])),
                "model": station.model or "",
                "firmware": station.firmware_version or "",
            }
            worst = min((float(r[1]) for r in recent if r[0] and r[1] is not None), default=judgement.ratio)
            flag.active, flag.ratio, flag.detail, flag.updated_at = True, worst, detail, now
            flag.since = flag.since if was else transaction.ended_at
        elif was:
            flag.active, flag.updated_at = False, now
            flag.detail = {
                "delivered": _kw(judgement.delivered_w),
                "expected": _kw(judgement.expected_w),
                "ratio": f"{judgement.ratio:.2f}" if judgement.ratio is not None else "",
            }
        if holds == was:
            return []
        return [
            ConditionReport(
                rule=DERATING,
                charger_id=station.ocpp_id,
                connector_id=transaction.connector_id,
                active=holds,
                at=transaction.ended_at,
                detail=dict(flag.detail),
            )
        ]

    async def _anomaly_flag(
        self,
        session: AsyncSession,
        station: ChargingStation,
        transaction: ChargingTransaction,
        anomalies: list[Anomaly],
    ) -> list[ConditionReport]:
        flag = await self._flag(session, station.id, transaction.connector_id, ENERGY_ANOMALY)
        was = flag.active
        holds = bool(anomalies)
        assert transaction.ended_at is not None
        if holds:
            first = anomalies[0]
            flag.detail = {"kind": first.kind, "transaction": transaction.ocpp_transaction_id, **first.detail}
            flag.active, flag.updated_at = True, utc_now()
            flag.since = flag.since if was else first.at
        elif was:
            flag.active, flag.updated_at = False, utc_now()
        if not holds and not was:
            return []
        return [
            ConditionReport(
                rule=ENERGY_ANOMALY,
                charger_id=station.ocpp_id,
                connector_id=transaction.connector_id,
                active=holds,
                at=transaction.ended_at,
                detail=dict(flag.detail),
            )
        ]

    async def _report(self, report: ConditionReport) -> None:
        if self.sink is None or not self.rules.rule(report.rule).enabled:
            return
        try:
            await self.sink.report(report)
        except Exception:
            logger.exception("condition report failed", extra={"rule": report.rule, "charger_id": report.charger_id})
