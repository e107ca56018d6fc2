"""Schemathesis fuzzes every operation of the served API document, as a driver and as an admin.

Every check schemathesis has runs on every answer: no server error, only documented statuses, content types and
headers, bodies that match their schema, invalid input rejected and valid input accepted. Examples per operation
and mode: VOLTWAY_FUZZ_EXAMPLES (a few in `make test`; `make fuzz-api` runs many more).
"""

from __future__ import annotations

import os
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode

from tests.contract.conftest import ServedApi

EXAMPLES = int(os.environ.get("VOLTWAY_FUZZ_EXAMPLES", "4"))
CALLERS = ("driver_a", "admin")
ACCEPTED = ["2xx", "401", "403", "404", "409"]
# Schema-valid input is accepted (or meets 401/403/404/409). The exceptions, each with the rule behind it: a rule
# JSON Schema cannot state (the operation may answer 422), or a state of this network that refuses valid input.
ALSO_EXPECTED: dict[str, tuple[str, str]] = {
    "/v1/auth/verify-email": ("422", "the token must be one this API mailed"),
    "/v1/auth/password-reset/confirm": ("422", "the token must be one this API mailed"),
    "/v1/sessions/quote": ("422", "evseUid or emi3EvseId: OpenAPI cannot require one of two query parameters"),
    "/v1/stations": ("422", "lat and lon, or bbox: one of two groups of query parameters"),
    "/v1/stations/clusters": ("422", "bbox as minLon,minLat,maxLon,maxLat with min below max"),
    "/v1/stations/{location_id}": ("422", "lat and lon come together: two query parameters"),
    # (with card payments, paymentMethodId becomes required: a rule that depends on the network's configuration)
    "/v1/guest/sessions": ("402", "this network takes no card payments in the app, so guest starts are refused"),
    "/v1/admin/maintenance/schedules": ("422", "a rule, or every and unit: one of two; locationId or chargerId"),
    "/v1/admin/maintenance/schedules/{schedule_id}": ("422", "a rule, or every and unit: one of two"),
    "/v1/admin/work-orders": (
        "422",
        "chargerId or locationId: one of two; the assignee an operator, tickets that exist",
    ),
    "/v1/admin/work-orders/{work_order_id}": ("422", "the assignee an operator or admin, tickets that exist"),
    "/v1/admin/work-orders/{work_order_id}/complete": ("422", "closing notes that are not only blanks"),
    "/v1/admin/work-orders/{work_order_id}/comments": ("422", "a comment that is not only blanks"),
    "/v1/admin/uptime": ("422", "from before to, from in the past, at most three years: rules between parameters"),
    "/v1/admin/uptime/export.csv": ("422", "from before to, from in the past, at most three years"),
    "/v1/admin/uptime/chart.svg": ("422", "from before to, from in the past, at most three years"),
    "/v1/admin/uptime/nevi": ("422", "the month must not be in the future: a rule against the clock"),
    "/v1/admin/uptime/nevi/chart.svg": ("422", "the month must not be in the future: a rule against the clock"),
    "/v1/admin/outages/exclusions": ("422", "exactly one of three targets, to after from, at most 366 days"),
    "/v1/admin/metrics": ("422", "from not after to, at most 400 days: rules between parameters"),
    "/v1/admin/metrics.csv": ("422", "from not after to, at most 400 days: rules between parameters"),
}
# Event streams the caller may open never end, so no answer completes; their access is checked by the
# authorisation matrix (which reads only the status) and their events by the integration tests.
ENDLESS_STREAMS = ("/v1/support/queue/events",)
# Unknown query parameters are ignored, as HTTP APIs do (a cache-busting `_=` must not break a call).
CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {"allow-extra-parameters": False},
        "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}},
        "operations": [
            {
                "include-path": path,
                "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, status]}},
            }
            for path, (status, _) in ALSO_EXPECTED.items()
        ]
        + [{"include-path": path, "enabled": False} for path in ENDLESS_STREAMS],
    }
)


def _fuzz_operation(operation: Any, mode: GenerationMode, headers: dict[str, str], session: requests.Session) -> None:
    @hypothesis.settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def run(case: schemathesis.Case[Any]) -> None:
        case.call_and_validate(session=session, headers=headers)

    run()


@pytest.mark.parametrize("caller", CALLERS)
def test_every_operation_keeps_its_contract(served_api: ServedApi, caller: str) -> None:
    schema = schemathesis.openapi.from_url(f"{served_api.base_url}/schema/openapi.json", config=CONFIG)
    failures: list[str] = []
    with requests.Session() as session:
        for result in schema.get_all_operations():
            operation = result.ok()  # type: ignore[union-attr]  # an Err raises here, failing the test
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                try:
                    _fuzz_operation(operation, mode, served_api.headers(caller), session)
                except hypothesis.errors.Unsatisfiable:  # nothing to make invalid (an operation without inputs)
                    continue
                except BaseException as exc:  # schemathesis reports a group of failures; collect them all
                    if isinstance(exc, KeyboardInterrupt | SystemExit):
                        raise
                    failures.append(f"{operation.label} [{mode.value}]: {exc}")
    assert not failures, f"{len(failures)} contract failures:\n\n" + "\n\n".join(failures)
