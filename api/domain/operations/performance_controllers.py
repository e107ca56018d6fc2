"""Operations API for charger performance: one charger's baselines, recent sessions and findings, and the connectors
derating now across the sites the caller looks after. Powers are in kW on the wire, as operators read them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from litestar import Controller, get
from litestar.params import FromPath, Parameter
from sqlalchemy import select

from api.db.models import (
    ChargingStation,
    Connector,
    Evse,
    PerformanceFlag,
    PowerBaseline,
    SessionPerformance,
)
from api.deps import DbSession
from api.domain.operations.derating import band_label
from api.domain.operations.scope import CallerScope
from api.errors import NotFound
from api.openapi_contract import problems
from api.schema import FrozenAppStruct
from api.security.guards import operations

RECENT_SESSIONS = 20


def _kw(watts: float | None) -> float | None:
    return None if watts is None else round(watts / 1000, 1)


class BandBaseline(FrozenAppStruct, frozen=True, kw_only=True):
    """What the connector normally delivers in one state-of-charge band."""

    soc_band: str  # "20-40 %"
    power_kw: float
    sessions: int


class Finding(FrozenAppStruct, frozen=True, kw_only=True):
    """A condition held on a connector now (or cleared since ``since``)."""

    rule: str  # derating, energy_anomaly
    active: bool
    since: datetime | None
    detail: dict[str, str]


class ConnectorPerformance(FrozenAppStruct, frozen=True, kw_only=True):
    connector_id: int
    rating_kw: float | None
    dc: bool
    baseline: list[BandBaseline]
    findings: list[Finding]


class SessionFinding(FrozenAppStruct, frozen=True, kw_only=True):
    """One ended session: what it delivered below the SoC threshold against what it should have."""

    transaction_id: uuid.UUID
    connector_id: int
    started_at: datetime
    ended_at: datetime
    energy_kwh: float
    soc_start: float | None
    soc_end: float | None
    judged: bool
    derating: bool
    delivered_kw: float | None
    expected_kw: float | None
    ratio: float | None
    basis: str | None  # rating, ev_request or baseline
    ev_max_power_kw: float | None
    limited: bool  # a smart-charging limit of ours held it
    anomalies: list[dict[str, object]]


class ChargerPerformance(FrozenAppStruct, frozen=True, kw_only=True):
    charger_id: str
    vendor: str | None
    model: str | None
    firmware_version: str | None
    connectors: list[ConnectorPerformance]
    sessions: list[SessionFinding]


class DeratingConnector(FrozenAppStruct, frozen=True, kw_only=True):
    charger_id: str
    connector_id: int
    location_id: uuid.UUID
    vendor: str | None
    model: str | None
    firmware_version: str | None
    since: datetime | None
    ratio: float | None  # the worst delivered/expected of the sessions that raised it
    detail: dict[str, str]


class PerformanceController(Controller):
    path = "/v1/admin"
    tags = ["Operations"]
    guards = [operations]
    security = [{"BearerToken": []}]

    @get(
        "/chargers/{charger_id:str}/performance",
        summary="A charger's normal power per SoC band, its recent sessions against expectation, its findings",
        responses=problems(404),
    )
    async def charger_performance(
        self, charger_id: FromPath[str], db_session: DbSession, site_scope: CallerScope
    ) -> ChargerPerformance:
        """Baselines learn from sessions that did not derate; a session is judged on its readings below the derating
        rule's SoC threshold (see the README's operations section for the rule)."""
        station = (
            await db_session.execute(select(ChargingStation).where(ChargingStation.ocpp_id == charger_id))
        ).scalar_one_or_none()
        if station is None or not site_scope.allows(station.location_id):
            raise NotFound(f"No charger {charger_id!r}.")
        ratings: dict[int, tuple[float | None, bool]] = {}
        rows = await db_session.execute(
            select(Evse.ocpp_evse_id, Connector.max_electric_power, Connector.power_type)
            .join(Connector, Connector.evse_id == Evse.id)
            .where(Evse.charging_station_id == station.id, Evse.ocpp_evse_id.is_not(None))
        )
        for evse_id, power, kind in rows:
            if evse_id is None:
                continue
            best, dc = ratings.get(evse_id, (None, False))
            if power and (best is None or power > best):
                best = float(power)
            ratings[evse_id] = (best, dc or kind.startswith("DC"))
        baselines: dict[int, list[BandBaseline]] = {}
        for row in (
            await db_session.execute(
                select(PowerBaseline)
                .where(PowerBaseline.charging_station_id == station.id)
                .order_by(PowerBaseline.connector_id, PowerBaseline.soc_band)
            )
        ).scalars():
            baselines.setdefault(row.connector_id, []).append(
                BandBaseline(soc_band=band_label(row.soc_band), power_kw=_kw(row.power_w) or 0.0, sessions=row.sessions)
            )
        findings: dict[int, list[Finding]] = {}
        for flag in (
            await db_session.execute(
                select(PerformanceFlag)
                .where(PerformanceFlag.charging_station_id == station.id)
                .order_by(PerformanceFlag.connector_id, PerformanceFlag.rule)
            )
        ).scalars():
            findings.setdefault(flag.connector_id, []).append(
                Finding(rule=flag.rule, active=flag.active, since=flag.since, detail=dict(flag.detail or {}))
            )
        connector_ids = sorted({*ratings, *baselines, *findings})
        sessions = (
            await db_session.execute(
                select(SessionPerformance)
                .where(SessionPerformance.charging_station_id == station.id)
                .order_by(SessionPerformance.ended_at.desc())
                .limit(RECENT_SESSIONS)
            )
        ).scalars()
        return ChargerPerformance(
            charger_id=station.ocpp_id,
            vendor=station.vendor,
            model=station.model,
            firmware_version=station.firmware_version,
            connectors=[
                ConnectorPerformance(
                    connector_id=connector_id,
                    rating_kw=_kw(ratings.get(connector_id, (None, False))[0]),
                    dc=ratings.get(connector_id, (None, False))[1],
                    baseline=baselines.get(connector_id, []),
                    findings=findings.get(connector_id, []),
                )
                for connector_id in connector_ids
            ],
            sessions=[
                SessionFinding(
                    transaction_id=row.transaction_id,
                    connector_id=row.connector_id,
                    started_at=row.started_at,
                    ended_at=row.ended_at,
                    energy_kwh=round(row.energy_wh / 1000, 3),
                    soc_start=row.soc_start,
                    soc_end=row.soc_end,
                    judged=row.judged,
                    derating=row.derating,
                    delivered_kw=_kw(row.delivered_w),
                    expected_kw=_kw(row.expected_w),
                    ratio=row.ratio,
                    basis=row.basis,
                    ev_max_power_kw=_kw(row.ev_max_power_w),
                    limited=row.limited,
                    anomalies=list(row.anomalies or []),
                )
                for row in sessions
            ],
        )

    @get("/derating", summary="Connectors derating now, worst first")
    async def derating(
        self,
        db_session: DbSession,
        site_scope: CallerScope,
        limit: Annotated[int, Parameter(ge=1, le=1000, description="At most this many")] = 200,
    ) -> list[DeratingConnector]:
        """A connector derates when its recent sessions deliver well below its rating or its own baseline while the
        car could take more; it leaves this list with its first normal session."""
        rows = await db_session.execute(
            select(PerformanceFlag, ChargingStation)
            .join(ChargingStation, ChargingStation.id == PerformanceFlag.charging_station_id)
            .where(
                PerformanceFlag.rule == "derating",
                PerformanceFlag.active.is_(True),
                site_scope.where(ChargingStation.location_id),
            )
            .order_by(PerformanceFlag.ratio.asc().nulls_last(), ChargingStation.ocpp_id, PerformanceFlag.connector_id)
            .limit(limit)
        )
        return [
            DeratingConnector(
                charger_id=station.ocpp_id,
                connector_id=flag.connector_id,
                location_id=station.location_id,
                vendor=station.vendor,
                model=station.model,
                firmware_version=station.firmware_version,
                since=flag.since,
                ratio=flag.ratio,
                detail=dict(flag.detail or {}),
            )
            for flag, station in rows
        ]
