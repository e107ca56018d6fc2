"""Who may call what: every route of the app against every kind of caller, called for real.

The rows are the app's own route list: a route added without a row here fails `test_every_route_has_a_row`.
Each row names a policy; each policy says what every caller gets:

- ALLOWED: past authorisation (the answer may still be 404 or 422 for the made-up input, never 401/403 or 5xx);
- 401 / 403 / 404: exactly that status (404 is how another driver's resource looks: it is not there for them).

Roles later features add get a column in CALLERS and a line in each policy. The operator (operations console)
works on the chargers of their own sites only: a charger elsewhere (here: one that does not exist) is 404 for
them. The OCPI partner (a registered roaming platform with its credentials token) opens the OCPI area and nothing
of the app.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, Final

import httpx
import pytest
import websockets
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler, WebsocketRouteHandler

from tests.contract.conftest import ServedApi

ALLOWED: Final = "allowed"
CALLERS = ("anonymous", "driver_a", "driver_b", "erased_driver", "agent", "operator", "admin", "ocpi_partner")
APP_CALLERS = CALLERS[:-1]

# policy -> outcome per caller
POLICIES: dict[str, dict[str, str | int]] = {
    "public": dict.fromkeys(CALLERS, ALLOWED),
    "signed_in": {
        "anonymous": 401,
        "driver_a": ALLOWED,
        "driver_b": ALLOWED,
        "erased_driver": 401,
        "agent": ALLOWED,
        "operator": ALLOWED,
        "admin": ALLOWED,
        "ocpi_partner": 401,
    },
    "own": {  # a resource of driver A's, named in the path
        "anonymous": 401,
        "driver_a": ALLOWED,
        "driver_b": 404,
        "erased_driver": 401,
        "agent": 404,
        "operator": 404,
        "admin": 404,
        "ocpi_partner": 401,
    },
    "admin": {
        "anonymous": 401,
        "driver_a": 403,
        "driver_b": 403,
        "erased_driver": 401,
        "agent": 403,
        "operator": 403,
        "admin": ALLOWED,
        "ocpi_partner": 401,
    },
    "staff": {  # agents and admins (the support desk)
        "anonymous": 401,
        "driver_a": 403,
        "driver_b": 403,
        "erased_driver": 401,
        "agent": ALLOWED,
        "operator": 403,
        "admin": ALLOWED,
        "ocpi_partner": 401,
    },
    "operations": {  # operators and admins (the operations console)
        "anonymous": 401,
        "driver_a": 403,
        "driver_b": 403,
        "erased_driver": 401,
        "agent": 403,
        "operator": ALLOWED,
        "admin": ALLOWED,
        "ocpi_partner": 401,
    },
    "staff_operations": {  # a charger's journal and faults: the support desk and the operations console
        "anonymous": 401,
        "driver_a": 403,
        "driver_b": 403,
        "erased_driver": 401,
        "agent": ALLOWED,
        "operator": ALLOWED,
        "admin": ALLOWED,
        "ocpi_partner": 401,
    },
    "scraper": dict.fromkeys(CALLERS, 401),  # only the metrics token, which no account holds
    # The live socket accepts the upgrade, then closes with 4401 without a valid token and 4404 for a session that
    # is not the caller's; no caller here has a session, so every signed-in one gets 4404.
    "live_socket": {
        "anonymous": 401,
        "driver_a": 404,
        "driver_b": 404,
        "erased_driver": 401,
        "agent": 404,
        "operator": 404,
        "admin": 404,
        "ocpi_partner": 401,
    },
    # The OCPI area: only a registered partner's credentials token; the app's JWT never opens it.
    "ocpi": {**dict.fromkeys(APP_CALLERS, 401), "ocpi_partner": ALLOWED},
}

MATRIX: dict[str, str] = {
    "GET /health": "public",
    "GET /ready": "public",
    "GET /metrics": "scraper",
    "GET /schema": "public",
    "GET /schema/swagger": "public",
    "GET /schema/openapi.json": "public",
    "GET /schema/oauth2-redirect.html": "public",
    "GET /schema/{path:str}": "public",
    "GET /schema/assets/{file_path:path}": "public",
    # The console's pages are empty shells: the data they show comes from the staff-only API.
    "GET /console": "public",
    "GET /console/queue": "public",
    "GET /console/tickets/{ticket_id:int}": "public",
    "GET /console/knowledge": "public",
    "GET /console/performance": "public",
    "GET /console/metrics": "public",
    "GET /console/money": "public",
    "GET /console/maintenance": "public",
    "GET /console/uptime": "public",
    "GET /console/assets/{file_path:path}": "public",
    "GET /console/alerts": "public",
    "GET /v1/support/knowledge": "staff",
    "POST /v1/auth/register": "public",
    "POST /v1/auth/login": "public",
    "POST /v1/auth/refresh": "public",
    "POST /v1/auth/logout": "public",
    "POST /v1/auth/password-reset": "public",
    "POST /v1/auth/password-reset/confirm": "public",
    "GET /v1/auth/verify-email": "public",
    "POST /v1/auth/verify-email": "public",
    "GET /v1/me": "signed_in",
    "PATCH /v1/me": "signed_in",
    "GET /v1/me/export": "signed_in",
    "POST /v1/me/email-verification": "signed_in",
    "GET /v1/me/tokens": "signed_in",
    "POST /v1/me/tokens": "signed_in",
    "POST /v1/me/tokens/{token_id:uuid}/block": "own",
    "GET /v1/me/payment-methods": "signed_in",
    "POST /v1/me/payment-methods/setup": "signed_in",
    "POST /v1/me/payment-methods/{method_id:str}/default": "signed_in",
    "DELETE /v1/me/payment-methods/{method_id:str}": "signed_in",
    "GET /v1/me/favourites": "signed_in",
    "PUT /v1/me/favourites/{location_id:uuid}": "signed_in",
    "DELETE /v1/me/favourites/{location_id:uuid}": "signed_in",
    "GET /v1/me/devices": "signed_in",
    "POST /v1/me/devices": "signed_in",
    "DELETE /v1/me/devices/{device_id:uuid}": "own",
    "POST /v1/chat/conversations": "signed_in",
    "GET /v1/chat/conversations/{conversation_id:uuid}": "own",
    "POST /v1/chat/conversations/{conversation_id:uuid}/messages": "own",
    "GET /v1/chat/conversations/{conversation_id:uuid}/events": "own",
    "GET /v1/me/tickets": "signed_in",
    "POST /v1/me/tickets/{ticket_id:int}/messages": "own",
    "POST /v1/me/tickets/{ticket_id:int}/rating": "own",
    "POST /v1/me/tickets/{ticket_id:int}/reopen": "own",
    "GET /v1/support/queue": "staff",
    "GET /v1/support/queue/events": "staff",
    "GET /v1/support/canned-replies": "staff",
    "POST /v1/support/tickets": "staff",
    "POST /v1/support/tickets/bulk": "staff",
    "GET /v1/support/tickets/{ticket_id:int}": "staff",
    "PATCH /v1/support/tickets/{ticket_id:int}": "staff",
    "POST /v1/support/tickets/{ticket_id:int}/claim": "staff",
    "POST /v1/support/tickets/{ticket_id:int}/assign": "staff",
    "POST /v1/support/tickets/{ticket_id:int}/status": "staff",
    "POST /v1/support/tickets/{ticket_id:int}/messages": "staff",
    "POST /v1/support/tickets/{ticket_id:int}/notes": "staff",
    "POST /v1/support/tickets/{ticket_id:int}/merge": "staff",
    "GET /v1/support/tickets/{ticket_id:int}/canned-replies": "staff",
    "GET /v1/stations": "public",
    "GET /v1/stations/clusters": "public",
    "GET /v1/stations/report-categories": "public",
    "GET /v1/stations/{location_id:uuid}": "public",
    "POST /v1/stations/{location_id:uuid}/reports": "signed_in",
    "GET /v1/sessions/quote": "public",
    "POST /v1/sessions": "signed_in",
    "GET /v1/sessions": "signed_in",
    "GET /v1/sessions/active": "signed_in",
    "GET /v1/sessions/export.csv": "signed_in",
    "GET /v1/sessions/{session_id:uuid}": "signed_in",
    "POST /v1/sessions/{session_id:uuid}/stop": "signed_in",
    "GET /v1/sessions/{session_id:uuid}/receipt": "signed_in",
    "GET /v1/sessions/{session_id:uuid}/receipt.html": "signed_in",
    "GET /v1/sessions/{session_id:uuid}/events": "signed_in",
    "WEBSOCKET /v1/sessions/{session_id:uuid}/live": "live_socket",
    "GET /v1/receipts/{session_id:uuid}": "public",
    "POST /v1/guest/sessions": "public",
    "GET /v1/guest/sessions/{session_id:uuid}": "public",
    "POST /v1/guest/sessions/{session_id:uuid}/stop": "public",
    "GET /v1/guest/sessions/{session_id:uuid}/receipt": "public",
    "GET /v1/guest/sessions/{session_id:uuid}/receipt.html": "public",
    "POST /webhooks/stripe": "public",
    "GET /v1/support/duty": "staff",
    "PUT /v1/support/duty": "staff",
    "GET /v1/support/metrics": "staff",
    "GET /v1/support/tickets/{ticket_id:int}/diagnostics": "staff",
    "GET /v1/support/tickets/{ticket_id:int}/actions": "staff",
    "POST /v1/support/tickets/{ticket_id:int}/actions": "staff",
    "GET /v1/support/tickets/{ticket_id:int}/refunds": "staff",
    "POST /v1/support/tickets/{ticket_id:int}/refunds": "staff",
    "GET /v1/admin/users": "admin",
    "GET /v1/admin/tariffs": "admin",
    "GET /v1/admin/tariffs/{tariff_id:str}": "admin",
    "PUT /v1/admin/tariffs/{tariff_id:str}": "admin",
    "GET /v1/admin/maintenance/schedules": "operations",
    "POST /v1/admin/maintenance/schedules": "operations",
    "PATCH /v1/admin/maintenance/schedules/{schedule_id:uuid}": "operations",
    "DELETE /v1/admin/maintenance/schedules/{schedule_id:uuid}": "operations",
    "GET /v1/admin/work-orders": "operations",
    "POST /v1/admin/work-orders": "operations",
    "GET /v1/admin/work-orders/{work_order_id:uuid}": "operations",
    "PATCH /v1/admin/work-orders/{work_order_id:uuid}": "operations",
    "POST /v1/admin/work-orders/{work_order_id:uuid}/start": "operations",
    "POST /v1/admin/work-orders/{work_order_id:uuid}/complete": "operations",
    "POST /v1/admin/work-orders/{work_order_id:uuid}/cancel": "operations",
    "POST /v1/admin/work-orders/{work_order_id:uuid}/checklist/{item:int}": "operations",
    "POST /v1/admin/work-orders/{work_order_id:uuid}/comments": "operations",
    "GET /v1/admin/chargers": "operations",
    "GET /v1/admin/alerts": "operations",
    "GET /v1/admin/alerts/events": "operations",
    "GET /v1/admin/alerts/fatigue": "operations",
    "GET /v1/admin/alerts/{alert_id:uuid}": "operations",
    "POST /v1/admin/alerts/{alert_id:uuid}/acknowledge": "operations",
    "POST /v1/admin/alerts/{alert_id:uuid}/assign": "operations",
    "POST /v1/admin/alerts/{alert_id:uuid}/resolve": "operations",
    "GET /v1/admin/alert-rules": "operations",
    "PUT /v1/admin/alert-rules/{name:str}": "admin",
    "GET /v1/admin/metrics": "operations",
    "GET /v1/admin/metrics.csv": "operations",
    "GET /v1/admin/chargers/commands": "operations",
    "POST /v1/admin/chargers/{charger_id:str}/commands/{command:str}": "operations",
    "GET /v1/admin/chargers/{charger_id:str}/journal": "staff_operations",
    "GET /v1/admin/chargers/{charger_id:str}/performance": "operations",
    "GET /v1/admin/derating": "operations",
    "GET /v1/admin/chargers/{charger_id:str}/faults": "staff_operations",
    "GET /v1/admin/chargers/{charger_id:str}/charging-profiles": "operations",
    "POST /v1/admin/chargers/{charger_id:str}/charging-profiles": "operations",
    "DELETE /v1/admin/chargers/{charger_id:str}/charging-profiles": "operations",
    "POST /v1/admin/chargers/{charger_id:str}/charging-profiles/report": "operations",
    "GET /v1/admin/chargers/{charger_id:str}/composite-schedule": "operations",
    "GET /v1/admin/chargers/{charger_id:str}/ev-charging-needs": "operations",
    "GET /v1/admin/chargers/{charger_id:str}/security-events": "admin",
    "GET /v1/admin/chargers/{charger_id:str}/certificates": "admin",
    "GET /v1/admin/chargers/{charger_id:str}/security-profile": "admin",
    "PUT /v1/admin/chargers/{charger_id:str}/security-profile": "admin",
    "GET /v1/admin/chargers/{charger_id:str}/installed-certificates": "admin",
    "POST /v1/admin/chargers/{charger_id:str}/installed-certificates": "admin",
    "GET /v1/admin/chargers/{charger_id:str}/variables": "operations",
    "POST /v1/admin/chargers/{charger_id:str}/variables/get": "operations",
    "POST /v1/admin/chargers/{charger_id:str}/variables/set": "operations",
    "POST /v1/admin/chargers/{charger_id:str}/variables/refresh": "operations",
    "GET /v1/admin/chargers/{charger_id:str}/events": "operations",
    "GET /v1/admin/chargers/{charger_id:str}/monitors": "operations",
    "GET /v1/admin/chargers/{charger_id:str}/requests": "operations",
    "GET /v1/admin/chargers/{charger_id:str}/requests/{kind:str}/{request_id:int}": "operations",
    "PUT /v1/admin/tokens/{uid:str}/authorisation": "admin",
    "POST /v1/admin/chargers/{charger_id:str}/local-list/sync": "admin",
    "GET /v1/admin/chargers/{charger_id:str}/local-list": "admin",
    "GET /v1/admin/reservations": "admin",
    "POST /v1/admin/reservations": "admin",
    "POST /v1/admin/reservations/{reservation_id:int}/cancel": "admin",
    "GET /v1/admin/chargers/{charger_id:str}/ocpp": "operations",
    "POST /v1/admin/chargers/{charger_id:str}/ocpp/{action:str}": "operations",
    "POST /v1/admin/chargers/{charger_id:str}/password": "admin",
    "POST /v1/admin/chargers/{charger_id:str}/approve": "admin",
    "POST /v1/admin/chargers/{charger_id:str}/block": "admin",
    "POST /v1/admin/chargers/{charger_id:str}/unblock": "admin",
    "GET /v1/admin/chargers/{charger_id:str}/audit": "operations",
    "GET /ocpi/cpo/2.2.1/tokens/{country_code:str}/{party_id:str}/{token_uid:str}": "ocpi",
    "PUT /ocpi/cpo/2.2.1/tokens/{country_code:str}/{party_id:str}/{token_uid:str}": "ocpi",
    "PATCH /ocpi/cpo/2.2.1/tokens/{country_code:str}/{party_id:str}/{token_uid:str}": "ocpi",
    "POST /ocpi/cpo/2.2.1/commands/{command:str}": "ocpi",
    "GET /ocpi/versions": "ocpi",
    "GET /ocpi/2.2.1": "ocpi",
    "GET /ocpi/cpo/2.2.1/credentials": "ocpi",
    "POST /ocpi/cpo/2.2.1/credentials": "ocpi",
    "PUT /ocpi/cpo/2.2.1/credentials": "ocpi",
    "GET /ocpi/cpo/2.2.1/locations": "ocpi",
    "GET /ocpi/cpo/2.2.1/locations/{location_id:str}": "ocpi",
    "GET /ocpi/cpo/2.2.1/locations/{location_id:str}/{evse_uid:str}": "ocpi",
    "GET /ocpi/cpo/2.2.1/locations/{location_id:str}/{evse_uid:str}/{connector_id:str}": "ocpi",
    "GET /ocpi/cpo/2.2.1/tariffs": "ocpi",
    # the open data feed takes no credentials (off by default: 404 for everyone)
    "GET /ocpi/open-data/2.2.1/locations": "public",
    "GET /ocpi/open-data/2.2.1/tariffs": "public",
    "GET /ocpi/cpo/2.2.1/sessions": "ocpi",
    "PUT /ocpi/cpo/2.2.1/sessions/{session_id:str}/charging_preferences": "ocpi",
    "GET /ocpi/cpo/2.2.1/cdrs": "ocpi",
    # Unregistering ends the partner's token: called after its other calls.
    "DELETE /ocpi/cpo/2.2.1/credentials": "ocpi",
    "GET /v1/admin/regions": "operations",
    "POST /v1/admin/regions": "admin",
    "DELETE /v1/admin/regions/{region_id:uuid}": "admin",
    "GET /v1/admin/business-units": "operations",
    "POST /v1/admin/business-units": "admin",
    "DELETE /v1/admin/business-units/{unit_id:uuid}": "admin",
    "PUT /v1/admin/locations/{location_id:uuid}/organisation": "admin",
    "GET /v1/admin/operators/{user_id:uuid}/scope": "admin",
    "PUT /v1/admin/operators/{user_id:uuid}/scope": "admin",
    "GET /v1/admin/reconciliation": "operations",
    "GET /v1/admin/reconciliation.csv": "operations",
    "GET /v1/admin/host-agreements": "operations",
    "POST /v1/admin/host-agreements": "admin",
    "PATCH /v1/admin/host-agreements/{agreement_id:uuid}": "admin",
    "GET /v1/admin/revenue-share": "operations",
    "GET /v1/admin/revenue-share.csv": "operations",
    "GET /v1/admin/revenue-share.html": "operations",
    "GET /v1/revenue-share/print": "public",  # the print link is the credential: 400/404 without a valid one
    "GET /console/network": "public",
    "GET /v1/admin/network": "operations",
    "GET /v1/admin/network/events": "operations",
    "GET /v1/admin/uptime": "operations",
    "GET /v1/admin/uptime/export.csv": "operations",
    "GET /v1/admin/uptime/chart.svg": "operations",
    "GET /v1/admin/uptime/nevi": "operations",
    "GET /v1/admin/uptime/nevi/chart.svg": "operations",
    "GET /v1/admin/outages": "operations",
    "GET /v1/admin/outages/exclusions": "operations",
    "POST /v1/admin/outages/exclusions": "operations",
    "DELETE /v1/admin/outages/exclusions/{exclusion_id:uuid}": "operations",
    # Erasing an account is called last, so that it does not take the caller's later calls with it.
    "DELETE /v1/me": "signed_in",
}


def app_routes(app: Litestar) -> set[str]:
    """`METHOD /path` of every route the app answers (Litestar's automatic OPTIONS and HEAD left out)."""
    keys: set[str] = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", None) or [getattr(route, "route_handler", None)]:
            if isinstance(handler, WebsocketRouteHandler):
                keys.add(f"WEBSOCKET {route.path}")
            elif isinstance(handler, HTTPRouteHandler):
                keys.update(f"{method} {route.path}" for method in handler.http_methods - {"OPTIONS", "HEAD"})
    return keys


def _path_values(api: ServedApi, owned: dict[str, str]) -> dict[str, str]:
    return {
        "location_id": api.location_id,
        "agreement_id": str(uuid.uuid4()),
        "session_id": str(uuid.uuid4()),
        "tariff_id": "NO-SUCH-TARIFF",
        "charger_id": "NO-SUCH-CHARGER",
        "command": "reset",
        "action": "Reset",
        "method_id": "pm_unknown",
        "file_path": "swagger-ui.css",
        "path": "redoc",
        "kind": "log",
        "request_id": "1",
        "uid": "NO-SUCH-CARD",
        "reservation_id": "999999",
        "ticket_id": "999999",
        "evse_uid": "NO-SUCH-EVSE",
        "connector_id": "1",
        "country_code": "DE",
        "party_id": "FKE",
        "token_uid": "NO-SUCH-TOKEN",
        "region_id": str(uuid.uuid4()),
        "unit_id": str(uuid.uuid4()),
        "exclusion_id": str(uuid.uuid4()),
        "user_id": str(uuid.uuid4()),
        "schedule_id": str(uuid.uuid4()),
        "work_order_id": str(uuid.uuid4()),
        "item": "1",
        "alert_id": str(uuid.uuid4()),
        "name": "charger_offline",
        **owned,
    }


def _fill(template: str, values: dict[str, str]) -> str:
    parts = []
    for part in template.split("/"):
        if part.startswith("{") and part.endswith("}"):
            part = values[part[1:-1].split(":")[0]]
        parts.append(part)
    return "/".join(parts)


def _own_resources(api: ServedApi) -> dict[str, str]:
    """Driver A's device, conversation, RFID card and support ticket: the resources other callers must not see."""
    headers = api.headers("driver_a")
    with httpx.Client(base_url=api.base_url, headers=headers, timeout=30) as client:
        device = client.post("/v1/me/devices", json={"platform": "ios", "token": "push-token-of-a"})
        conversation = client.post("/v1/chat/conversations", json={})
        card = client.post("/v1/me/tokens", json={"uid": "04A22B5A7C6E80"})
        handed_over = client.post(
            f"/v1/chat/conversations/{conversation.json()['id']}/messages", json={"text": "I want to talk to a human"}
        )
    for answer in (device, conversation, card, handed_over):
        assert answer.status_code in {200, 201}, answer.text
    return {
        "device_id": device.json()["id"],
        "conversation_id": conversation.json()["id"],
        "token_id": card.json()["id"],
        "ticket_id": handed_over.json()["ticketId"].removeprefix("T-").lstrip("0"),
    }


async def _websocket_outcome(api: ServedApi, path: str, caller: str) -> int:
    """The live socket takes its token as a query parameter; a refusal is a close code 4401/4404 (401/404)."""
    header = api.headers(caller).get("Authorization", "")
    token = header.removeprefix("Bearer ") if header.startswith("Bearer ") else ""
    url = api.base_url.replace("http://", "ws://") + path + (f"?token={token}" if token else "")
    try:
        async with websockets.connect(url, open_timeout=10) as socket:
            await asyncio.wait_for(socket.recv(), timeout=10)
            return 200
    except websockets.ConnectionClosed as closed:
        code = closed.rcvd.code if closed.rcvd is not None else 1006
        return code - 4000 if code >= 4000 else code
    except websockets.InvalidStatus as refused:
        return refused.response.status_code


# Bodies that pass validation where the ownership check comes after it; every other write gets `{}`.
BODIES: dict[str, dict[str, Any]] = {
    "POST /v1/chat/conversations/{conversation_id:uuid}/messages": {"text": "The charger does not start"},
    "POST /v1/me/tickets/{ticket_id:int}/messages": {"text": "Any news?"},
    "POST /v1/me/tickets/{ticket_id:int}/rating": {"score": 5},
}


def _body_for(key: str) -> dict[str, Any] | None:
    method = key.split(" ", 1)[0]
    return BODIES.get(key, {}) if method in {"POST", "PUT", "PATCH"} else None


def test_every_route_has_a_row(served_api: ServedApi) -> None:
    routes = app_routes(served_api.app)
    missing = sorted(routes - MATRIX.keys())
    stale = sorted(MATRIX.keys() - routes)
    assert not missing, f"routes without a row in the authorisation matrix: {missing}"
    assert not stale, f"rows for routes the app no longer has: {stale}"


@pytest.mark.parametrize("caller", CALLERS)
def test_every_route_answers_each_caller_as_the_matrix_says(served_api: ServedApi, caller: str) -> None:
    values = _path_values(served_api, _own_resources(served_api))
    wrong: list[str] = []
    with httpx.Client(base_url=served_api.base_url, timeout=30) as client:
        for key, policy in MATRIX.items():
            expected = POLICIES[policy][caller]
            method, template = key.split(" ", 1)
            path = _fill(template, values)
            if method == "WEBSOCKET":
                status = asyncio.run(_websocket_outcome(served_api, path, caller))
            else:
                headers = {**served_api.headers(caller), "Idempotency-Key": str(uuid.uuid4())}
                # streamed: an event stream the caller may open never ends, only its status counts
                with client.stream(method, path, headers=headers, json=_body_for(key)) as answer:
                    status = answer.status_code
            ok = (status not in {401, 403} and status < 500) if expected == ALLOWED else status == expected
            if not ok:
                wrong.append(f"{key} as {caller}: expected {expected}, got {status}")
    assert not wrong, "\n".join(wrong)
