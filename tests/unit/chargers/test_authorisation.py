"""Verdicts on id tokens: expiry, groups and the master pass; what a charger's configuration says it supports."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from api.domain.chargers.authorisation import TokenRecord, start_verdict, stop_verdict, verdict
from api.domain.chargers.local_list import capabilities_of, entry_of, fits
from ocpp_bridge.commands import ConfigurationResult, ConfigurationValue

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
OWNER = uuid.uuid4()


def card(status: str = "Accepted", expires: timedelta | None = None, group: str | None = None) -> TokenRecord:
    return TokenRecord(status, OWNER, None if expires is None else NOW + expires, group)


def test_expiry_and_status() -> None:
    assert verdict(None, NOW).info.status == "Invalid"
    assert verdict(card("Blocked"), NOW).info.status == "Blocked"
    assert verdict(card(expires=timedelta(seconds=-1)), NOW).info.status == "Expired"
    valid = verdict(card(expires=timedelta(days=1), group="G"), NOW).info
    assert (valid.status, valid.expiry_date, valid.parent_id_token) == ("Accepted", NOW + timedelta(days=1), "G")


def test_who_may_stop_and_start() -> None:
    def stop(stopper: str, group: str | None, starter_group: str | None) -> str:
        return stop_verdict(stopper, verdict(card(group=group), NOW), "A", starter_group, "MASTER").info.status

    assert stop("A", None, None) == "Accepted"  # the starter itself
    assert stop("B", "G1", "G1") == "Accepted"  # same group
    assert stop("B", "G2", "G1") == "Invalid"  # another group
    assert stop("B", None, None) == "Invalid"  # no group at all
    assert stop("B", "MASTER", "G1") == "Accepted"  # the master pass
    assert start_verdict(verdict(card(group="MASTER"), NOW), "MASTER").info.status == "Invalid"
    assert start_verdict(verdict(card(group="MASTER"), NOW), "").info.status == "Accepted"  # no master pass set


def test_capabilities_and_entries() -> None:
    v16 = ConfigurationResult(
        values=(
            ConfigurationValue(key="LocalAuthListEnabled", value="True"),
            ConfigurationValue(key="SendLocalListMaxLength", value="25"),
            ConfigurationValue(key="LocalAuthListMaxLength", value="800"),
        )
    )
    found = capabilities_of(v16, "1.6")
    assert (found.local_list, found.items_per_message, found.max_entries, found.cache) == (True, 25, 800, False)
    assert not capabilities_of(ConfigurationResult(unknown_keys=("LocalAuthListEnabled",)), "1.6").local_list
    assert [fits("A" * 20, "1.6"), fits("A" * 21, "1.6"), fits("A" * 36, "2.0.1")] == [True, False, True]
    expired = entry_of("04A1", "RFID", card(expires=timedelta(hours=-1), group="G"), NOW)
    assert (expired.status, expired.expiry_date, expired.group_id) == ("Expired", None, "G")
