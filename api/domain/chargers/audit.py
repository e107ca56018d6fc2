"""The trail of what operators sent to chargers (`charger_commands_audit`): who, when, what, and how it ended.

Payloads are stored with every secret taken out: a charger password (1.6 AuthorizationKey, 2.0.1
BasicAuthPassword) or any other field named like a password never reaches the table.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import ChargerCommandAudit
from api.db.types import utc_now
from api.schema import AppStruct
from api.security.tokens import Principal
from ocpp_bridge import commands as ocpp_commands
from ocpp_bridge import errors as ocpp_errors

REDACTED = "[redacted]"
# 1.6 configuration keys / 2.0.1 variables whose value is a secret
SECRET_KEYS = frozenset({"AuthorizationKey", "SecurityCtrlr.BasicAuthPassword", "BasicAuthPassword"})


class Operator(msgspec.Struct, frozen=True):
    """Who sends a command: an admin of the API, or the command line (``admin_id`` None)."""

    actor: str
    admin_id: uuid.UUID | None = None

    @classmethod
    def admin(cls, user_id: uuid.UUID) -> Operator:
        return cls(actor=f"admin {user_id}", admin_id=user_id)

    @classmethod
    def of(cls, principal: Principal) -> Operator:
        """A signed-in admin or operator (the audit names the role that acted)."""
        return cls(actor=f"{principal.role} {principal.user_id}", admin_id=principal.user_id)


CLI = Operator(actor="cli")
CHARGER = Operator(actor="charger")  # what the charger itself completed, e.g. reconnecting with a new secret


class AuditEntry(AppStruct):
    at: datetime
    actor: str
    admin_id: uuid.UUID | None
    action: str
    outcome: str
    detail: str | None
    payload: dict[str, Any]


def _scrub(value: Any) -> Any:
    """``value`` with every password-like field, and the value of a secret configuration key, replaced."""
    if isinstance(value, dict):
        key = value.get("key")
        secret = isinstance(key, str) and key in SECRET_KEYS
        variable = value.get("variable")
        if isinstance(variable, dict) and variable.get("name") in SECRET_KEYS:
            secret = True
        if isinstance(variable, str) and variable in SECRET_KEYS:  # the named set-variables command
            secret = True
        scrubbed: dict[str, Any] = {}
        for name, item in value.items():
            if "password" in name.lower() or (secret and name in {"value", "attributeValue"}):
                scrubbed[name] = REDACTED
            else:
                scrubbed[name] = _scrub(item)
        return scrubbed
    if isinstance(value, list | tuple):
        return [_scrub(item) for item in value]
    return value


def audit_payload(request: ocpp_commands.CommandRequest) -> dict[str, Any]:
    """The request as stored in the audit: the arguments of a named command, or an OCPP payload, without secrets."""
    if isinstance(request, ocpp_commands.OcppCall):
        try:
            payload = msgspec.json.decode(bytes(request.payload))
        except msgspec.DecodeError:
            payload = None
        scrubbed = _scrub(payload if isinstance(payload, dict) else {})
        return scrubbed if isinstance(scrubbed, dict) else {}
    builtins = msgspec.to_builtins(request)
    builtins.pop("command", None)
    scrubbed = _scrub(builtins)
    return scrubbed if isinstance(scrubbed, dict) else {}


def action_of(request: ocpp_commands.CommandRequest) -> str:
    """The audited action: the OCPP action of a generic call, else the registry command's name."""
    if isinstance(request, ocpp_commands.OcppCall):
        return request.action
    return ocpp_commands.command_name(request)


def outcome_of_result(result: ocpp_commands.CommandResult) -> str:
    status = getattr(result, "status", None)
    if isinstance(status, str):
        return status
    if isinstance(result, ocpp_commands.OcppCallResult):
        try:
            payload = msgspec.json.decode(bytes(result.payload))
        except msgspec.DecodeError:
            return "answered"
        if isinstance(payload, dict) and isinstance(payload.get("status"), str):
            return str(payload["status"])
    return "answered"


def outcome_of_error(exc: BaseException) -> str:
    if isinstance(exc, ocpp_errors.CommandRejected):
        return f"CallError {exc.code}"[:32]
    return ocpp_errors.command_outcome(exc)


async def record(
    session_factory: async_sessionmaker[AsyncSession],
    station_id: uuid.UUID,
    operator: Operator,
    action: str,
    outcome: str,
    *,
    detail: str | None = None,
    payload: dict[str, Any] | None = None,
) -> None:
    async with session_factory() as session, session.begin():
        await session.execute(
            insert(ChargerCommandAudit).values(
                id=uuid.uuid4(),
                charging_station_id=station_id,
                admin_id=operator.admin_id,
                actor=operator.actor[:64],
                action=action[:64],
                at=utc_now(),
                outcome=outcome[:32],
                detail=None if detail is None else detail[:255],
                payload=payload or {},
            )
        )


async def list_entries(session: AsyncSession, station_id: uuid.UUID, limit: int = 200) -> list[AuditEntry]:
    """The newest entries first."""
    rows = (
        await session.execute(
            select(ChargerCommandAudit)
            .where(ChargerCommandAudit.charging_station_id == station_id)
            .order_by(ChargerCommandAudit.at.desc())
            .limit(limit)
        )
    ).scalars()
    return [
        AuditEntry(
            at=row.at,
            actor=row.actor,
            admin_id=row.admin_id,
            action=row.action,
            outcome=row.outcome,
            detail=row.detail,
            payload=row.payload,
        )
        for row in rows
    ]
