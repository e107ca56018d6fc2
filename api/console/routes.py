"""The agent console's pages: sign-in at /console, the queue, a ticket, the knowledge base.

The pages are shells the browser fills from the JSON API (`/v1/support/...`), so they are left out of the OpenAPI
document, and they answer anyone: the data needs an agent's or an admin's token.
"""

from __future__ import annotations

from litestar import Response, Router, get
from litestar.params import FromPath

from api.console.operations import OPERATIONS, OPERATIONS_PAGES, operations_nav
from api.console.shell import CONSOLE_PATH, ConsoleShell, NavItem, assets_router

SUPPORT = ConsoleShell(
    "Voltway support",
    (
        NavItem("queue", "Queue", f"{CONSOLE_PATH}/queue"),
        NavItem("knowledge", "Knowledge base", f"{CONSOLE_PATH}/knowledge"),
    ),
)
SUPPORT_NAV = SUPPORT.nav


@get("/", sync_to_thread=False)
def sign_in_page() -> Response[str]:
    """Sign-in with the API's own login; the token stays in the tab (sessionStorage), never in a cookie."""
    return SUPPORT.page("login.html", current="", title="Sign in", script="login.js")


@get("/queue", sync_to_thread=False)
def queue_page() -> Response[str]:
    return SUPPORT.page("queue.html", current="queue", title="Queue", script="queue.js")


@get("/tickets/{ticket_id:int}", sync_to_thread=False)
def ticket_page(ticket_id: FromPath[int]) -> Response[str]:
    return SUPPORT.page("ticket.html", current="queue", title="Ticket", script="ticket.js", ticket_id=ticket_id)


@get("/knowledge", sync_to_thread=False)
def knowledge_page() -> Response[str]:
    return SUPPORT.page("knowledge.html", current="knowledge", title="Knowledge base", script="knowledge.js")


def console_router() -> Router:
    """Everything under /console, out of the OpenAPI document like the docs UI."""
    OPERATIONS.nav = operations_nav()
    # admins work both consoles: a way to the operations pages, once there are some
    first = OPERATIONS.nav[0] if OPERATIONS.nav else None
    SUPPORT.nav = (
        (*SUPPORT_NAV, NavItem("operations", "Operations", first.href, roles=("admin",))) if first else SUPPORT_NAV
    )
    return Router(
        CONSOLE_PATH,
        route_handlers=[sign_in_page, queue_page, ticket_page, knowledge_page, *OPERATIONS_PAGES, assets_router()],
        include_in_schema=False,
    )
