"""The product's Prometheus metrics: bounded labels, failure reasons that all have a name, the bridge observer's
counting, and a Grafana dashboard that queries only metrics the product exports."""

from __future__ import annotations

import ast
import json

from prometheus_client import REGISTRY

from api.domain.payments.metered import MeteredPaymentProvider
from api.domain.payments.none_provider import NonePaymentProvider
from api.metrics import instruments
from tests.support import GRAFANA_DASHBOARD, REPO_ROOT, dashboard_metric_names, dashboard_queries

BOUNDED_LABELS = {
    "ocpp_version",
    "action",
    "code",
    "command",
    "outcome",
    "source",
    "reason",
    "path",
    "provider",
    "operation",
    "intent",
    "priority",
}
HTTP_METRICS = {"voltway_requests_total", "voltway_request_duration_seconds_bucket"}  # Litestar's, made on use


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def product_samples() -> dict[str, set[str]]:
    """Sample name -> label names, for every metric of the product in the process registry."""
    MeteredPaymentProvider(NonePaymentProvider())  # the payment series exist once a provider is built
    found: dict[str, set[str]] = {}
    for family in REGISTRY.collect():
        for s in family.samples:
            if s.name.startswith("voltway_") and not s.name.startswith("voltway_request"):
                found.setdefault(s.name, set()).update(set(s.labels) - {"le"})
    return found


def test_every_label_comes_from_a_fixed_set() -> None:
    samples = product_samples()
    assert "voltway_ocpp_connected_chargers" in samples
    unbounded = {name: labels - BOUNDED_LABELS for name, labels in samples.items() if labels - BOUNDED_LABELS}
    assert unbounded == {}


def test_every_start_failure_of_the_sessions_service_has_a_reason_label() -> None:
    texts = []
    for module in sorted((REPO_ROOT / "api/domain/sessions").glob("*.py")):  # the parts of the session service
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "_fail":
                reason = node.args[1]
                if isinstance(reason, ast.JoinedStr):
                    reason = reason.values[0]
                elif isinstance(reason, ast.BinOp):
                    reason = reason.left
                assert isinstance(reason, ast.Constant), ast.unparse(node)
                texts.append(str(reason.value))
    assert len(texts) >= 8
    assert {text: instruments.failure_kind(text) for text in texts if instruments.failure_kind(text) == "other"} == {}
    assert instruments.failure_kind("Something nobody expected") == "other"


def test_the_bridge_observer_counts_calls_errors_refusals_and_commands() -> None:
    observer = instruments.BridgeMetrics()
    messages = sample("voltway_ocpp_messages_total", ocpp_version="2.0.1", action="Heartbeat")
    timed = sample("voltway_ocpp_handler_seconds_count", ocpp_version="2.0.1", action="Heartbeat")
    errors = sample("voltway_ocpp_call_errors_total", ocpp_version="2.0.1", action="Heartbeat", code="SecurityError")
    commands = sample("voltway_ocpp_command_seconds_count", command="unlock", outcome="timeout")
    connected = sample("voltway_ocpp_connected_chargers", ocpp_version="2.0.1")

    observer.charger_connected("2.0.1")
    observer.call_answered("2.0.1", "Heartbeat", 0.002, None)
    observer.call_answered("2.0.1", "Heartbeat", 0.003, None)
    observer.call_answered("2.0.1", "Heartbeat", None, "SecurityError")  # refused before any handler
    observer.command_finished("unlock", 30.0, "timeout")
    assert sample("voltway_ocpp_connected_chargers", ocpp_version="2.0.1") == connected + 1
    observer.charger_disconnected("2.0.1")

    assert sample("voltway_ocpp_messages_total", ocpp_version="2.0.1", action="Heartbeat") == messages + 3
    assert sample("voltway_ocpp_handler_seconds_count", ocpp_version="2.0.1", action="Heartbeat") == timed + 2
    assert (
        sample("voltway_ocpp_call_errors_total", ocpp_version="2.0.1", action="Heartbeat", code="SecurityError")
        == errors + 1
    )
    assert sample("voltway_ocpp_command_seconds_count", command="unlock", outcome="timeout") == commands + 1
    assert sample("voltway_ocpp_connected_chargers", ocpp_version="2.0.1") == connected


def test_an_intent_outside_the_list_is_counted_as_other() -> None:
    other = sample("voltway_assistant_replies_total", intent="other")
    urgent = sample("voltway_assistant_escalations_total", priority="urgent")
    instruments.assistant_replied("something new", escalated_with=None)
    instruments.assistant_replied("safety_hazard", escalated_with="urgent")
    assert sample("voltway_assistant_replies_total", intent="other") == other + 1
    assert sample("voltway_assistant_replies_total", intent="something new") == 0
    assert sample("voltway_assistant_escalations_total", priority="urgent") == urgent + 1


def test_the_grafana_dashboard_is_importable_and_queries_product_metrics() -> None:
    dashboard = json.loads(GRAFANA_DASHBOARD.read_text(encoding="utf-8"))
    panels = dashboard["panels"]
    assert len({panel["id"] for panel in panels}) == len(panels)
    charts = [panel for panel in panels if panel["type"] != "row"]
    assert len(charts) >= 20
    for panel in charts:
        assert panel["title"]
        assert panel["datasource"]["uid"] == "${datasource}"
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
        assert panel["targets"], panel["title"]
    assert all('job=~"$job"' in expr for expr in dashboard_queries())
    queried = {name for name in dashboard_metric_names() if name.startswith("voltway_")} - HTTP_METRICS
    assert len(queried) >= 20
    assert queried - set(product_samples()) == set()
