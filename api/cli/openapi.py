"""`voltway openapi`: the app's OpenAPI document, written or checked against the checked-in file."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from api.cli.command import CommandError
from api.settings import Settings

DEFAULT_OPENAPI_PATH = Path("openapi/openapi.json")


def openapi_document() -> str:
    """The OpenAPI document as checked in: stable key order, two-space indent, trailing newline."""
    from api.app import create_app

    app = create_app(Settings(secret_key="schema-generation-needs-no-real-secret-key"))
    return json.dumps(app.openapi_schema.to_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def cmd_openapi(args: argparse.Namespace) -> int:
    document = openapi_document()
    target = Path(args.path)
    if args.check:
        if not target.exists() or target.read_text(encoding="utf-8") != document:
            raise CommandError(f"{target} differs from the application's schema: run `voltway openapi`")
        print(f"{target} is up to date")
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(document, encoding="utf-8")
    print(f"wrote {target}")
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `voltway openapi`."""
    openapi = commands.add_parser(
        "openapi", help="write the OpenAPI document", description="Write the app's OpenAPI 3.1 document."
    )
    openapi.add_argument("path", nargs="?", default=str(DEFAULT_OPENAPI_PATH), help="default: openapi/openapi.json")
    openapi.add_argument("--check", action="store_true", help="fail when the file differs instead of writing it")
    openapi.set_defaults(handler=cmd_openapi)
