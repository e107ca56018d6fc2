"""Charger password rotation: a new Basic auth secret is sent to the charger and kept once it accepts.

The states of ``charging_stations.password_rotation`` (the new secret's hash waits in ``pending_password_hash``):

- ``sent``: stored before the command leaves, so a charger that switches at once (or a server that restarts
  while the answer is on its way) is not locked out;
- ``accepted``: the charger said Accepted (or RebootRequired);
- ``unconfirmed``: no answer (timeout, dropped connection): the charger may or may not have switched.

In each of these the old and the new secret both open the door; the first connection with the new one makes
it the only one (``promote``). A refusal (Rejected, NotSupported, a CallError, a command that never left)
forgets the new secret at once. Each outcome is audited; the secret itself never is.

Wire format: OCPP 1.6 (Security Whitepaper) carries the password in the ``AuthorizationKey`` configuration key
as the hexadecimal form of its 16 to 40 bytes; the charger sends those bytes as its Basic auth password. Our
secrets are printable ASCII, so the bytes are the secret's characters. OCPP 2.0.1 sets the password itself in
``SecurityCtrlr.BasicAuthPassword``.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import ChargingStation
from api.db.types import utc_now
from api.domain.chargers.credentials import MIN_CHARGER_SECRET_LENGTH, hash_charger_secret
from api.domain.chargers.live_writer import table_of
from ocpp_bridge import commands as ocpp_commands
from ocpp_bridge import errors as ocpp_errors

MAX_CHARGER_SECRET_LENGTH = 40  # 1.6 AuthorizationKey: 40 bytes; 2.0.1 BasicAuthPassword: 40 characters
V201_PASSWORD_KEY = "SecurityCtrlr.BasicAuthPassword"
_TAKEN = frozenset({"Accepted", "RebootRequired"})


def authorization_key(secret: str) -> str:
    """The 1.6 AuthorizationKey value for a password: its bytes in hexadecimal."""
    return secret.encode("utf-8").hex()


def secret_from_authorization_key(value: str) -> str:
    """The password a 1.6 AuthorizationKey value stands for; InvalidCommand unless it is 16 to 40 bytes of hex that
    form a password our Basic auth check can read (UTF-8)."""
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        msg = "AuthorizationKey must be the password in hexadecimal (32 to 80 hex digits)"
        raise ocpp_errors.InvalidCommand(msg) from None
    if not MIN_CHARGER_SECRET_LENGTH <= len(raw) <= MAX_CHARGER_SECRET_LENGTH:
        msg = f"AuthorizationKey must encode 16 to 40 bytes, got {len(raw)}"
        raise ocpp_errors.InvalidCommand(msg)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        msg = "AuthorizationKey must encode a password of UTF-8 text (Basic auth passwords are read as UTF-8)"
        raise ocpp_errors.InvalidCommand(msg) from None


def _checked_password(secret: str) -> str:
    if not MIN_CHARGER_SECRET_LENGTH <= len(secret) <= MAX_CHARGER_SECRET_LENGTH:
        msg = "BasicAuthPassword must have 16 to 40 characters"
        raise ocpp_errors.InvalidCommand(msg)
    return secret


def _is_password_variable(item: Any) -> bool:
    return (
        isinstance(item, dict)
        and isinstance(item.get("component"), dict)
        and isinstance(item.get("variable"), dict)
        and item["component"].get("name") == "SecurityCtrlr"
        and item["variable"].get("name") == "BasicAuthPassword"
    )


def _payload(request: ocpp_commands.OcppCall) -> Any:
    try:
        return msgspec.json.decode(bytes(request.payload))
    except msgspec.DecodeError:
        return None


PASSWORD_ALONE = (
    "the charger password is set on its own: send SecurityCtrlr.BasicAuthPassword alone (it becomes a password "
    "rotation: kept once the charger accepts, the old one working until the charger reconnects with the new)"
)


def password_setting(component: str, variable: str | None) -> bool:
    return (component, variable) == ("SecurityCtrlr", "BasicAuthPassword")


def new_password_in(request: ocpp_commands.CommandRequest) -> str | None:
    """The charger password a command sets, if it sets one, whichever admin path it came by; InvalidCommand when
    the password comes with other variables (a rotation sends the password alone)."""
    if isinstance(request, ocpp_commands.SetVariables):
        passwords = [v.value for v in request.variables if password_setting(v.component, v.variable)]
        if not passwords:
            return None
        if len(request.variables) > 1:
            raise ocpp_errors.InvalidCommand(PASSWORD_ALONE)
        return _checked_password(passwords[0])
    if isinstance(request, ocpp_commands.ChangeConfiguration):
        if request.key == "AuthorizationKey":
            return secret_from_authorization_key(request.value)
        if request.key == V201_PASSWORD_KEY:
            return _checked_password(request.value)
        return None
    if not isinstance(request, ocpp_commands.OcppCall):
        return None
    payload = _payload(request)
    if not isinstance(payload, dict):
        return None
    if request.action == "ChangeConfiguration" and payload.get("key") == "AuthorizationKey":
        value = payload.get("value")
        return secret_from_authorization_key(value) if isinstance(value, str) else None
    if request.action == "SetVariables":
        items = payload.get("setVariableData") or []
        for item in items:
            if _is_password_variable(item) and isinstance(item.get("attributeValue"), str):
                if len(items) > 1:
                    raise ocpp_errors.InvalidCommand(PASSWORD_ALONE)
                return _checked_password(item["attributeValue"])
    return None


def rotation_request(secret: str, ocpp_version: str) -> ocpp_commands.CommandRequest:
    """The command that gives a charger of ``ocpp_version`` the password ``secret``."""
    if ocpp_version == "1.6":
        return ocpp_commands.ChangeConfiguration(key="AuthorizationKey", value=authorization_key(secret))
    return ocpp_commands.ChangeConfiguration(key=V201_PASSWORD_KEY, value=secret)


def charger_took_it(result: ocpp_commands.CommandResult) -> bool:
    """Whether the charger's answer means it uses (or will use after a reboot) the new password."""
    if isinstance(result, ocpp_commands.StatusResult):
        return result.status in _TAKEN
    if isinstance(result, ocpp_commands.OcppCallResult):
        try:
            payload = msgspec.json.decode(bytes(result.payload))
        except msgspec.DecodeError:
            return False
        if not isinstance(payload, dict):
            return False
        if isinstance(payload.get("status"), str):  # 1.6 ChangeConfiguration
            return payload["status"] in _TAKEN
        for item in payload.get("setVariableResult") or []:
            if _is_password_variable(item):
                return item.get("attributeStatus") in _TAKEN
    return False


