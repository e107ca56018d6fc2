"""The `voltway` command line: serve, migrate, seed, provision accounts, read the outbox, write the OpenAPI document.

Each module registers one group of commands and holds their handlers; `command` holds what they share.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from sqlalchemy.exc import SQLAlchemyError

from api.cli import accounts, chargers, chat, database, deliveries, metrics, ocpi, openapi, price, serve, stations
from api.cli.command import CommandError, describe_database_error
from api.settings import SettingsError


def build_parser() -> argparse.ArgumentParser:
    """The whole command line, its commands in the order `voltway --help` lists them."""
    parser = argparse.ArgumentParser(
        prog="voltway",
        description="Voltway: driver app API, OCPP central system, pricing, assistant and OCPI for EV charging.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in (serve, database, accounts, chargers, stations, price, chat, deliveries, ocpi, metrics, openapi):
        group.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; its exit code (2 with one readable line for a failure the user can fix)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except (SettingsError, CommandError) as exc:
        print(f"voltway: {exc}", file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:
        print(f"voltway: database error: {describe_database_error(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        return 0
