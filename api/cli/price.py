"""`voltway price`: an OCPI CDR priced with an OCPI tariff, offline."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from api.cli.command import CommandError


def cmd_price(args: argparse.Namespace) -> int:
    from pricing.cdr_document import price_cdr_document
    from pricing.errors import PricingInputError

    try:
        tariff = Path(args.tariff).read_bytes()
        session = Path(args.session).read_bytes()
    except OSError as exc:
        raise CommandError(f"cannot read {exc.filename}: {exc.strerror}") from None
    try:
        document = price_cdr_document(tariff, session)
    except PricingInputError as exc:
        raise CommandError(str(exc)) from None
    sys.stdout.write(document.decode() + "\n")
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `voltway price`."""
    price = commands.add_parser(
        "price",
        help="price a charging session",
        description="Price an OCPI CDR (or its charging periods) with an OCPI tariff; prints the CDR totals as JSON.",
    )
    price.add_argument("tariff", help="OCPI Tariff JSON file")
    price.add_argument("session", help="OCPI CDR JSON file (start/end, charging_periods, optional time_zone)")
    price.set_defaults(handler=cmd_price)
