"""GetVariables / SetVariables over a real websocket to a hand-driven 2.0.1 charger: the bridge asks the charger
for its DeviceDataCtrlr limits, splits a large request by item count and by bytes, and merges the answers in
order; every message it sends is checked against the official schemas by the test charger."""

from __future__ import annotations

import json
from typing import Any

from ocpp_bridge import commands
from ocpp_bridge.device_model import ComponentVariable, VariableSetting
from tests.e2e.ocpp_bridge.backend_for_tests import running_bridge
from tests.e2e.ocpp_bridge.ocpp_charger_for_tests import charger


def _limits(items: int | None, size: int | None) -> Any:
    """A charger that reports ``items`` / ``size`` as its limits and answers every other variable with its name."""

    def answer(payload: dict[str, Any]) -> dict[str, Any]:
        results = []
        for item in payload["getVariableData"]:
            name = item["variable"]["name"]
            limit = {"ItemsPerMessage": items, "BytesPerMessage": size}.get(name, name)
            result = {"component": item["component"], "variable": item["variable"]}
            if item["component"]["name"] == "DeviceDataCtrlr" and limit is None:
                result["attributeStatus"] = "UnknownVariable"
            else:
                result |= {"attributeStatus": "Accepted", "attributeValue": str(limit)}
            results.append(result)
        return {"getVariableResult": results}

    return answer


def _wanted(count: int) -> tuple[ComponentVariable, ...]:
    return tuple(ComponentVariable(component="Controller", variable=f"Variable{n:02d}") for n in range(count))


async def test_ten_variables_go_in_three_messages_when_the_charger_takes_four() -> None:
    async with running_bridge() as (bridge, _backend), charger(bridge.port, "CP-DM1", "2.0.1") as station:
        station.answers["GetVariables"] = _limits(4, None)
        result = await bridge.send_command("CP-DM1", commands.GetVariables(variables=_wanted(10)))
    assert isinstance(result, commands.VariablesResult)
    assert result.messages == 3
    assert [o.value for o in result.variables] == [f"Variable{n:02d}" for n in range(10)]
    sent = [payload["getVariableData"] for action, payload in station.received_commands if action == "GetVariables"]
    assert [item["variable"]["name"] for item in sent[0]] == ["ItemsPerMessage", "BytesPerMessage"]  # asked first
    assert [len(items) for items in sent[1:]] == [4, 4, 2]


async def test_a_byte_limit_splits_set_variables_and_the_answers_come_back_in_order() -> None:
    limit = 600
    async with running_bridge() as (bridge, _backend), charger(bridge.port, "CP-DM2", "2.0.1") as station:
        station.answers["GetVariables"] = _limits(None, limit)
        settings = tuple(
            VariableSetting(component="Controller", variable=f"Text{n}", value="x" * 100) for n in range(8)
        )
        result = await bridge.send_command("CP-DM2", commands.SetVariables(variables=settings))
    assert isinstance(result, commands.VariablesResult)
    assert [(o.variable, o.status, o.value) for o in result.variables] == [
        (f"Text{n}", "Accepted", "x" * 100) for n in range(8)
    ]
    sets = [payload for action, payload in station.received_commands if action == "SetVariables"]
    assert len(sets) == result.messages > 1
    for payload in sets:
        assert len(json.dumps([2, "0" * 36, "SetVariables", payload], separators=(",", ":"))) <= limit


async def test_limits_given_by_the_caller_are_used_without_asking() -> None:
    async with running_bridge() as (bridge, _backend), charger(bridge.port, "CP-DM3", "2.0.1") as station:
        station.answers["GetVariables"] = _limits(100, None)
        result = await bridge.send_command("CP-DM3", commands.GetVariables(variables=_wanted(5), items_per_message=2))
    assert isinstance(result, commands.VariablesResult)
    assert result.messages == 3
    assert [len(p["getVariableData"]) for _a, p in station.received_commands] == [2, 2, 1]
