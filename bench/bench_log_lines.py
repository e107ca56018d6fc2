"""Benchmark of the secret redaction on log lines: the JSON handler as `voltway serve` configures it, writing an
access line, a line with a WebSocket URL and its `?token=`, and a SQL error, with and without the redacting
filter (the baseline, measured in the same run). Target: under 5 microseconds added per ordinary line.

Run: .venv/bin/python bench/bench_log_lines.py [--lines N]
"""

from __future__ import annotations

import argparse
import io
import logging
import statistics
import time

from api.logs import JsonFormatter, RedactingFilter

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkcml2ZXIiLCJleHAiOjE3OTY1MTYxNTh9.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"
LINES = {
    "access line": ("%s %s %s", ("GET", "/v1/sessions/5e1f2c3d-aaaa-bbbb-cccc-1234567890ab", 200)),
    "websocket ?token=": (
        '%s - "WebSocket %s" [accepted]',
        ("127.0.0.1:50123", f"/v1/sessions/5e1f2c3d-aaaa-bbbb-cccc-1234567890ab/live?token={TOKEN}"),
    ),
    "SQL error": (
        "%s",
        (
            "(sqlite3.IntegrityError) UNIQUE constraint failed: users.email\n"
            "[SQL: INSERT INTO users (id, email, password_hash) VALUES (?, ?, ?)]\n"
            "[parameters hidden due to hide_parameters=True]",
        ),
    ),
}


def per_line_us(handler: logging.Handler, message: str, args: tuple[object, ...], lines: int) -> float:
    """Median over 5 rounds of the microseconds one record takes through the handler."""
    rounds = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(lines):
            record = logging.LogRecord("api.access", logging.INFO, __file__, 1, message, args, None)
            handler.handle(record)
        rounds.append((time.perf_counter() - started) / lines * 1e6)
    return statistics.median(rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=20_000, help="log lines per round (default 20000)")
    lines = parser.parse_args().lines
    plain = logging.StreamHandler(io.StringIO())
    plain.setFormatter(JsonFormatter())
    redacting = logging.StreamHandler(io.StringIO())
    redacting.setFormatter(JsonFormatter())
    redacting.addFilter(RedactingFilter())
    print(f"{'line':<20} {'baseline µs':>12} {'redacted µs':>12} {'added µs':>9}")
    for name, (message, args) in LINES.items():
        base = per_line_us(plain, message, args, lines)
        redacted = per_line_us(redacting, message, args, lines)
        print(f"{name:<20} {base:>12.2f} {redacted:>12.2f} {redacted - base:>9.2f}")


if __name__ == "__main__":
    main()
