"""The simulated charger as a 2.0.1 station's device model: a few components (station-, EVSE- and connector-level)
with their variables, ``DeviceDataCtrlr.ItemsPerMessage`` of 4 so that central systems have to split, and the
answers to the device model, monitoring, log, customer information, display message and firmware commands, with
the notifications a real station sends after them (NotifyReport in parts, LogStatusNotification, ...)."""

from __future__ import annotations

import json
from collections import deque
from typing import Any

# A 2.0.1 device model: (component, component instance, EVSE, connector, variable, variable instance) -> the
# variable's attributes (type -> value), mutability and characteristics.
DeviceModelKey = tuple[str, str | None, int | None, int | None, str, str | None]
_ITEMS_PER_MESSAGE = "4"  # small, so that a central system has to split its requests
_BYTES_PER_MESSAGE = "8000"


def _entry(
    value: str, data_type: str = "string", mutability: str = "ReadOnly", unit: str | None = None, **more: str
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "attributes": {"Actual": value, **more},
        "dataType": data_type,
        "mutability": mutability,
        "supportsMonitoring": data_type in ("integer", "decimal", "OptionList"),
    }
    if unit is not None:
        entry["unit"] = unit
    return entry


# Controllers whose variables the simulator keeps in its flat ``settings`` by variable name.
_FLAT_COMPONENTS = frozenset(
    {"SmartChargingCtrlr", "LocalAuthListCtrlr", "AuthCacheCtrlr", "AuthCtrlr", "SecurityCtrlr"}
)


def initial_device_model(settings: dict[str, str]) -> dict[DeviceModelKey, dict[str, Any]]:
    model: dict[DeviceModelKey, dict[str, Any]] = {}
    for action in ("GetReport", "GetVariables", "SetVariables"):
        model["DeviceDataCtrlr", None, None, None, "ItemsPerMessage", action] = _entry(_ITEMS_PER_MESSAGE, "integer")
        model["DeviceDataCtrlr", None, None, None, "BytesPerMessage", action] = _entry(_BYTES_PER_MESSAGE, "integer")
    model |= {
        ("OCPPCommCtrlr", None, None, None, "HeartbeatInterval", None): _entry(
            settings.get("HeartbeatInterval", "300"), "integer", "ReadWrite", "s"
        ),
        ("SampledDataCtrlr", None, None, None, "TxUpdatedInterval", None): _entry("60", "integer", "ReadWrite", "s"),
        ("AlignedDataCtrlr", None, None, None, "Interval", None): _entry("900", "integer", "ReadWrite", "s"),
        ("AuthCtrlr", None, None, None, "AuthorizeRemoteStart", None): _entry("true", "boolean", "ReadWrite"),
        ("SecurityCtrlr", None, None, None, "SecurityProfile", None): _entry("1", "integer"),
        ("DisplayMessageCtrlr", None, None, None, "Available", None): _entry("true", "boolean"),
        ("MonitoringCtrlr", None, None, None, "Enabled", None): _entry("true", "boolean", "ReadWrite"),
        ("ChargingStation", None, None, None, "AvailabilityState", None): _entry("Available", "OptionList"),
        ("EVSE", None, 1, None, "AvailabilityState", None): _entry("Available", "OptionList"),
        ("EVSE", None, 1, None, "Power", None): _entry("0", "decimal", "ReadOnly", "W", MaxSet="22000"),
        ("Connector", None, 1, 1, "ConnectorType", None): _entry("cType2", "OptionList"),
        ("Connector", None, 1, 1, "AvailabilityState", None): _entry("Available", "OptionList"),
    }
    return model


def _component_json(key: DeviceModelKey) -> dict[str, Any]:
    component: dict[str, Any] = {"name": key[0]}
    if key[1] is not None:
        component["instance"] = key[1]
    if key[2] is not None:
        component["evse"] = {"id": key[2]} | ({} if key[3] is None else {"connectorId": key[3]})
    return component


def _variable_json(key: DeviceModelKey) -> dict[str, Any]:
    return {"name": key[4]} | ({} if key[5] is None else {"instance": key[5]})


def _key_of(component: dict[str, Any], variable: dict[str, Any] | None) -> DeviceModelKey:
    evse = component.get("evse") or {}
    return (
        component["name"],
        component.get("instance"),
        evse.get("id"),
        evse.get("connectorId"),
        "" if variable is None else variable["name"],
        None if variable is None else variable.get("instance"),
    )


