"""The console shell: page layout, navigation, the shared assets, rendered on the server with Jinja2.

One shell serves every staff console (support now, operations later): a console names its navigation and its
pages; the shell gives each page the header, the sign-in check, live updates, toasts and keyboard handling through
`shell.js`. Pages carry no data: the browser fetches everything from the JSON API with the signed-in staff member's
bearer token, so a page is public and the data behind it is not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import msgspec
from litestar import MediaType, Response, Router
from litestar.static_files import create_static_files_router

PACKAGE_DIR = Path(__file__).parent
STATIC_DIR = PACKAGE_DIR / "static"
TEMPLATES_DIR = PACKAGE_DIR / "templates"
CONSOLE_PATH = "/console"
ASSETS_PATH = f"{CONSOLE_PATH}/assets"


class NavItem(msgspec.Struct, frozen=True):
    """One entry of a console's navigation: its label, where it goes and the key that marks it as current."""

    key: str
    label: str
    href: str
    roles: tuple[str, ...] = ()  # shown only to these roles (all staff when empty)


class ConsoleShell:
    """A console: its name, its navigation and the Jinja environment its pages render with."""

    def __init__(self, name: str, nav: tuple[NavItem, ...], templates: tuple[Path, ...] = ()) -> None:
        self.name = name
        self.nav = nav
        self.environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader([*map(str, templates), str(TEMPLATES_DIR)]),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )

    def page(self, template: str, *, current: str, title: str, **context: Any) -> Response[str]:
        """A page of this console; `current` marks the navigation entry the page belongs to."""
        html = self.environment.get_template(template).render(
            console_name=self.name,
            nav=self.nav,
            current=current,
            title=title,
            assets=ASSETS_PATH,
            console_path=CONSOLE_PATH,
            **context,
        )
        # Pages hold no data, but the browser must not keep a signed-in staff member's view either.
        return Response(html, media_type=MediaType.HTML, headers={"cache-control": "no-store"})


def assets_router() -> Router:
    """The shell's and the pages' static files (scripts, styles, the logo), all served by the app itself."""
    return create_static_files_router(
        path="/assets", directories=[STATIC_DIR], include_in_schema=False, name="console-assets"
    )
