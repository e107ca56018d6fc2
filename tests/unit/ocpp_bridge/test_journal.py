"""The message journal: bounded, both directions with results matched to their Calls, secrets taken out, kept for a
while after a charger disconnects."""

from __future__ import annotations

import json

import msgspec

from ocpp_bridge import commands
from ocpp_bridge.journal import FROM_CHARGER, REDACTED, TO_CHARGER, ChargerJournal, MessageJournal

SECRET = "a-fresh-charger-secret"
PEM = "-----BEGIN CERTIFICATE-----\nMIIB...\n-----END CERTIFICATE-----\n"


def _frame(*items: object) -> str:
    return json.dumps(list(items), separators=(",", ":"))


def test_keeps_the_last_frames_of_both_directions_oldest_first() -> None:
    journal = ChargerJournal("CP-1", size=4)
    journal.record(1000.0, True, _frame(2, "a", "Heartbeat", {}))
    journal.record(1000.1, False, _frame(3, "a", {"currentTime": "2026-12-06T06:00:00Z"}).encode())
    journal.record(1001.0, True, _frame(2, "b", "StatusNotification", {"connectorId": 1, "status": "Available"}))
    journal.record(1001.1, False, _frame(3, "b", {}).encode())
    journal.record(1002.0, False, _frame(2, "c", "Reset", {"type": "Soft"}).encode())
    journal.record(1002.5, True, _frame(4, "c", "NotSupported", "no resets here", {"why": "testing"}))

    frames = journal.snapshot().frames

    assert len(frames) == 4  # bounded: the Heartbeat and its answer are gone
    assert [(f.direction, f.message_type, f.unique_id) for f in frames] == [
        (FROM_CHARGER, "Call", "b"),
        (TO_CHARGER, "CallResult", "b"),
        (TO_CHARGER, "Call", "c"),
        (FROM_CHARGER, "CallError", "c"),
    ]
    assert [f.action for f in frames] == ["StatusNotification", "StatusNotification", "Reset", "Reset"]
    assert frames[0].payload == {"connectorId": 1, "status": "Available"}
    assert frames[3].error_code == "NotSupported"
    assert frames[3].error_description == "no resets here"
    assert frames[3].payload == {"why": "testing"}
    assert frames[0].at.tzinfo is not None
    assert frames[0].at.timestamp() == 1001.0
    assert [f.unique_id for f in journal.snapshot(limit=2).frames] == ["c", "c"]
    assert journal.snapshot(limit=0).frames == ()


def test_a_result_whose_call_left_the_journal_has_no_action() -> None:
    journal = ChargerJournal("CP-1", size=2)
    journal.record(1.0, True, _frame(2, "x", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}))
    journal.record(2.0, True, _frame(2, "y", "Heartbeat", {}))
    journal.record(3.0, False, _frame(3, "x", {"status": "Accepted"}).encode())
    frames = journal.snapshot().frames
    assert [(f.unique_id, f.action) for f in frames] == [("y", "Heartbeat"), ("x", None)]


