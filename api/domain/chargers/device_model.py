"""A charger's stored device model: NotifyReport parts upserted as variables, GetVariables / SetVariables sent in as
many messages as the charger's ``DeviceDataCtrlr`` limits allow and their answers written back, and the admin view.

The 1.6 GetConfiguration answer is stored as variables of the pseudo-component ``OCPP16Configuration``, so one view
shows the configuration of chargers of either version.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import Select, and_, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import ChargerVariable
from api.db.types import utc_now
from api.schema import AppStruct
from ocpp_bridge import commands
from ocpp_bridge.device_model import ComponentVariable, VariableOutcome, VariableSetting
from ocpp_bridge.events import ReportedVariable, ReportReceived

T = TypeVar("T")
V16_COMPONENT = "OCPP16Configuration"
# Variables per command, about: the answer to one command crosses the relay between processes in one NOTIFY
# (under 8000 bytes). The bridge splits each command further by the charger's own limits.
VARIABLES_PER_COMMAND = 10
_LIMIT_COMPONENT = "DeviceDataCtrlr"
_UPDATED_ON_CONFLICT = (
    "component",
    "component_instance",
    "evse_id",
    "connector_id",
    "variable",
    "variable_instance",
    "attribute_type",
    "value",
    "reported_at",
)
_CHARACTERISTICS = (
    "mutability",
    "persistent",
    "constant",
    "data_type",
    "unit",
    "min_limit",
    "max_limit",
    "values_list",
    "supports_monitoring",
    "request_id",
)


class CommandSender(Protocol):
    """The bridge's ``send_command``: here or through the relay on the process that holds the charger."""

    async def send_command(
        self, charger_id: str, request: commands.CommandRequest, reply_timeout: float | None = None
    ) -> commands.CommandResult: ...