# -- stored state ---------------------------------------------------------------------------------------------

_stations = table_of(ChargingStation)


async def begin(session_factory: async_sessionmaker[AsyncSession], station_id: uuid.UUID, secret: str) -> str:
    """Store the new secret's hash as pending (``sent``) before it leaves; returns the hash."""
    pending = hash_charger_secret(secret)
    async with session_factory() as session, session.begin():
        await session.execute(
            update(_stations)
            .where(_stations.c.id == station_id)
            .values(pending_password_hash=pending, password_rotation="sent", password_rotated_at=utc_now())
        )
    return pending


async def settle(
    session_factory: async_sessionmaker[AsyncSession], station_id: uuid.UUID, pending: str, state: str | None
) -> None:
    """Move this rotation to ``state``; None forgets the new secret. A later rotation's secret is left alone."""
    values: dict[str, object] = {"password_rotation": state, "password_rotated_at": utc_now()}
    if state is None:
        values["pending_password_hash"] = None
    async with session_factory() as session, session.begin():
        await session.execute(
            update(_stations)
            .where(_stations.c.id == station_id, _stations.c.pending_password_hash == pending)
            .values(**values)
        )


async def promote(session_factory: async_sessionmaker[AsyncSession], station_id: uuid.UUID, pending: str) -> bool:
    """The charger connected with its new secret: it becomes the only one. False if another process did it."""
    async with session_factory() as session, session.begin():
        result = await session.execute(
            update(_stations)
            .where(_stations.c.id == station_id, _stations.c.pending_password_hash == pending)
            .values(
                password_hash=pending,
                pending_password_hash=None,
                password_rotation=None,
                password_rotated_at=utc_now(),
            )
        )
    return bool(getattr(result, "rowcount", 0))


def outcome_state(error: BaseException | None, took_it: bool) -> str | None:
    """The rotation state after the command ended with ``error`` (or an answer that ``took_it`` or not)."""
    if error is None:
        return "accepted" if took_it else None
    if isinstance(error, ocpp_errors.CommandTimeout | ocpp_errors.ChargerDisconnected):
        return "unconfirmed"
    return None
