"""`voltway deliveries`: read the outbound delivery outbox and send a delivery again."""

from __future__ import annotations

import argparse

from api.cli.command import CommandError, prepare_database, run_coroutine
from api.settings import load_settings


def cmd_deliveries(args: argparse.Namespace) -> int:
    from api.deliveries.commands import DeliveryCommandError, list_deliveries, retry_delivery

    settings = load_settings()
    run_coroutine(prepare_database(settings))
    try:
        if args.deliveries_command == "retry":
            print(run_coroutine(retry_delivery(settings, args.id)), end="")
        else:
            print(run_coroutine(list_deliveries(settings, status=args.status, limit=args.limit)), end="")
    except DeliveryCommandError as exc:
        raise CommandError(str(exc)) from None
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `voltway deliveries`."""
    deliveries = commands.add_parser(
        "deliveries",
        help="read the outbound delivery outbox",
        description="Webhooks and other messages sent to other systems, with retries.",
    )
    actions = deliveries.add_subparsers(dest="deliveries_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="show recent deliveries", description="Show recent deliveries.")
    listing.add_argument("--status", choices=["pending", "delivered", "dead"], help="only deliveries in this state")
    listing.add_argument("--limit", type=int, default=20, help="how many deliveries (default 20)")
    retry = actions.add_parser(
        "retry",
        help="send a delivery again",
        description="Make a dead or waiting delivery due now, with fresh attempts.",
    )
    retry.add_argument("id", help="the delivery id (X-Voltway-Delivery-Id)")
    deliveries.set_defaults(handler=cmd_deliveries)