def insert_for(session: AsyncSession) -> Any:
    """The dialect's INSERT with ON CONFLICT support."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def variable_key(
    component: str,
    component_instance: str | None,
    evse_id: int | None,
    connector_id: int | None,
    variable: str,
    variable_instance: str | None,
    attribute_type: str | None,
) -> str:
    parts = (component, component_instance, evse_id, connector_id, variable, variable_instance, attribute_type)
    return "|".join("" if part is None else str(part) for part in parts[:-1]) + f"|{attribute_type or 'Actual'}"


async def upsert_variables(session: AsyncSession, rows: Iterable[dict[str, Any]], *, full: bool) -> None:
    """Insert or update variable rows by key; ``full`` rows (from a report) also replace the characteristics."""
    unique = {(row["charging_station_id"], row["key"]): row for row in rows}
    if not unique:
        return
    statement = insert_for(session)(ChargerVariable)
    updated = _UPDATED_ON_CONFLICT + (_CHARACTERISTICS if full else ())
    statement = statement.on_conflict_do_update(
        index_elements=["charging_station_id", "key"],
        set_={name: getattr(statement.excluded, name) for name in updated},
    )
    await session.execute(statement, list(unique.values()))


def _report_rows(
    station_id: uuid.UUID, reported: ReportedVariable, request_id: int, at: datetime
) -> list[dict[str, Any]]:
    found = reported.characteristics
    return [
        {
            "charging_station_id": station_id,
            "key": variable_key(
                reported.component,
                reported.component_instance,
                reported.evse_id,
                reported.connector_id,
                reported.variable,
                reported.instance,
                attribute.type,
            ),
            "component": reported.component,
            "component_instance": reported.component_instance,
            "evse_id": reported.evse_id,
            "connector_id": reported.connector_id,
            "variable": reported.variable,
            "variable_instance": reported.instance,
            "attribute_type": attribute.type,
            "value": attribute.value,
            "mutability": attribute.mutability,
            "persistent": attribute.persistent,
            "constant": attribute.constant,
            "data_type": None if found is None else found.data_type,
            "unit": None if found is None else found.unit,
            "min_limit": None if found is None else found.min_limit,
            "max_limit": None if found is None else found.max_limit,
            "values_list": None if found is None else found.values_list,
            "supports_monitoring": None if found is None else found.supports_monitoring,
            "request_id": request_id,
            "reported_at": at,
        }
        for attribute in reported.attributes
    ]


async def store_report(session: AsyncSession, station_id: uuid.UUID, event: ReportReceived) -> None:
    """One NotifyReport part: every reported attribute of every variable, with its characteristics."""
    rows = [
        row
        for reported in event.variables
        for row in _report_rows(station_id, reported, event.request_id, event.received_at)
    ]
    await upsert_variables(session, rows, full=True)


def _outcome_rows(station_id: uuid.UUID, outcomes: Iterable[VariableOutcome], at: datetime) -> list[dict[str, Any]]:
    return [
        {
            "charging_station_id": station_id,
            "key": variable_key(
                o.component,
                o.component_instance,
                o.evse_id,
                o.connector_id,
                o.variable,
                o.variable_instance,
                o.attribute_type,
            ),
            "component": o.component,
            "component_instance": o.component_instance,
            "evse_id": o.evse_id,
            "connector_id": o.connector_id,
            "variable": o.variable,
            "variable_instance": o.variable_instance,
            "attribute_type": o.attribute_type or "Actual",
            "value": o.value,
            "reported_at": at,
        }
        for o in outcomes
        if o.status == "Accepted" and o.value is not None
    ]


# -- admin view ------------------------------------------------------------------------------------------------


class VariableView(AppStruct):
    component: str
    variable: str
    attribute_type: str
    value: str | None
    reported_at: datetime
    component_instance: str | None = None
    variable_instance: str | None = None
    evse_id: int | None = None
    connector_id: int | None = None
    mutability: str | None = None
    persistent: bool | None = None
    constant: bool | None = None
    data_type: str | None = None
    unit: str | None = None
    min_limit: float | None = None
    max_limit: float | None = None
    values_list: str | None = None
    supports_monitoring: bool | None = None


class ConfigurationRefresh(AppStruct):
    """A 2.0.1 charger reports under ``requestId`` (see its requests of kind ``report``); a 1.6 one answered at once
    and ``stored`` keys were stored."""

    ocpp_version: str
    status: str
    request_id: int | None = None
    stored: int = 0


class VariablePage(AppStruct):
    items: list[VariableView]
    total: int
    next_cursor: str | None = None


def _filtered(
    query: Select[Any], station_id: uuid.UUID, component: str | None, variable: str | None, evse: int | None
) -> Select[Any]:
    conditions = [ChargerVariable.charging_station_id == station_id]
    if component is not None:
        conditions.append(ChargerVariable.component == component)
    if variable is not None:
        conditions.append(ChargerVariable.variable == variable)
    if evse is not None:
        conditions.append(ChargerVariable.evse_id == evse)
    return query.where(and_(*conditions))


async def list_variables(
    session: AsyncSession,
    station_id: uuid.UUID,
    *,
    component: str | None = None,
    variable: str | None = None,
    evse: int | None = None,
    offset: int = 0,
    limit: int = 100,
) -> VariablePage:
    """The stored device model in a stable order (component, EVSE, connector, variable, attribute)."""
    total = (
        await session.execute(_filtered(select(func.count(ChargerVariable.id)), station_id, component, variable, evse))
    ).scalar_one()
    query = _filtered(select(ChargerVariable), station_id, component, variable, evse).order_by(
        ChargerVariable.component,
        ChargerVariable.component_instance,
        ChargerVariable.evse_id,
        ChargerVariable.connector_id,
        ChargerVariable.variable,
        ChargerVariable.variable_instance,
        ChargerVariable.attribute_type,
    )
    rows = (await session.execute(query.offset(offset).limit(limit))).scalars().all()
    items = [
        VariableView(
            component=row.component,
            variable=row.variable,
            attribute_type=row.attribute_type,
            value=row.value,
            reported_at=row.reported_at,
            component_instance=row.component_instance,
            variable_instance=row.variable_instance,
            evse_id=row.evse_id,
            connector_id=row.connector_id,
            mutability=row.mutability,
            persistent=row.persistent,
            constant=row.constant,
            data_type=row.data_type,
            unit=row.unit,
            min_limit=row.min_limit,
            max_limit=row.max_limit,
            values_list=row.values_list,
            supports_monitoring=row.supports_monitoring,
        )
        for row in rows
    ]
    more = offset + len(items) < total
    return VariablePage(items=items, total=total, next_cursor=str(offset + len(items)) if more else None)


# -- GetVariables / SetVariables with write-back -----------------------------------------------------------------


async def stored_limits(session: AsyncSession, station_id: uuid.UUID, action: str) -> tuple[int | None, int | None]:
    """``DeviceDataCtrlr.ItemsPerMessage`` / ``BytesPerMessage`` for ``action`` as last reported by the charger."""
    rows = (
        await session.execute(
            select(ChargerVariable.variable, ChargerVariable.value).where(
                ChargerVariable.charging_station_id == station_id,
                ChargerVariable.component == _LIMIT_COMPONENT,
                ChargerVariable.variable.in_(("ItemsPerMessage", "BytesPerMessage")),
                ChargerVariable.variable_instance == action,
                ChargerVariable.attribute_type == "Actual",
            )
        )
    ).all()
    found = {name: int(value) for name, value in rows if value is not None and value.strip().isdigit()}
    return found.get("ItemsPerMessage"), found.get("BytesPerMessage")


class DeviceModelService:
    """Reads and writes a charger's variables over OCPP and keeps the stored device model up to date."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], sender: CommandSender) -> None:
        self._session_factory = session_factory
        self._sender = sender

    async def _limits(self, station_id: uuid.UUID, charger_id: str, action: str) -> tuple[int | None, int | None]:
        """From the stored device model; asked of the charger (and stored) the first time."""
        async with self._session_factory() as session:
            limits = await stored_limits(session, station_id, action)
        if limits != (None, None):
            return limits
        asked = [
            ComponentVariable(component=_LIMIT_COMPONENT, variable=name, variable_instance=action)
            for name in ("ItemsPerMessage", "BytesPerMessage")
        ]
        result = await self._sender.send_command(
            charger_id, commands.GetVariables(variables=tuple(asked), items_per_message=len(asked))
        )
        if isinstance(result, commands.VariablesResult):
            await self._write_back(station_id, result.variables)
        async with self._session_factory() as session:
            limits = await stored_limits(session, station_id, action)
        # A charger that does not report its limits takes what it is sent; 0 would mean "no limit".
        return limits if limits != (None, None) else (0, None)

    async def _write_back(self, station_id: uuid.UUID, outcomes: Sequence[VariableOutcome]) -> None:
        rows = _outcome_rows(station_id, outcomes, utc_now())
        if rows:
            async with self._session_factory() as session, session.begin():
                await upsert_variables(session, rows, full=False)

    async def get_variables(
        self, station_id: uuid.UUID, charger_id: str, variables: Sequence[ComponentVariable]
    ) -> commands.VariablesResult:
        items, size = await self._limits(station_id, charger_id, "GetVariables")
        requests = [
            commands.GetVariables(variables=tuple(batch), items_per_message=items, bytes_per_message=size)
            for batch in _batches(variables, items)
        ]
        return await self._run(station_id, charger_id, requests)

    async def set_variables(
        self, station_id: uuid.UUID, charger_id: str, variables: Sequence[VariableSetting]
    ) -> commands.VariablesResult:
        items, size = await self._limits(station_id, charger_id, "SetVariables")
        requests = [set_variables_command(batch, items, size) for batch in _batches(variables, items)]
        return await self._run(station_id, charger_id, requests)

    async def _run(
        self,
        station_id: uuid.UUID,
        charger_id: str,
        requests: Sequence[commands.GetVariables | commands.SetVariables],
    ) -> commands.VariablesResult:
        """The commands in order, each answer stored before the next is sent; the outcomes merged."""
        outcomes: list[VariableOutcome] = []
        messages = 0
        for request in requests:
            result = await self._sender.send_command(charger_id, request)
            assert isinstance(result, commands.VariablesResult)
            await self._write_back(station_id, result.variables)
            outcomes.extend(result.variables)
            messages += result.messages
        return commands.VariablesResult(variables=tuple(outcomes), messages=messages)

    async def refresh(self, station_id: uuid.UUID, charger_id: str, ocpp_version: str | None) -> ConfigurationRefresh:
        """Ask for the whole configuration: a 2.0.1 full base report (stored as its parts arrive), or the 1.6
        GetConfiguration answer, stored now."""
        if ocpp_version == "2.0.1":
            request_id = secrets.randbelow(2**31)
            answer = await self._sender.send_command(
                charger_id, commands.GetBaseReport(request_id=request_id, report_base="FullInventory")
            )
            status = answer.status if isinstance(answer, commands.StatusResult) else "Accepted"
            return ConfigurationRefresh(ocpp_version="2.0.1", status=status, request_id=request_id)
        result = await self._sender.send_command(charger_id, commands.GetConfiguration())
        assert isinstance(result, commands.ConfigurationResult)
        await self.store_configuration(station_id, result)
        return ConfigurationRefresh(ocpp_version="1.6", status="Accepted", stored=len(result.values))

    async def store_configuration(self, station_id: uuid.UUID, result: commands.ConfigurationResult) -> None:
        """A 1.6 GetConfiguration answer as variables of the pseudo-component ``OCPP16Configuration``."""
        at = utc_now()
        rows = [
            {
                "charging_station_id": station_id,
                "key": variable_key(V16_COMPONENT, None, None, None, value.key[:50], None, "Actual"),
                "component": V16_COMPONENT,
                "component_instance": None,
                "evse_id": None,
                "connector_id": None,
                "variable": value.key[:50],
                "variable_instance": None,
                "attribute_type": "Actual",
                "value": value.value,
                "mutability": None if value.readonly is None else ("ReadOnly" if value.readonly else "ReadWrite"),
                "persistent": None,
                "constant": None,
                "data_type": None,
                "unit": None,
                "min_limit": None,
                "max_limit": None,
                "values_list": None,
                "supports_monitoring": None,
                "request_id": None,
                "reported_at": at,
            }
            for value in result.values
        ]
        if rows:
            async with self._session_factory() as session, session.begin():
                await upsert_variables(session, rows, full=True)


def _batches(items: Sequence[T], items_per_message: int | None) -> list[Sequence[T]]:
    """Commands of whole charger messages (a multiple of its ItemsPerMessage) of about VARIABLES_PER_COMMAND."""
    size = VARIABLES_PER_COMMAND
    if items_per_message:
        size = max(1, VARIABLES_PER_COMMAND // items_per_message) * items_per_message
    return [items[start : start + size] for start in range(0, len(items), size)]


def set_variables_command(
    variables: Sequence[VariableSetting], items_per_message: int | None, bytes_per_message: int | None
) -> commands.SetVariables:
    """The one place the app phrases a SetVariables (a password change can be routed elsewhere from here)."""
    return commands.SetVariables(
        variables=tuple(variables), items_per_message=items_per_message, bytes_per_message=bytes_per_message
    )
