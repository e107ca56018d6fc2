"""Fixed-window request counters kept in process memory, cheap enough for every request."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from api.errors import ProblemDetails, send_problem


class FixedWindowLimiter:
    """Allows `limit` hits per key in each window of `window_seconds`; 0 disables the limit."""

    def __init__(self, limit: int, window_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self._clock = clock
        self._windows: dict[str, tuple[float, int]] = {}
        self._next_prune = 0.0

    def hit(self, key: str) -> int | None:
        """Count one hit; None when allowed, else the seconds until the window reopens."""
        if self.limit <= 0:
            return None
        now = self._clock()
        if now >= self._next_prune:
            self._prune(now)
        started, count = self._windows.get(key, (now, 0))
        if now - started >= self.window_seconds:
            started, count = now, 0
        count += 1
        self._windows[key] = (started, count)
        if count > self.limit:
            return max(1, math.ceil(started + self.window_seconds - now))
        return None

    def _prune(self, now: float) -> None:
        self._windows = {k: v for k, v in self._windows.items() if now - v[0] < self.window_seconds}
        self._next_prune = now + self.window_seconds


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class RateLimitMiddleware:
    """Per-client-address request limit for the whole API, except the probes operators poll."""

    EXEMPT_PREFIXES = ("/health", "/ready", "/metrics")

    def __init__(self, app: ASGIApp, limiter: FixedWindowLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or self.limiter.limit <= 0 or scope["path"].startswith(self.EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        retry_after = self.limiter.hit(client_address(scope))
        if retry_after is None:
            await self.app(scope, receive, send)
            return
        request_id = scope.get("state", {}).get("request_id")
        problem = ProblemDetails(
            type="urn:voltway:problem:rate-limited",
            title="Too many requests",
            status=429,
            detail=f"Too many requests from this address; try again in {retry_after} seconds.",
            instance=scope["path"],
            request_id=str(request_id) if request_id else None,
        )
        await send_problem(send, problem, [(b"retry-after", str(retry_after).encode())])
