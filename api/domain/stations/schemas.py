"""Wire shapes of the map endpoints (camelCase, app API)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated

import msgspec

from api.schema import AppStruct, FreeText


class Coordinates(AppStruct):
    latitude: float
    longitude: float


class ConnectorPrice(AppStruct):
    """What charging at this connector costs right now, VAT included, and the tariff in words."""

    currency: str
    per_kwh: Decimal | None
    per_hour: Decimal | None
    per_session: Decimal | None
    text: str


class ConnectorView(AppStruct):
    id: str
    standard: str
    format: str
    power_type: str
    max_power_kw: float | None
    max_voltage: int | None
    max_amperage: int | None
    price: ConnectorPrice | None


class EvseView(AppStruct):
    uid: str
    emi3_evse_id: str | None
    status: str
    # live (our charger, heard from), offline (our charger, silent), reported (a feed's word), maintenance (a work
    # order holds it out of service)
    status_source: str
    status_updated_at: datetime
    capabilities: list[str]
    connectors: list[ConnectorView]
    status_reason: str | None = None  # in words, when it is out of service: "Under maintenance: annual test"


class StationSummary(AppStruct):
    id: uuid.UUID
    name: str | None
    address: str
    city: str
    postal_code: str | None
    country: str
    coordinates: Coordinates
    distance_meters: float | None
    operator: str | None
    time_zone: str
    open_now: bool | None
    evse_count: int
    available_evse_count: int
    max_power_kw: float | None
    connector_standards: list[str]
    evses: list[EvseView]


class StationPage(AppStruct):
    items: list[StationSummary]
    next_cursor: str | None


class RegularHoursView(AppStruct):
    weekday: int
    period_begin: str
    period_end: str


class OpeningHoursView(AppStruct):
    twentyfourseven: bool
    regular_hours: list[RegularHoursView]


class StationDetail(StationSummary):
    state: str | None
    parking_type: str | None
    facilities: list[str]
    opening_times: OpeningHoursView | None
    last_updated: datetime


class Cluster(AppStruct):
    latitude: float
    longitude: float
    locations: int
    evses: int
    available_evses: int
    max_power_kw: float | None


class ClusterPage(AppStruct):
    cell_degrees: float
    clusters: list[Cluster]


class ReportCategory(AppStruct):
    id: str
    title: str


ReportText = Annotated[FreeText, msgspec.Meta(max_length=2000)]


class ProblemReportRequest(AppStruct):
    category: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    text: ReportText = ""
    evse_uid: Annotated[str, msgspec.Meta(min_length=1, max_length=36)] | None = None


class ProblemReport(AppStruct):
    id: uuid.UUID
    location_id: uuid.UUID
    evse_uid: str | None
    category: str
    text: str
    status: str
    created_at: datetime
    ticket_number: str | None = None  # the support ticket following the report up, e.g. T-000042


class Favourite(AppStruct):
    location_id: uuid.UUID
    created_at: datetime
    station: StationSummary | None
