"""Every operator endpoint that reaches a charger answers the bridge's failures with the same problem statuses."""

from __future__ import annotations

import pytest

from api.domain.chargers.bridge_problems import answer
from api.domain.chargers.operations import PasswordNotTaken, UnknownCharger
from api.domain.chargers.provisioning import ProvisioningError
from api.errors import InvalidInput, VoltwayError
from ocpp_bridge import errors as ocpp_errors

CASES: list[tuple[Exception, int]] = [
    (UnknownCharger("No charger 'CP-1'."), 404),
    (ocpp_errors.UnknownCommand("unknown command 'fly'"), 404),
    (ocpp_errors.InvalidCommand("OCPP 1.6 transaction ids are integers"), 422),  # our own checks, before sending
    (ocpp_errors.PayloadInvalid("ChangeAvailability: Expected `int`", "$.connectorId"), 422),
    (ProvisioningError("a charger has between 1 and 64 EVSEs"), 422),
    (ocpp_errors.ChargerNotConnected("CP-1 is not connected"), 409),
    (ocpp_errors.ChargerDisconnected("CP-1 disconnected"), 409),
    (ocpp_errors.CommandTimeout("CP-1 did not answer Reset within 30 s"), 504),
    (ocpp_errors.CommandRejected("NotSupported", "no resets here"), 502),  # the charger's CallError
    (ocpp_errors.InvalidCommandResult("Reset result from CP-1 is invalid"), 502),
    (PasswordNotTaken("CP-1 answered Rejected"), 502),
    (ocpp_errors.CommandError("could not reach process p-2 holding CP-1"), 502),
]


async def _failing(exc: Exception) -> None:
    raise exc


@pytest.mark.parametrize(("failure", "status"), CASES, ids=[type(exc).__name__ for exc, _ in CASES])
async def test_each_failure_is_one_problem_status(failure: Exception, status: int) -> None:
    with pytest.raises(VoltwayError) as problem:
        await answer("CP-1", _failing(failure))
    assert problem.value.status_code == status


async def test_a_payload_the_schema_refuses_names_the_field() -> None:
    with pytest.raises(InvalidInput) as problem:
        await answer("CP-1", _failing(ocpp_errors.PayloadInvalid("bad", "$.connectorId")))
    assert [error.field for error in problem.value.errors] == ["$.connectorId"]


async def test_other_failures_and_results_pass_through() -> None:
    with pytest.raises(KeyError):
        await answer("CP-1", _failing(KeyError("not the bridge's")))

    async def accepted() -> str:
        return "Accepted"

    assert await answer("CP-1", accepted()) == "Accepted"
