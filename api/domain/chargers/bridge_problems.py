"""The OCPP bridge's errors as problem details: one mapping for every operator endpoint that reaches a charger.

404 an unknown charger or command; 422 a command our own checks refuse before it is sent (naming the field when
known); 409 the charger is not connected; 504 it did not answer in time; 502 it answered with a CallError or with
nonsense (or the process holding it could not be reached).
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from api.domain.chargers.operations import UnknownCharger
from api.domain.chargers.provisioning import ProvisioningError
from api.errors import BadGateway, ChargerOffline, FieldError, GatewayTimeout, InvalidInput, NotFound, VoltwayError
from ocpp_bridge import errors as ocpp_errors

T = TypeVar("T")


def _problem(exc: Exception, charger_id: str) -> VoltwayError | None:
    """The problem ``exc`` stands for; None for an exception that is no charger's or bridge's."""
    if isinstance(exc, UnknownCharger | ocpp_errors.UnknownCommand):
        return NotFound(str(exc))
    if isinstance(exc, ocpp_errors.PayloadInvalid):
        return InvalidInput([FieldError(exc.location, str(exc))])
    if isinstance(exc, ocpp_errors.InvalidCommand | ProvisioningError):
        return InvalidInput([FieldError("body", str(exc))])
    if isinstance(exc, ocpp_errors.ChargerNotConnected | ocpp_errors.ChargerDisconnected):
        return ChargerOffline(f"Charger {charger_id!r} is not connected: {exc}")
    if isinstance(exc, ocpp_errors.CommandTimeout):
        return GatewayTimeout(str(exc))
    if isinstance(exc, ocpp_errors.OcppBridgeError):  # CommandRejected, InvalidCommandResult, the password not taken
        return BadGateway(str(exc))
    return None


async def answer(charger_id: str, work: Awaitable[T]) -> T:
    """The result of ``work`` on the charger, or the problem its failure stands for; other exceptions (problems
    already, a feature's own errors) pass through."""
    try:
        return await work
    except Exception as exc:
        problem = _problem(exc, charger_id)
        if problem is None:
            raise
        raise problem from None