def _report_data(key: DeviceModelKey, entry: dict[str, Any]) -> dict[str, Any]:
    characteristics = {"dataType": entry["dataType"], "supportsMonitoring": entry["supportsMonitoring"]}
    if "unit" in entry:
        characteristics["unit"] = entry["unit"]
    return {
        "component": _component_json(key),
        "variable": _variable_json(key),
        "variableAttribute": [
            {"type": kind, "value": value, "mutability": entry["mutability"] if kind == "Actual" else "ReadOnly"}
            for kind, value in entry["attributes"].items()
        ],
        "variableCharacteristics": characteristics,
    }


def _parts(items: list[Any], size: int) -> list[list[Any]]:
    return [items[start : start + size] for start in range(0, len(items), size)] or [[]]


class DeviceModelAnswers:
    """The device-model part of ``SimulatedCharger``; the charger provides the state and ``_then_send``, which sends
    messages after the answer to the current command has gone out."""

    charger_id: str
    status: str
    transaction_id: str | None
    outbox: deque[tuple[str, str, dict[str, Any]]]
    settings: dict[str, str]
    device_model: dict[DeviceModelKey, dict[str, Any]]
    monitors: dict[int, dict[str, Any]]
    display_messages: dict[int, dict[str, Any]]

    def _now(self) -> str:
        raise NotImplementedError

    def _then_send(self, messages: list[tuple[str, dict[str, Any]]]) -> None:
        raise NotImplementedError

    def _limit(self, action: str) -> int:
        entry = self.device_model.get(("DeviceDataCtrlr", None, None, None, "ItemsPerMessage", action))
        return int(entry["attributes"]["Actual"]) if entry else 100

    def _too_many(self, action: str, items: list[Any]) -> list[Any] | None:
        size = self.device_model.get(("DeviceDataCtrlr", None, None, None, "BytesPerMessage", action))
        if len(items) > self._limit(action):
            return ["OccurrenceConstraintViolation", f"more than {self._limit(action)} items in one {action}"]
        if size and len(json.dumps(items)) > int(size["attributes"]["Actual"]):
            return ["FormatViolation", f"{action} larger than BytesPerMessage"]
        return None

    def _lookup(self, item: dict[str, Any]) -> tuple[DeviceModelKey, dict[str, Any] | None, str | None]:
        """The entry for a component/variable of a request, or why there is none."""
        key = _key_of(item["component"], item["variable"])
        entry = self.device_model.get(key)
        if entry is not None:
            return key, entry, None
        name = item["variable"]["name"]
        if key[0] in _FLAT_COMPONENTS and name in self.settings:
            # kept in the simulator's flat configuration, which tests and other features change
            return key, {"attributes": {"Actual": self.settings[name]}, "mutability": "ReadWrite"}, None
        if not any(known[:4] == key[:4] for known in self.device_model):
            return key, None, "UnknownComponent"
        return key, None, "UnknownVariable"

    def _get_variables(self, items: list[dict[str, Any]]) -> dict[str, Any] | list[Any]:
        refusal = self._too_many("GetVariables", items)
        if refusal is not None:
            return refusal
        results = []
        for item in items:
            result: dict[str, Any] = {"component": item["component"], "variable": item["variable"]}
            if "attributeType" in item:
                result["attributeType"] = item["attributeType"]
            _key, entry, missing = self._lookup(item)
            value = None if entry is None else entry["attributes"].get(item.get("attributeType", "Actual"))
            if missing is not None:
                result["attributeStatus"] = missing
            elif value is None:
                result["attributeStatus"] = "NotSupportedAttributeType"
            elif entry is not None and entry["mutability"] == "WriteOnly":
                result["attributeStatus"] = "Rejected"
            else:
                result |= {"attributeStatus": "Accepted", "attributeValue": value}
            results.append(result)
        return {"getVariableResult": results}

    def _set_variables(self, items: list[dict[str, Any]]) -> dict[str, Any] | list[Any]:
        refusal = self._too_many("SetVariables", items)
        if refusal is not None:
            return refusal
        results = []
        for item in items:
            result: dict[str, Any] = {"component": item["component"], "variable": item["variable"]}
            if "attributeType" in item:
                result["attributeType"] = item["attributeType"]
            _key, entry, missing = self._lookup(item)
            if missing is not None:
                result["attributeStatus"] = missing
            elif entry is not None and (
                entry["mutability"] == "ReadOnly" or ("attributeType" in item and item["attributeType"] != "Actual")
            ):
                result["attributeStatus"] = "Rejected"
            elif entry is not None:
                entry["attributes"]["Actual"] = item["attributeValue"]
                self.settings[item["variable"]["name"]] = item["attributeValue"]
                result["attributeStatus"] = "Accepted"
            results.append(result)
        return {"setVariableResult": results}

    def _send_report(self, request_id: int, keys: list[DeviceModelKey]) -> None:
        data = [_report_data(key, self.device_model[key]) for key in keys]
        parts = _parts(data, self._limit("GetReport"))
        self._then_send(
            [
                (
                    "NotifyReport",
                    {
                        "requestId": request_id,
                        "generatedAt": self._now(),
                        "seqNo": seq_no,
                        "tbc": seq_no < len(parts) - 1,
                        **({"reportData": part} if part else {}),
                    },
                )
                for seq_no, part in enumerate(parts)
            ]
        )

    def _command_GetBaseReport(self, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        base = payload["reportBase"]
        keys = [
            key
            for key, entry in self.device_model.items()
            if base == "FullInventory"
            or (base == "ConfigurationInventory" and entry["mutability"] != "ReadOnly")
            or (base == "SummaryInventory" and key[4] == "AvailabilityState")
        ]
        self._send_report(payload["requestId"], keys)
        return {"status": "Accepted"}

    def _command_GetReport(self, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        wanted = payload.get("componentVariable")
        criteria = payload.get("componentCriteria") or ["Active", "Available", "Enabled"]
        keys = []
        for key in self.device_model:
            if criteria == ["Problem"]:
                break
            if wanted is None:
                keys.append(key)
                continue
            for item in wanted:
                asked = _key_of(item["component"], item.get("variable"))
                component_matches = asked[0] == key[0] and (asked[2] is None or asked[2] == key[2])
                if component_matches and (item.get("variable") is None or asked[4:] == key[4:]):
                    keys.append(key)
                    break
        if not keys:
            return {"status": "EmptyResultSet"}
        self._send_report(payload["requestId"], keys)
        return {"status": "Accepted"}

    def _reset_evse(self, evse_id: int) -> dict[str, Any]:
        if evse_id != 1:
            return {"status": "Rejected", "statusInfo": {"reasonCode": "UnknownEvse"}}
        if self.transaction_id is not None:
            return {"status": "Scheduled"}
        stamp = self._now()
        self._then_send(
            [
                (
                    "StatusNotification",
                    {"timestamp": stamp, "connectorStatus": status, "evseId": 1, "connectorId": 1},
                )
                for status in ("Unavailable", "Available")
            ]
        )
        return {"status": "Accepted"}

    def _command_GetTransactionStatus(self, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        answer: dict[str, Any] = {"messagesInQueue": bool(self.outbox)}
        if "transactionId" in payload:
            asked = payload["transactionId"]
            answer["ongoingIndicator"] = self.transaction_id == asked
            answer["messagesInQueue"] = any(
                payload_.get("transactionInfo", {}).get("transactionId") == asked for _m, _a, payload_ in self.outbox
            )
        return answer

    def _command_SetNetworkProfile(self, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return {"status": "Accepted" if 1 <= payload["configurationSlot"] <= 2 else "Rejected"}

    def _command_SetVariableMonitoring(self, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        results = []
        for item in payload["setMonitoringData"]:
            _key, entry, missing = self._lookup(item)
            result = {k: item[k] for k in ("type", "severity", "component", "variable")}
            if missing is not None:
                result["status"] = missing
            elif entry is not None and not entry["supportsMonitoring"]:
                result["status"] = "UnsupportedMonitorType"
            else:
                monitor_id = item.get("id") or max(self.monitors, default=0) + 1
                self.monitors[monitor_id] = {**item, "id": monitor_id, "transaction": item.get("transaction", False)}
                result |= {"status": "Accepted", "id": monitor_id}
            results.append(result)
        return {"setMonitoringResult": results}

    def _command_ClearVariableMonitoring(self, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        results = []
        for monitor_id in payload["id"]:
            found = self.monitors.pop(monitor_id, None)
            results.append({"id": monitor_id, "status": "Accepted" if found else "NotFound"})
        return {"clearMonitoringResult": results}

    def _command_SetMonitoringBase(self, _payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return {"status": "Accepted"}

    def _command_SetMonitoringLevel(self, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return {"status": "Accepted" if 0 <= payload["severity"] <= 9 else "Rejected"}

    def _command_GetMonitoringReport(self, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        if not self.monitors:
            return {"status": "EmptyResultSet"}
        monitors = [
            {
                "component": monitor["component"],
                "variable": monitor["variable"],
                "variableMonitoring": [{k: monitor[k] for k in ("id", "transaction", "value", "type", "severity")}],
            }
            for monitor in self.monitors.values()
        ]
        parts = _parts(monitors, self._limit("GetReport"))
        self._then_send(
            [
                (
                    "NotifyMonitoringReport",
                    {
                        "requestId": payload["requestId"],
                        "generatedAt": self._now(),
                        "seqNo": seq_no,
                        "tbc": seq_no < len(parts) - 1,
                        "monitor": part,
                    },
                )
                for seq_no, part in enumerate(parts)
            ]
        )
        return {"status": "Accepted"}

    def _upload_log(self, request_id: int) -> None:
        self._then_send(
            [
                ("LogStatusNotification", {"status": status, "requestId": request_id})
                for status in ("Uploading", "Uploaded")
            ]
        )

    def _command_CustomerInformation(self, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        who = payload.get("customerIdentifier") or (payload.get("idToken") or {}).get("idToken") or "certificate"
        if payload["report"]:
            text = [f"Customer {who} at {self.charger_id}: ", "no transactions stored, no local list entry."]
        else:
            text = [f"Data of customer {who} cleared."]
        self._then_send(
            [
                (
                    "NotifyCustomerInformation",
                    {
                        "data": part,
                        "tbc": seq_no < len(text) - 1,
                        "seqNo": seq_no,
                        "generatedAt": self._now(),
                        "requestId": payload["requestId"],
                    },
                )
                for seq_no, part in enumerate(text)
            ]
        )
        return {"status": "Accepted"}

    def _command_SetDisplayMessage(self, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        message = payload["message"]
        if "transactionId" in message and message["transactionId"] != self.transaction_id:
            return {"status": "UnknownTransaction"}
        self.display_messages[message["id"]] = message
        return {"status": "Accepted"}

    def _command_GetDisplayMessages(self, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        found = [
            message
            for message in self.display_messages.values()
            if message["id"] in payload.get("id", [message["id"]])
            and payload.get("priority", message["priority"]) == message["priority"]
            and payload.get("state", message.get("state")) == message.get("state")
        ]
        if not found:
            return {"status": "Unknown"}
        self._then_send([("NotifyDisplayMessages", {"requestId": payload["requestId"], "messageInfo": found})])
        return {"status": "Accepted"}

    def _command_ClearDisplayMessage(self, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return {"status": "Accepted" if self.display_messages.pop(payload["id"], None) else "Unknown"}

    def _command_PublishFirmware(self, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        request_id = payload["requestId"]
        steps: list[tuple[str, dict[str, Any]]] = [
            ("PublishFirmwareStatusNotification", {"status": status, "requestId": request_id})
            for status in ("Downloading", "Downloaded", "ChecksumVerified")
        ]
        location = f"http://{self.charger_id.lower()}.local/firmware/{payload['checksum']}.bin"
        steps.append(
            (
                "PublishFirmwareStatusNotification",
                {"status": "Published", "requestId": request_id, "location": [location]},
            )
        )
        self._then_send(steps)
        return {"status": "Accepted"}

    def _command_UnpublishFirmware(self, _payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return {"status": "Unpublished"}

    def _command_SignedUpdateFirmware(self, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        self._then_send(
            [
                ("SignedFirmwareStatusNotification", {"status": status, "requestId": payload["requestId"]})
                for status in ("Downloading", "Downloaded", "SignatureVerified")
            ]
        )
        return {"status": "Accepted"}

    def _command_ExtendedTriggerMessage(self, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        message = payload["requestedMessage"]
        if message == "LogStatusNotification":
            self._then_send([("LogStatusNotification", {"status": "Idle"})])
        elif message == "Heartbeat":
            self._then_send([("Heartbeat", {})])
        elif message == "StatusNotification":
            status = {"connectorId": payload.get("connectorId") or 1, "errorCode": "NoError", "status": self.status}
            self._then_send([("StatusNotification", status | {"timestamp": self._now()})])
        else:
            return {"status": "NotImplemented"}
        return {"status": "Accepted"}