def test_charger_passwords_certificates_and_keys_are_redacted() -> None:
    journal = ChargerJournal("CP-1", size=10)
    frames = [
        _frame(2, "1", "ChangeConfiguration", {"key": "AuthorizationKey", "value": SECRET.encode().hex()}),
        _frame(
            2,
            "2",
            "SetVariables",
            {
                "setVariableData": [
                    {
                        "attributeValue": SECRET,
                        "component": {"name": "SecurityCtrlr"},
                        "variable": {"name": "BasicAuthPassword"},
                    },
                    {"attributeValue": "60", "component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "Hb"}},
                ]
            },
        ),
        _frame(3, "3", {"configurationKey": [{"key": "AuthorizationKey", "readonly": False, "value": SECRET}]}),
        _frame(
            2,
            "4",
            "NotifyReport",
            {
                "reportData": [
                    {
                        "component": {"name": "SecurityCtrlr"},
                        "variable": {"name": "BasicAuthPassword"},
                        "variableAttribute": [{"value": SECRET}],
                    }
                ]
            },
        ),
        _frame(2, "5", "SetNetworkProfile", {"connectionData": {"apn": {"apn": "internet", "apnPassword": SECRET}}}),
        _frame(2, "6", "CertificateSigned", {"certificateChain": PEM}),
        _frame(2, "7", "SignCertificate", {"csr": "MIIC" + SECRET}),
        _frame(2, "8", "DataTransfer", {"vendorId": "V", "data": "key: " + PEM.replace("CERTIFICATE", "PRIVATE KEY")}),
        '[2,"9","Broken",{"apnPassword":"' + SECRET,
    ]
    for index, data in enumerate(frames):
        journal.record(float(index), index % 2 == 0, data)

    read = journal.snapshot().frames
    text = msgspec.json.encode(read).decode()

    assert SECRET not in text
    assert SECRET.encode().hex() not in text
    assert "BEGIN" not in text
    assert read[0].payload == {"key": "AuthorizationKey", "value": REDACTED}
    assert read[1].payload["setVariableData"][1]["attributeValue"] == "60"  # only the secret goes
    assert read[4].payload["connectionData"]["apn"]["apn"] == "internet"
    assert read[8].message_type is None
    assert read[8].payload == REDACTED


def test_oversized_frames_keep_their_head_only() -> None:
    journal = ChargerJournal("CP-1", size=5, frame_limit=300)
    big = _frame(2, "r1", "NotifyReport", {"requestId": 1, "reportData": [{"x": "y" * 50}] * 20})
    journal.record(1.0, True, big)
    journal.record(2.0, False, _frame(3, "r1", {}).encode())
    frame, answer = journal.snapshot().frames
    assert frame.truncated
    assert (frame.message_type, frame.unique_id, frame.action, frame.size) == ("Call", "r1", "NotifyReport", len(big))
    assert frame.payload is None
    assert answer.action == "NotifyReport"


def test_a_disconnected_chargers_journal_is_kept_and_continued_on_reconnect() -> None:
    journals = MessageJournal(size=5, retained=2)
    first = journals.attach("CP-1", "1.6")
    assert first is not None
    first.record(1.0, True, _frame(2, "1", "Heartbeat", {}))
    journals.detach(first, 1006, "")

    kept = journals.read("CP-1")
    assert kept is not None
    assert not kept.connected
    assert [f.action for f in kept.frames] == ["Heartbeat"]
    assert [(c.event, c.close_code) for c in kept.connections] == [("connected", None), ("disconnected", 1006)]

    again = journals.attach("CP-1", "1.6")
    assert again is first  # what happened before the drop is still there
    again.record(2.0, True, _frame(2, "2", "BootNotification", {}))
    current = journals.read("CP-1", limit=10)
    assert current is not None
    assert current.connected
    assert [f.unique_id for f in current.frames] == ["1", "2"]


def test_only_the_most_recently_disconnected_chargers_keep_their_journal() -> None:
    journals = MessageJournal(size=5, retained=2)
    for name in ("CP-1", "CP-2", "CP-3"):
        journal = journals.attach(name, "2.0.1")
        assert journal is not None
        journals.detach(journal, 1000, "bye")
    assert journals.read("CP-1") is None
    assert journals.read("CP-2") is not None
    assert journals.read("CP-3") is not None


def test_a_replaced_connection_does_not_retire_the_journal_its_successor_records_into() -> None:
    journals = MessageJournal(size=5)
    old = journals.attach("CP-1", "1.6")
    new = journals.attach("CP-1", "1.6")  # the new socket attached before the old one finished closing
    assert old is not None
    assert old is new
    journals.detach(old, 1000, "Replaced by a new connection")
    read = journals.read("CP-1")
    assert read is not None
    assert read.connected


def test_size_zero_keeps_nothing() -> None:
    journals = MessageJournal(size=0)
    assert journals.attach("CP-1", "1.6") is None
    assert journals.read("CP-1") is None


def test_the_relay_carries_a_journal_read_and_its_answer() -> None:
    journal = ChargerJournal("CP-1", size=5)
    journal.record(1.0, True, _frame(2, "1", "Heartbeat", {}))
    request = commands.decode_request(commands.encode_request(commands.ReadJournal(limit=10)))
    assert request == commands.ReadJournal(limit=10)
    assert "read-journal" not in commands.command_names()  # nothing is sent to the charger: no admin command
    result = commands.decode_result(commands.encode_result(commands.JournalResult(journal=journal.snapshot())))
    assert isinstance(result, commands.JournalResult)
    assert result.journal == journal.snapshot()


def test_only_the_last_connects_and_drops_are_kept() -> None:
    journals = MessageJournal(size=5)
    for _ in range(8):
        journal = journals.attach("CP-1", "1.6")
        assert journal is not None
        journals.detach(journal, 1006, "")
    kept = journals.read("CP-1")
    assert kept is not None
    assert len(kept.connections) == 10
    assert kept.connections[-1].event == "disconnected"
