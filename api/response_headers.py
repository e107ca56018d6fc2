"""Security headers on every HTTP response, errors and unknown routes included.

The JSON API may not be framed, sniffed or used to load anything; the HTML pages (the receipt and the Swagger UI
under /schema, the staff console under /console) get a policy that allows exactly what they use: their own styles, for
the docs page its own scripts (Swagger UI starts from one inline script) and the document it fetches from the same
origin, for the console its own script files and the API it calls.
"""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
PAGE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
# The staff console: its own scripts, styles and API calls only; no inline script, nothing from elsewhere.
CONSOLE_PATH = "/console"
CONSOLE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
HSTS = b"max-age=31536000; includeSubDomains"
_COMMON = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
)


class SecurityHeadersMiddleware:
    """Adds the headers above to every `http.response.start`; HSTS when the service is reached over https."""

    def __init__(self, app: ASGIApp, *, docs_path: str, https: bool) -> None:
        self.app = app
        self.docs_prefix = docs_path.rstrip("/")
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        is_docs = path == self.docs_prefix or path.startswith(self.docs_prefix + "/")
        is_console = path == CONSOLE_PATH or path.startswith(CONSOLE_PATH + "/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if is_docs:
                    policy = DOCS_POLICY
                elif is_console and content_type.startswith(b"text/html"):
                    policy = CONSOLE_POLICY
                elif content_type.startswith(b"text/html"):
                    policy = PAGE_POLICY
                else:
                    policy = API_POLICY
                headers.extend(_COMMON)
                headers.append((b"content-security-policy", policy.encode()))
                if self.https:
                    headers.append((b"strict-transport-security", HSTS))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
