"""The network view: an operator sees every charger and EVSE of their own sites, grouped by region, business unit
and location, with totals, the running session on each EVSE, and the filters they narrow it with; nothing of
another region's sites. SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.integration.network_sites import Sites, build_sites, operators

Client = AsyncTestClient[Litestar]


async def _view(client: Client, headers: dict[str, str], **params: str) -> dict[str, Any]:
    answer = await client.get("/v1/admin/network", params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    view: dict[str, Any] = answer.json()
    return view


def _chargers(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["chargerId"]: c for location in view["locations"] for c in location["chargers"]}


async def _setup(client: Client, database_url: str) -> tuple[Sites, dict[str, dict[str, str]]]:
    sites = await build_sites(database_url)
    return sites, await operators(client, database_url, sites)


async def test_an_operator_sees_their_region_grouped_with_totals_and_nothing_else(
    client: Client, database_url: str
) -> None:
    sites, headers = await _setup(client, database_url)
    view = await _view(client, headers["north"])

    assert sorted(_chargers(view)) == ["NET-N1", "NET-N2", "NET-N3"]  # NET-S1 is in the South: not there at all
    assert [location["name"] for location in view["locations"]] == ["Amersfoort Mall", "Utrecht Station"]
    utrecht = view["locations"][1]
    assert utrecht["region"] == {"id": str(sites.north), "name": "North"}
    assert utrecht["businessUnit"] == {"id": str(sites.retail), "name": "Retail"}
    assert utrecht["city"] == "Utrecht"
    assert [c["chargerId"] for c in utrecht["chargers"]] == ["NET-N1", "NET-N2"]
    assert utrecht["totals"] == {
        "chargers": 2,
        "chargersOnline": 1,
        "evses": 3,
        "evsesByStatus": {"charging": 1, "faulted": 1, "offline": 1},
        "onlineShare": 0.5,
    }
    assert view["totals"]["chargers"] == 3
    assert view["totals"]["evsesByStatus"] == {"charging": 3, "faulted": 1, "offline": 1}
    assert [(g["name"], g["totals"]["chargers"]) for g in view["regions"]] == [("North", 3)]
    assert [(g["name"], g["totals"]["chargers"]) for g in view["businessUnits"]] == [("Retail", 3)]
    # the filters offer only what the operator may see
    assert [ref["name"] for ref in view["choices"]["regions"]] == ["North"]
    assert [ref["name"] for ref in view["choices"]["locations"]] == ["Amersfoort Mall", "Utrecht Station"]
    assert view["choices"]["models"] == ["Terra", "Terra AC", "Wallbox"]

    south = await _view(client, headers["south"])
    assert sorted(_chargers(south)) == ["NET-S1"]
    assert (await _view(client, headers["nowhere"]))["locations"] == []  # no regions or business units: nothing
    everything = await _view(client, headers["admin"])
    assert sorted(_chargers(everything)) == ["NET-N1", "NET-N2", "NET-N3", "NET-S1"]
    assert [g["name"] for g in everything["regions"]] == ["North", "South"]
    assert everything["totals"]["onlineShare"] == 0.75


async def test_chargers_and_evses_carry_status_connectivity_firmware_and_the_running_session(
    client: Client, database_url: str
) -> None:
    _, headers = await _setup(client, database_url)
    chargers = _chargers(await _view(client, headers["admin"]))

    n1, n2 = chargers["NET-N1"], chargers["NET-N2"]
    assert (n1["status"], n1["connected"], n1["heldBy"]) == ("faulted", True, "proc-1")  # the worst of its EVSEs
    assert (n1["vendor"], n1["model"], n1["firmwareVersion"], n1["ocppVersion"]) == ("ABB", "Terra AC", "1.8.2", "1.6")
    assert n1["lastSeen"] is not None
    charging, faulted = n1["evses"]
    assert (charging["status"], charging["ocpiStatus"], charging["connectorId"]) == ("charging", "CHARGING", 1)
    assert (faulted["status"], faulted["errorCode"], faulted["session"]) == ("faulted", "GroundFailure", None)
    session = charging["session"]
    assert session["authMethod"] == "app"
    assert session["idTokenHint"] is None  # an app's internal token means nothing to an operator
    assert (Decimal(session["energyKwh"]), Decimal(session["powerKw"])) == (Decimal("12.345"), Decimal("22"))
    assert 29 * 60 <= session["durationSeconds"] <= 31 * 60
    assert (session["status"], session["transactionId"], session["socPercent"]) == ("charging", "101", 42.0)
    # offline: whatever its EVSE said last, nobody can charge there now
    assert (n2["status"], n2["connected"], n2["heldBy"], n2["evses"][0]["status"]) == (
        "offline",
        False,
        None,
        "offline",
    )

    rfid, own = chargers["NET-N3"]["evses"]
    assert (rfid["session"]["authMethod"], rfid["session"]["idTokenHint"]) == ("rfid", "…C3D4")
    assert (own["session"]["authMethod"], own["session"]["sessionId"]) == ("charger", None)
    assert Decimal(own["session"]["energyKwh"]) == Decimal("0.8")
    roaming = chargers["NET-S1"]["evses"][0]["session"]
    assert (roaming["authMethod"], roaming["roamingPartner"]) == ("roaming", "DE-ABC")


async def test_filters_narrow_the_view_and_its_totals(client: Client, database_url: str) -> None:
    sites, headers = await _setup(client, database_url)
    admin = headers["admin"]

    async def ids(**params: str) -> list[str]:
        return sorted(_chargers(await _view(client, admin, **params)))

    assert await ids(region=str(sites.south)) == ["NET-S1"]
    assert await ids(businessUnit=str(sites.retail)) == ["NET-N1", "NET-N2", "NET-N3"]
    assert await ids(location=str(sites.locations["NET-N3"])) == ["NET-N3"]
    assert await ids(status="faulted") == ["NET-N1"]
    assert await ids(status="offline") == ["NET-N2"]
    assert await ids(status="charging") == ["NET-N1", "NET-N3", "NET-S1"]
    assert await ids(status="available") == []  # NET-N2's available EVSE is offline
    assert await ids(connectivity="offline") == ["NET-N2"]
    assert await ids(connectivity="online") == ["NET-N1", "NET-N3", "NET-S1"]
    assert await ids(model="terra") == ["NET-N2"]
    assert await ids(q="eindhoven") == ["NET-S1"]  # a city
    assert await ids(q="mall") == ["NET-N3"]  # a location name
    assert await ids(q="n2") == ["NET-N2"]  # part of a charger id
    assert await ids(q="100%") == []  # LIKE wildcards are plain text

    evse_uid = (await _view(client, admin, q="NET-S1"))["locations"][0]["chargers"][0]["evses"][0]["uid"]
    assert await ids(q=evse_uid.lower()) == ["NET-S1"]
    filtered = await _view(client, admin, status="faulted")
    assert filtered["totals"]["chargers"] == 1
    assert [ref["name"] for ref in filtered["choices"]["regions"]] == ["North", "South"]  # choices stay whole
    # a filter never widens an operator's scope
    assert sorted(_chargers(await _view(client, headers["north"], region=str(sites.south)))) == []
    assert sorted(_chargers(await _view(client, headers["north"], q="NET-S1"))) == []


async def test_pages_of_locations_keep_the_totals_of_the_whole_view(client: Client, database_url: str) -> None:
    _, headers = await _setup(client, database_url)
    admin = headers["admin"]
    first = await _view(client, admin, limit="2")
    assert (first["locationsTotal"], first["offset"], first["limit"]) == (3, 0, 2)
    assert [location["name"] for location in first["locations"]] == ["Amersfoort Mall", "Utrecht Station"]
    assert first["totals"]["chargers"] == 4  # the page's chargers and the others
    rest = await _view(client, admin, offset="2", limit="2")
    assert [location["name"] for location in rest["locations"]] == ["Eindhoven Services"]  # the South comes last
    assert sorted(_chargers(rest)) == ["NET-S1"]
    totals_only = await _view(client, admin, limit="0")
    assert (totals_only["locations"], totals_only["totals"]) == ([], first["totals"])
    assert [g["totals"]["chargers"] for g in totals_only["regions"]] == [3, 1]


async def test_bad_filters_and_the_wrong_roles_are_refused_with_problem_details(
    client: Client, database_url: str
) -> None:
    _, headers = await _setup(client, database_url)
    for params in ({"status": "broken"}, {"connectivity": "maybe"}, {"region": "north"}, {"limit": "5000"}):
        answer = await client.get("/v1/admin/network", params=params, headers=headers["admin"])
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["errors"][0]["field"] == next(iter(params))
    assert (await client.get("/v1/admin/network", headers=headers["agent"])).status_code == 403
    assert (await client.get("/v1/admin/network")).status_code == 401
    assert (await client.get("/v1/admin/network/events", headers=headers["agent"])).status_code == 403
