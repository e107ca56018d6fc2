"""The operations console: the same shell as the support desk, with the operators' navigation.

Each operations page registers its handler in `OPERATIONS_PAGES`; the navigation shows the pages that exist, in
`NAV` order. Pages are shells filled from the operations API (`/v1/admin/...`) with an operator's or an admin's
token; their scripts start with `startPage({ roles: OPERATIONS_ROLES })`.
"""

from __future__ import annotations

from litestar.handlers import HTTPRouteHandler

from api.console.alerts import alerts_page
from api.console.maintenance_page import maintenance_page
from api.console.metrics_page import metrics_page
from api.console.money import money_page
from api.console.network_page import network_page
from api.console.performance_page import performance_page
from api.console.shell import CONSOLE_PATH, ConsoleShell, NavItem
from api.console.uptime_page import uptime_page

NAV: tuple[NavItem, ...] = (
    NavItem("network", "Network", f"{CONSOLE_PATH}/network"),
    NavItem("alerts", "Alerts", f"{CONSOLE_PATH}/alerts"),
    NavItem("performance", "Performance", f"{CONSOLE_PATH}/performance"),
    NavItem("maintenance", "Maintenance", f"{CONSOLE_PATH}/maintenance"),
    NavItem("uptime", "Uptime", f"{CONSOLE_PATH}/uptime"),
    NavItem("metrics", "Metrics", f"{CONSOLE_PATH}/metrics"),
    NavItem("money", "Money", f"{CONSOLE_PATH}/money"),
)
# admins work both consoles: a way back to the support desk
SUPPORT_LINK = NavItem("support", "Support desk", f"{CONSOLE_PATH}/queue", roles=("admin",))

OPERATIONS_PAGES: list[HTTPRouteHandler] = []

OPERATIONS = ConsoleShell("Voltway operations", ())
OPERATIONS_PAGES.append(maintenance_page(OPERATIONS))
OPERATIONS_PAGES.append(alerts_page(OPERATIONS))
OPERATIONS_PAGES.append(money_page(OPERATIONS))
OPERATIONS_PAGES.append(network_page(OPERATIONS))
OPERATIONS_PAGES.append(performance_page(OPERATIONS))
OPERATIONS_PAGES.append(uptime_page(OPERATIONS))
OPERATIONS_PAGES.append(metrics_page(OPERATIONS))


def operations_nav() -> tuple[NavItem, ...]:
    """The navigation entries whose pages are registered, and the admins' link to the support desk."""
    paths = {path for handler in OPERATIONS_PAGES for path in handler.paths}
    pages = tuple(item for item in NAV if item.href.removeprefix(CONSOLE_PATH) in paths)
    return (*pages, SUPPORT_LINK) if pages else ()
