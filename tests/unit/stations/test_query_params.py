"""The search's query parameters: the server accepts exactly the viewport format the OpenAPI document states."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from api.domain.stations.query_params import BBOX_PATTERN, parse_box, parse_station_query
from api.errors import FieldError

DOCUMENT = Path(__file__).resolve().parents[3] / "openapi" / "openapi.json"
DOCUMENTED = re.compile(BBOX_PATTERN)
FORMAT_ERRORS = ("expected minLon,minLat,maxLon,maxLat",)


def _format_refused(bbox: str) -> bool:
    errors: list[FieldError] = []
    parse_box(bbox, errors, None)
    return any(error.message.startswith(FORMAT_ERRORS) for error in errors)


numbers = st.floats(-200, 200, allow_nan=False).map(lambda v: f"{v:.{abs(int(v)) % 4}f}") | st.sampled_from(
    ["1e1", "inf", "nan", "-0", "+5", ".5", "5.", " 5", "5 ", "0x10", "\u0661", "90.0000", "90.01", "180.", "-180.0"]
)
looking_like_boxes = st.lists(numbers, min_size=3, max_size=5).map(",".join)


@settings(max_examples=400, deadline=None)
@given(bbox=st.from_regex(DOCUMENTED) | looking_like_boxes | st.text(max_size=20))
def test_the_server_refuses_the_format_exactly_where_the_documented_pattern_does_not_match(bbox: str) -> None:
    """What schemathesis draws from the pattern is accepted; anything else is refused with a clear message."""
    assert _format_refused(bbox) == (DOCUMENTED.search(bbox) is None), repr(bbox)


@settings(max_examples=200, deadline=None)
@given(bbox=st.from_regex(DOCUMENTED))
def test_a_box_drawn_from_the_pattern_is_refused_only_for_its_order_or_size(bbox: str) -> None:
    errors: list[FieldError] = []
    box = parse_box(bbox, errors, 10.0)
    assert (box is None) == bool(errors)
    assert all(e.message.startswith(("inverted", "spans more than")) for e in errors), errors


def _parameters(path: str) -> dict[str, dict[str, Any]]:
    operation = json.loads(DOCUMENT.read_text())["paths"][path]["get"]
    return {p["name"]: p for p in operation["parameters"]}


def test_the_document_states_the_viewport_format_and_the_centre_or_box_rule() -> None:
    search = _parameters("/v1/stations")
    assert search["bbox"]["schema"]["pattern"] == BBOX_PATTERN
    assert _parameters("/v1/stations/clusters")["bbox"]["schema"]["pattern"] == BBOX_PATTERN
    assert (search["lat"]["schema"]["minimum"], search["lat"]["schema"]["maximum"]) == (-90, 90)
    assert (search["lon"]["schema"]["minimum"], search["lon"]["schema"]["maximum"]) == (-180, 180)
    assert (search["radius"]["schema"]["minimum"], search["radius"]["schema"]["maximum"]) == (1, 100_000)
    assert (search["limit"]["schema"]["minimum"], search["limit"]["schema"]["maximum"]) == (1, 100)
    description = json.loads(DOCUMENT.read_text())["paths"]["/v1/stations"]["get"]["description"]
    assert "either `lat` and `lon`" in description
    assert "alternative to lat and lon" in search["bbox"]["description"]


def test_the_stated_ranges_are_the_ones_the_server_keeps() -> None:
    for params in ({"lat": "90", "lon": "-180", "radius": "100000", "limit": "100"}, {"bbox": "-180,-90,-170,-80"}):
        assert parse_station_query(params)[0] is not None, params
    for params, field in (
        ({"lat": "90.5", "lon": "0"}, "lat"),
        ({"lat": "0", "lon": "180.5"}, "lon"),
        ({"lat": "0", "lon": "0", "radius": "0"}, "radius"),
        ({"lat": "0", "lon": "0", "limit": "101"}, "limit"),
        ({"lat": "0", "lon": "0", "minPowerKw": "10001"}, "minPowerKw"),
    ):
        assert [e.field for e in parse_station_query(params)[1]] == [field], params
