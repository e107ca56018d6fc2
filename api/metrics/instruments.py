"""The product's Prometheus metrics, next to the HTTP metrics of Litestar's middleware on `/metrics`.

Every label takes its values from a fixed set (OCPP versions and action names, command names, outcomes, reasons,
intents, priorities); a charger, user or session id is never a label. The metrics live in the process-wide
registry, so each process reports what it does itself: scrape every process (see the README).
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable, Iterable
from typing import Final, Protocol

from prometheus_client import REGISTRY, Counter, Gauge, Histogram, disable_created_metrics
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from chatbot.intents import INTENTS
from ocpp_bridge.errors import COMMAND_OUTCOMES
from ocpp_bridge.events import OcppVersion

OCPP_VERSIONS: Final = ("1.6", "2.0.1")
SESSION_SOURCES: Final = ("app", "guest", "rfid", "ocpi")
PAYMENT_OPERATIONS: Final = ("has_usable_method", "authorize", "settle", "release")
PAYMENT_OUTCOMES: Final = ("ok", "declined", "error")
ESCALATION_PRIORITIES: Final = ("urgent", "high", "normal")
LIVE_UPDATE_PATHS: Final = ("local", "relayed")

# Why a session failed to start, from the start of the reason the driver is shown (the sessions service's texts).
FAILURE_REASONS: Final[tuple[tuple[str, str], ...]] = (
    ("Payment declined", "payment_declined"),
    ("The payment could not be authorised", "payment_unavailable"),
    ("The charger went offline", "charger_offline"),
    ("The charger did not answer", "charger_no_answer"),
    ("The charger could not be started", "command_failed"),
    ("The charger refused to start", "charger_refused"),
    ("The charger did not accept the start", "charger_refused"),
    ("The charger did not start charging within", "start_timeout"),
    ("Cancelled before the charger started", "cancelled"),
)
FAILURE_KINDS: Final = (*dict.fromkeys(kind for _, kind in FAILURE_REASONS), "other")

# The `_created` series (a timestamp per child) double the output and no panel or alert uses them.
disable_created_metrics()  # type: ignore[no-untyped-call]

_FAST = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
_ROUND_TRIP = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_ROWS = (1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000)

OCPP_CONNECTED = Gauge(
    "voltway_ocpp_connected_chargers", "Chargers connected to this process, by OCPP version", ["ocpp_version"]
)
OCPP_MESSAGES = Counter(
    "voltway_ocpp_messages_total",
    "Calls received from chargers and answered, by OCPP action",
    ["ocpp_version", "action"],
)
OCPP_CALL_ERRORS = Counter(
    "voltway_ocpp_call_errors_total",
    "Calls from chargers answered with a CallError, by action and error code",
    ["ocpp_version", "action", "code"],
)
OCPP_HANDLER_SECONDS = Histogram(
    "voltway_ocpp_handler_seconds",
    "Time from taking up a charger's Call to its answer (decode, backend, encode), by action",
    ["ocpp_version", "action"],
    buckets=_FAST,
)
OCPP_COMMAND_SECONDS = Histogram(
    "voltway_ocpp_command_seconds",
    "Round trip of a command to a charger (remote start, stop, unlock ...), relayed ones included, by outcome",
    ["command", "outcome"],
    buckets=_ROUND_TRIP,
)
SESSION_STARTS = Counter("voltway_session_starts_total", "Charging sessions opened, by source", ["source"])
SESSION_FAILURES = Counter(
    "voltway_session_failures_total", "Charging sessions that failed to start, by reason", ["reason"]
)
LIVE_UPDATE_LAG = Histogram(
    "voltway_live_update_lag_seconds",
    "From publishing a live session update to an app stream taking it, by path (local, or relayed between processes)",
    ["path"],
    buckets=_FAST,
)
LIVE_UPDATES_DROPPED = Counter(
    "voltway_live_updates_dropped_total", "Live updates a slow app stream skipped (it gets the newer ones)"
)
METER_FLUSH_ROWS = Histogram(
    "voltway_meter_flush_rows", "Meter samples written by one flush of the batch writer", buckets=_ROWS
)
METER_FLUSH_SECONDS = Histogram(
    "voltway_meter_flush_seconds", "Duration of one meter-sample flush (one transaction)", buckets=_FAST
)
METER_FLUSH_FAILURES = Counter(
    "voltway_meter_flush_failures_total", "Meter-sample flushes that failed (the rows are kept for the next one)"
)
PAYMENT_CALLS = Counter(
    "voltway_payment_calls_total",
    "Calls to the payment provider, by operation and outcome (ok, declined, error)",
    ["provider", "operation", "outcome"],
)
PAYMENT_SECONDS = Histogram(
    "voltway_payment_call_seconds",
    "Duration of calls to the payment provider, by operation",
    ["provider", "operation"],
    buckets=_ROUND_TRIP,
)
SESSION_STOP_RETRIES = Counter(
    "voltway_session_stop_retries_total",
    "Stops sent again because the charger kept metering long after the session's stop (alert when it grows)",
)
ASSISTANT_REPLIES = Counter(
    "voltway_assistant_replies_total", "Assistant replies to drivers, by recognised intent", ["intent"]
)
ASSISTANT_ESCALATIONS = Counter(
    "voltway_assistant_escalations_total", "Support tickets the assistant opened, by priority", ["priority"]
)

# Series of the fixed label sets exist from the start, so rates and alerts see a zero instead of nothing.
for _version in OCPP_VERSIONS:
    OCPP_CONNECTED.labels(_version)
for _source in SESSION_SOURCES:
    SESSION_STARTS.labels(_source)
for _kind in FAILURE_KINDS:
    SESSION_FAILURES.labels(_kind)
for _path in LIVE_UPDATE_PATHS:
    LIVE_UPDATE_LAG.labels(_path)
for _priority in ESCALATION_PRIORITIES:
    ASSISTANT_ESCALATIONS.labels(_priority)


def failure_kind(reason: str) -> str:
    """The bounded label for a session's failure reason (one of `FAILURE_KINDS`)."""
    return next((kind for prefix, kind in FAILURE_REASONS if reason.startswith(prefix)), "other")


