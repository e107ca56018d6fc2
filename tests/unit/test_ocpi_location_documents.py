"""A stored location document, once its live values are filled in, is byte for byte the Location built on the
spot: for any text (quotes, '%', any script), any number of EVSEs and connectors, any status and connectivity."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.domain.ocpi.envelope import encode
from api.domain.ocpi.location_documents import build_document, fill_document
from api.domain.ocpi.location_objects import (
    EVSE_STATUSES,
    ConnectorRow,
    EvseRow,
    live_evse_status,
    location_object,
)
from api.domain.ocpi.schemas import format_datetime
from tests.unit.test_ocpi_location_objects import NOW, WINDOW, connector_row, evse_row, location_row

TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=40)
STAMPS = st.integers(min_value=0, max_value=400 * 24 * 3600).map(
    lambda seconds: format_datetime(NOW - timedelta(seconds=seconds))
)


@st.composite
def evses(draw: st.DrawFn, number: int) -> tuple[EvseRow, list[ConnectorRow]]:
    charger = draw(st.sampled_from(["none", "online", "offline", "silent"]))
    connectors = [
        connector_row(connector_id=str(index), last_updated=draw(STAMPS))
        for index in range(draw(st.integers(min_value=0, max_value=2)))
    ]
    row = evse_row(
        uid=f"E{number}-{draw(TEXT)}"[:36],
        status=draw(st.sampled_from([*sorted(EVSE_STATUSES), "FAULTED"])),
        physical_reference=draw(st.one_of(st.none(), TEXT)),
        last_updated=draw(STAMPS),
        charging_station_id=None if charger == "none" else uuid.uuid4(),
        station_connected=charger != "offline",
        station_last_seen=NOW - (timedelta(hours=2) if charger == "silent" else timedelta(seconds=30)),
        row_id=uuid.uuid4(),
    )
    return row, connectors


@settings(max_examples=150, deadline=None)
@given(
    name=st.one_of(st.none(), TEXT),
    address=TEXT,
    publish=st.booleans(),
    stamp=STAMPS,
    count=st.integers(min_value=0, max_value=4),
    data=st.data(),
)
def test_a_filled_document_is_the_location_built_on_the_spot(
    name: str | None, address: str, publish: bool, stamp: str, count: int, data: st.DataObject
) -> None:
    rows = sorted((data.draw(evses(number)) for number in range(count)), key=lambda pair: pair[0].uid)
    row = location_row(
        name=name,
        address=address,
        publish=publish,
        publish_allowed_to=None if publish else [{"visual_number": "4411-22", "issuer": address}],
        last_updated=stamp,
    )
    built = location_object(row, rows, NOW, WINDOW)
    document = build_document(location_object(row, rows, NOW, timedelta(0)), rows)
    live = {
        str(evse.row_id): (
            live_evse_status(
                evse.status,
                evse.charging_station_id,
                evse.station_connected,
                evse.station_last_seen,
                NOW,
                WINDOW,
            ),
            evse.last_updated,
        )
        for evse, _ in rows
    }
    assert fill_document(document.body, document.evses, live, stamp) == encode(built)


def test_a_document_no_longer_matching_its_evses_is_not_filled() -> None:
    rows = [(evse_row(uid="A", row_id="a"), [connector_row()]), (evse_row(uid="B", row_id="b"), [connector_row()])]
    row = location_row()
    document = build_document(location_object(row, rows, NOW, WINDOW), rows)
    stamp = format_datetime(NOW)
    assert fill_document(document.body, document.evses, {"a": ("AVAILABLE", stamp)}, stamp) is None
    three = {"a": ("AVAILABLE", stamp), "b": ("AVAILABLE", stamp), "c": ("AVAILABLE", stamp)}
    assert fill_document(document.body, document.evses, three, stamp) is None
    other = {"a": ("AVAILABLE", stamp), "c": ("AVAILABLE", stamp)}
    assert fill_document(document.body, document.evses, other, stamp) is None


def test_text_that_looks_like_a_slot_is_refused_so_that_location_is_built_on_the_spot() -> None:
    rows = [(evse_row(row_id="a"), [connector_row()])]
    row = location_row(name="\x00")
    with pytest.raises(ValueError, match="slot"):
        build_document(location_object(row, rows, NOW, WINDOW), rows)
