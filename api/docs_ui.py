"""The interactive API documentation at /schema: Swagger UI served from the app's own files, so it works offline."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from litestar import Response, Router
from litestar.openapi.plugins import JsonRenderPlugin, OpenAPIRenderPlugin, SwaggerRenderPlugin
from litestar.static_files import create_static_files_router

from api.errors import NotFound

DOCS_PATH = "/schema"
ASSETS_PATH = f"{DOCS_PATH}/assets"
# The documentation UIs other Litestar apps offer under /schema; here each answers the one UI we ship.
UI_ALIASES = ("/swagger",)
_ASSET_FILES = ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css", "favicon-32x32.png")


def swagger_ui_directory() -> Path:
    """Where the `swagger-ui-py` package keeps the Swagger UI distribution (read without importing it)."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the swagger-ui-py package is missing: reinstall voltway")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


def render_plugins() -> list[OpenAPIRenderPlugin]:
    """Swagger UI at /schema (and /schema/swagger) with local assets, and the document at /schema/openapi.json."""
    swagger = SwaggerRenderPlugin(
        js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
        css_url=f"{ASSETS_PATH}/swagger-ui.css",
        standalone_preset_js_url=f"{ASSETS_PATH}/swagger-ui-standalone-preset.js",
        favicon=f"<link rel='icon' type='image/png' href='{ASSETS_PATH}/favicon-32x32.png'>",
        path=["/", *UI_ALIASES],
    )
    return [swagger, JsonRenderPlugin(path="/openapi.json")]


def _problem_for_unknown_docs_page(response: Response[Any]) -> Response[Any]:
    """Litestar answers an unknown /schema/... page with an HTML 404; ours are problem details like every error."""
    if response.status_code == 404:
        raise NotFound(
            "no such documentation page: the documentation is at /schema, the document at /schema/openapi.json"
        )
    return response


def docs_router() -> Router:
    """The router the OpenAPI plugin fills with the UI routes, plus the UI's static files."""
    directory = swagger_ui_directory()
    missing = [name for name in _ASSET_FILES if not (directory / name).is_file()]
    if missing:
        raise RuntimeError(f"the swagger-ui-py package lacks {', '.join(missing)}: reinstall voltway")
    assets = create_static_files_router(
        path="/assets", directories=[directory], include_in_schema=False, name="docs-assets"
    )
    return Router(
        DOCS_PATH, route_handlers=[assets], include_in_schema=False, after_request=_problem_for_unknown_docs_page
    )