def session_started(source: str) -> None:
    SESSION_STARTS.labels(source if source in SESSION_SOURCES else "app").inc()


def session_failed(reason: str) -> None:
    SESSION_FAILURES.labels(failure_kind(reason)).inc()


def stop_retried() -> None:
    SESSION_STOP_RETRIES.inc()


def assistant_replied(intent: str, *, escalated_with: str | None) -> None:
    """One reply; `escalated_with` is the priority of the ticket it opened, if any."""
    ASSISTANT_REPLIES.labels(intent if intent in INTENTS else "other").inc()
    if escalated_with is not None:
        ASSISTANT_ESCALATIONS.labels(escalated_with if escalated_with in ESCALATION_PRIORITIES else "normal").inc()


def live_update_taken(published_at: float, path: str) -> None:
    LIVE_UPDATE_LAG.labels(path).observe(max(0.0, time.time() - published_at))


def timed_flush(rows: int, started: float, *, failed: bool) -> None:
    """One meter-sample flush of `rows` rows begun at `started` (`time.perf_counter`)."""
    METER_FLUSH_SECONDS.observe(time.perf_counter() - started)
    if failed:
        METER_FLUSH_FAILURES.inc()
    else:
        METER_FLUSH_ROWS.observe(rows)


class BridgeMetrics:
    """The OCPP bridge's `BridgeObserver`: counts into the metrics above, with the label children cached, since it
    runs for every message a charger sends."""

    __slots__ = ("_calls", "_commands", "_errors")

    def __init__(self) -> None:
        self._calls: dict[tuple[str, str], tuple[Callable[[], None], Callable[[float], None]]] = {}
        self._errors: dict[tuple[str, str, str], Callable[[], None]] = {}
        self._commands: dict[tuple[str, str], Callable[[float], None]] = {}

    def charger_connected(self, ocpp_version: OcppVersion) -> None:
        OCPP_CONNECTED.labels(ocpp_version).inc()

    def charger_disconnected(self, ocpp_version: OcppVersion) -> None:
        OCPP_CONNECTED.labels(ocpp_version).dec()

    def call_answered(
        self, ocpp_version: OcppVersion, action: str, seconds: float | None, error_code: str | None
    ) -> None:
        key = (ocpp_version, action)
        children = self._calls.get(key)
        if children is None:
            children = self._calls[key] = (
                OCPP_MESSAGES.labels(ocpp_version, action).inc,
                OCPP_HANDLER_SECONDS.labels(ocpp_version, action).observe,
            )
        children[0]()
        if seconds is not None:
            children[1](seconds)
        if error_code is not None:
            error_key = (ocpp_version, action, error_code)
            count = self._errors.get(error_key)
            if count is None:
                count = self._errors[error_key] = OCPP_CALL_ERRORS.labels(*error_key).inc
            count()

    def command_finished(self, command: str, seconds: float, outcome: str) -> None:
        key = (command, outcome if outcome in COMMAND_OUTCOMES else "error")
        observe = self._commands.get(key)
        if observe is None:
            observe = self._commands[key] = OCPP_COMMAND_SECONDS.labels(*key).observe
        observe(seconds)


class _Counted(Protocol):
    @property
    def active_sessions(self) -> int: ...


class _Watched(Protocol):
    @property
    def subscribers(self) -> int: ...


class _CurrentState(Collector):
    """Values read when Prometheus scrapes, from the live objects of every app in this process."""

    def __init__(self) -> None:
        self.sessions: weakref.WeakSet[_Counted] = weakref.WeakSet()
        self.updates: weakref.WeakSet[_Watched] = weakref.WeakSet()

    def collect(self) -> Iterable[Metric]:
        yield GaugeMetricFamily(
            "voltway_sessions_active",
            "Charging sessions whose charger this process holds (charging, suspended or stopping)",
            value=sum(source.active_sessions for source in list(self.sessions)),
        )
        yield GaugeMetricFamily(
            "voltway_live_update_subscribers",
            "App streams (WebSocket, SSE) watching a session live",
            value=sum(source.subscribers for source in list(self.updates)),
        )


CURRENT_STATE = _CurrentState()
REGISTRY.register(CURRENT_STATE)


def watch(*, sessions: _Counted, updates: _Watched) -> None:
    """Report the active sessions and live subscribers of one app's services (held weakly)."""
    CURRENT_STATE.sessions.add(sessions)
    CURRENT_STATE.updates.add(updates)
