"""A limit on the size of a request's head (request line and headers), whichever HTTP parser the server uses.

uvicorn's fast parser (httptools) takes heads of any size; one oversized head per request would let a client make
every process hold and walk megabytes of headers. Bodies are limited by Litestar (`request_max_body_size`)."""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from api.errors import ProblemDetails, send_problem

MAX_HEAD_BYTES = 16 * 1024


class HeadSizeLimitMiddleware:
    """Answers 431 (problem details; the OCPI envelope under /ocpi) to a request whose path, query and headers pass
    `limit` bytes."""

    def __init__(self, app: ASGIApp, limit: int = MAX_HEAD_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in (ScopeType.HTTP, ScopeType.WEBSOCKET):
            await self.app(scope, receive, send)
            return
        # Some servers put the query into raw_path too; count it once.
        path = (scope.get("raw_path") or b"").partition(b"?")[0]
        size = len(path) + len(scope.get("query_string") or b"")
        size += sum(len(name) + len(value) + 4 for name, value in scope["headers"])
        if size <= self.limit:
            await self.app(scope, receive, send)
            return
        if scope["type"] == ScopeType.WEBSOCKET:
            await send({"type": "websocket.close", "code": 1009, "reason": "request head too large"})
            return
        problem = ProblemDetails(
            type="urn:voltway:problem:request-head-too-large",
            title="Request header fields too large",
            status=431,
            detail=f"The request line and headers may take at most {self.limit} bytes.",
            instance=scope["path"],
        )
        await send_problem(send, problem)
