"""`voltway import` and `voltway tariffs`: charging locations from OCPI and AFDC feeds, and the tariffs they use."""

from __future__ import annotations

import argparse
import functools
import sys
from pathlib import Path

from api.cli.command import CommandError, prepare_database, run_coroutine
from api.settings import load_settings


def _feed_files(path: Path, suffixes: tuple[str, ...]) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in suffixes)
        if not files:
            raise CommandError(f"{path} holds no {' or '.join(suffixes)} files")
        return files
    if not path.exists():
        raise CommandError(f"{path} does not exist")
    return [path]


def cmd_import(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from rich.progress import Progress

    from api.domain.stations.feeds.afdc import read_afdc_csv
    from api.domain.stations.feeds.errors import FeedError
    from api.domain.stations.feeds.ocpi import read_ocpi_feed
    from api.domain.stations.importing import store_feed
    from api.domain.stations.records import FeedResult
    from api.domain.stations.time_zones import time_zone_at
    from api.services import open_services

    settings = load_settings()
    run_coroutine(prepare_database(settings))
    suffixes = (".json",) if args.format == "ocpi" else (".csv",)
    files = _feed_files(Path(args.path), suffixes)
    failures = 0

    async def run() -> None:
        nonlocal failures
        async with open_services(settings) as services:
            for file in files:
                now = datetime.now(UTC)
                try:
                    if args.format == "ocpi":
                        result: FeedResult = read_ocpi_feed(
                            file.read_bytes(), file.name, now=now, time_zone_at=time_zone_at
                        )
                    else:
                        text = file.read_text(encoding="utf-8-sig", errors="replace")
                        result = read_afdc_csv(text, file.name, now=now, time_zone_at=time_zone_at)
                except (FeedError, OSError) as exc:
                    failures += 1
                    print(f"{file.name}: not imported: {exc}", file=sys.stderr)
                    continue
                with Progress(transient=True, disable=not sys.stderr.isatty()) as progress:
                    task = progress.add_task(file.name, total=len(result.locations))
                    report = await store_feed(
                        services.session_factory, result, functools.partial(progress.advance, task)
                    )
                for line in report.lines():
                    print(line)

    run_coroutine(run())
    return 1 if failures else 0


def cmd_tariffs(args: argparse.Namespace) -> int:
    import uuid

    from api.domain.stations.tariffs import TariffFileError, split_tariff_documents
    from api.services import open_services

    settings = load_settings()
    run_coroutine(prepare_database(settings))

    async def run() -> int:
        async with open_services(settings) as services, services.session_factory() as session:
            store = services.tariffs
            if args.tariffs_command == "import":
                status = 0
                for file in _feed_files(Path(args.path), (".json",)):
                    try:
                        documents = split_tariff_documents(file.read_bytes(), file.name)
                    except (TariffFileError, OSError) as exc:
                        print(f"{file.name}: not imported: {exc}", file=sys.stderr)
                        status = 1
                        continue
                    report = await store.import_documents(session, documents, file.name)
                    print(
                        f"{file.name}: {report.created} new, {report.updated} updated, "
                        f"{report.unchanged} unchanged, {len(report.rejected)} rejected"
                    )
                    for reason in report.rejected:
                        print(f"  rejected: {reason}")
                return status
            if args.tariffs_command == "assign":
                try:
                    location_id = uuid.UUID(args.location)
                except ValueError:
                    raise CommandError(f"--location must be a station id (UUID), got {args.location!r}") from None
                if await store.get(session, args.tariff_id) is None:
                    raise CommandError(f"no tariff {args.tariff_id!r} of {store.country_code}/{store.party_id}")
                changed = await store.assign(
                    session, args.tariff_id, location_id, evse_uid=args.evse, connector_id=args.connector
                )
                if not changed:
                    raise CommandError("no connector matched; check --location, --evse and --connector")
                print(f"{changed} connector(s) now use tariff {args.tariff_id}")
                return 0
            for tariff in await store.list_all(session):
                print(f"{tariff.country_code}/{tariff.party_id}  {tariff.tariff_id:<36} {tariff.currency}")
            return 0

    return run_coroutine(run())


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `voltway import` and `voltway tariffs`."""
    importer = commands.add_parser(
        "import", help="import charging locations", description="Import charging locations from feeds."
    )
    import_formats = importer.add_subparsers(dest="format", required=True, metavar="FORMAT")
    ocpi = import_formats.add_parser(
        "ocpi", help="OCPI 2.1.1 / 2.2 / 2.2.1 location feeds", description="Import OCPI GET /locations responses."
    )
    ocpi.add_argument("path", help="a JSON file, or a folder of them")
    afdc = import_formats.add_parser(
        "afdc", help="US AFDC station CSV exports", description="Import AFDC alternative fuel station CSV exports."
    )
    afdc.add_argument("path", help="a CSV file, or a folder of them")
    importer.set_defaults(handler=cmd_import)

    tariffs = commands.add_parser("tariffs", help="manage tariffs", description="Import, assign and list tariffs.")
    tariff_commands = tariffs.add_subparsers(dest="tariffs_command", required=True, metavar="ACTION")
    tariff_import = tariff_commands.add_parser(
        "import", help="import OCPI tariffs", description="Import OCPI 2.2.1 Tariff JSON (object, list or envelope)."
    )
    tariff_import.add_argument("path", help="a JSON file, or a folder of them")
    assign = tariff_commands.add_parser(
        "assign", help="use a tariff on connectors", description="Point a station's connectors at one of our tariffs."
    )
    assign.add_argument("tariff_id")
    assign.add_argument("--location", required=True, help="station id (UUID) as the map shows it")
    assign.add_argument("--evse", help="only this EVSE uid")
    assign.add_argument("--connector", help="only this connector id (with --evse)")
    tariff_commands.add_parser("list", help="list tariffs", description="List stored tariffs.")
    tariffs.set_defaults(handler=cmd_tariffs)
