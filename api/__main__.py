"""The `voltway` command line: serve, migrate, seed, provision accounts, read the outbox, write the OpenAPI document."""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import secrets
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any, TypeVar

import msgspec
from sqlalchemy.exc import SQLAlchemyError

from api.settings import Settings, SettingsError, export_for_workers, load_settings

DEFAULT_OPENAPI_PATH = Path("openapi/openapi.json")
T = TypeVar("T")


class CommandError(Exception):
    """A readable failure of a command; printed without a traceback, exit code 2."""


def _run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


# ----- serve ---------------------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app
    from api.logs import configure_logging
    from api.serving import run_server

    settings = load_settings()
    overrides: dict[str, Any] = {}
    if args.host:
        overrides["host"] = args.host
    if args.port is not None:
        overrides["port"] = args.port
    if args.workers is not None:
        overrides["workers"] = args.workers
    if args.ocpp_port is not None:
        overrides["ocpp_port"] = args.ocpp_port
    if args.no_ocpp:
        overrides["ocpp_enabled"] = False
    if overrides:
        settings = msgspec_replace(settings, **overrides)
    if settings.workers > 1 and settings.is_sqlite:
        raise CommandError(
            "several workers need PostgreSQL (VOLTWAY_DATABASE_URL=postgresql+asyncpg://...): "
            "they share chargers and hand commands to each other through it"
        )
    if args.simulate and (settings.env == "production" or not settings.ocpp_enabled):
        raise CommandError("--simulate is for development, with the OCPP bridge running in this process")
    _check_ports(settings, api=True)
    configure_logging(settings.log_level, settings.log_format)
    _run(_prepare_database(settings))
    simulated, demo_logins = _run(_demo_facts(settings))
    if args.simulate and not simulated:
        raise CommandError("no simulated chargers (SIM-...) in the database: run `voltway seed demo` first")
    if settings.workers > 1:
        export_for_workers(settings)
        uvicorn.run(
            "api.app:create_app_from_environment",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            log_config=None,
            access_log=False,
            env_file=None,
        )
        return 0
    run_server(create_app(settings), settings, simulate=simulated if args.simulate else 0, demo_logins=demo_logins)
    return 0


def _check_ports(settings: Settings, *, api: bool) -> None:
    """A busy port ends in one line naming it and how to choose another, before anything starts."""
    from api.serving import PortBusy, check_port_free

    try:
        if api:
            check_port_free(settings.host, settings.port, "the API", "--port or VOLTWAY_PORT")
        if settings.ocpp_enabled or not api:
            flag = "--ocpp-port" if api else "--port"
            check_port_free(settings.ocpp_host, settings.ocpp_port, "the OCPP bridge", f"{flag} or VOLTWAY_OCPP_PORT")
    except PortBusy as exc:
        raise CommandError(str(exc)) from None


async def _demo_facts(settings: Settings) -> tuple[int, list[str]]:
    """The demo's simulated chargers and its accounts present in the database (none in production)."""
    from sqlalchemy import select

    from api.db.engine import create_engine, create_session_factory
    from api.db.models import User
    from api.domain.chargers.provisioning import count_chargers
    from api.seed import DEMO_ACCOUNTS, SIMULATOR_PREFIX

    if settings.env == "production":
        return 0, []
    engine = create_engine(settings.database_url)
    try:
        async with create_session_factory(engine)() as session:
            emails = [email for email, _, _ in DEMO_ACCOUNTS]
            present = set((await session.execute(select(User.email).where(User.email.in_(emails)))).scalars())
            return await count_chargers(session, SIMULATOR_PREFIX), [e for e in emails if e in present]
    finally:
        await engine.dispose()


def msgspec_replace(settings: Settings, **changes: Any) -> Settings:
    import msgspec

    return msgspec.structs.replace(settings, **changes)


async def _prepare_database(settings: Settings) -> int:
    """The embedded SQLite default migrates itself; a shared PostgreSQL is migrated by the operator."""
    from api.db.engine import create_engine
    from api.db.migrate import is_up_to_date, upgrade

    engine = create_engine(settings.database_url)
    try:
        if settings.is_sqlite:
            await upgrade(engine)
        elif not await is_up_to_date(engine):
            raise CommandError("the database schema is not up to date: run `voltway db upgrade` first")
    except (OSError, SQLAlchemyError) as exc:
        raise CommandError(f"cannot reach the database: {describe_database_error(exc)}") from None
    finally:
        await engine.dispose()
    return 0


def describe_database_error(exc: BaseException) -> str:
    """The driver's own message, without SQLAlchemy's statement dump and documentation link."""
    original = getattr(exc, "orig", None) or exc
    return str(original).splitlines()[0] if str(original) else type(original).__name__


# ----- db --------------------------------------------------------------------------------------


def cmd_db(args: argparse.Namespace) -> int:
    from api.db.engine import create_engine
    from api.db.migrate import current_revision, downgrade, head_revision, new_revision, upgrade

    settings = load_settings()
    if args.db_command == "revision":
        new_revision(settings.database_url, args.message, autogenerate=args.autogenerate)
        return 0

    async def run() -> int:
        engine = create_engine(settings.database_url)
        try:
            if args.db_command == "upgrade":
                await upgrade(engine, args.revision)
            elif args.db_command == "downgrade":
                await downgrade(engine, args.revision)
            current = await current_revision(engine)
            print(f"database at revision {current or 'base'} (newest: {head_revision()})")
        finally:
            await engine.dispose()
        return 0

    return _run(run())


# ----- seed ------------------------------------------------------------------------------------


def cmd_seed(args: argparse.Namespace) -> int:
    from api.seed import seed_demo

    settings = load_settings()
    if settings.env == "production":
        raise CommandError("refusing to load demo data with VOLTWAY_ENV=production")
    _run(_prepare_database(settings))
    report = _run(seed_demo(settings, only_if_empty=args.if_empty))
    print(report)
    return 0


# ----- users -----------------------------------------------------------------------------------


def cmd_users(args: argparse.Namespace) -> int:
    from api.domain.drivers.commands import add_user, list_users

    settings = load_settings()
    _run(_prepare_database(settings))
    if args.users_command == "add":
        password = args.password or secrets.token_urlsafe(12)
        if len(password) < 10:
            raise CommandError("the password must be at least 10 characters long")
        user_id = _run(add_user(settings, email=args.email, password=password, role=args.role, name=args.name))
        print(f"created {args.role} {args.email.strip().lower()} ({user_id})")
        if not args.password:
            print(f"generated password (shown once): {password}")
        return 0
    for line in _run(list_users(settings)).splitlines():
        print(line)
    return 0


# ----- mail ------------------------------------------------------------------------------------


def cmd_mail(args: argparse.Namespace) -> int:
    from api.mail.commands import list_mail

    settings = load_settings()
    _run(_prepare_database(settings))
    print(_run(list_mail(settings, to=args.to, limit=args.limit)), end="")
    return 0


# ----- OCPP: bridge, simulator, chargers and tokens ------------------------------------------------


def cmd_ocpp(args: argparse.Namespace) -> int:
    """Run only the OCPP bridge (no HTTP API), e.g. on machines dedicated to charger connections."""
    import signal

    from api.domain.chargers.runtime import BridgeRuntime
    from api.logs import configure_logging
    from api.services import build_services, close_services

    settings = load_settings()
    if args.port is not None:
        settings = msgspec_replace(settings, ocpp_port=args.port)
    if args.host:
        settings = msgspec_replace(settings, ocpp_host=args.host)
    _check_ports(settings, api=False)
    configure_logging(settings.log_level, settings.log_format)
    _run(_prepare_database(settings))

    async def run() -> int:
        services = build_services(msgspec_replace(settings, ocpp_enabled=False))
        bridge = BridgeRuntime(settings, services.session_factory)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await bridge.start()
        print(f"OCPP bridge listening on ws://{settings.ocpp_host}:{bridge.port}/ocpp/{{charger id}}", flush=True)
        try:
            await stop.wait()
        finally:
            await bridge.stop()
            await close_services(services)
        return 0

    return _run(run())


def cmd_simulate(args: argparse.Namespace) -> int:
    from ocpp_bridge.simulator import ChargerRating, SimulatorConfig, run_simulation

    settings = load_settings()
    chargers = args.chargers
    ratings: dict[str, ChargerRating] = {}
    if args.meter_interval <= 0:
        raise CommandError("--meter-interval must be a positive number of seconds")
    if chargers is None:
        from api.domain.chargers.provisioning import charger_ratings, count_chargers
        from api.services import open_services

        async def count() -> tuple[int, dict[str, tuple[int, bool]]]:
            async with open_services(settings) as services, services.session_factory() as session:
                return await count_chargers(session, args.id_prefix), await charger_ratings(session, args.id_prefix)

        chargers, rated = _run(count())
        # each simulated charger delivers what its provisioned connectors are rated for
        ratings = {ocpp_id: ChargerRating(float(watts), dc) for ocpp_id, (watts, dc) in rated.items()}
        if chargers == 0:
            raise CommandError(f"no chargers with ids starting {args.id_prefix!r}: run `voltway seed demo` first")
    if chargers < 1:
        raise CommandError("--chargers must be at least 1")
    url = args.url or f"ws://127.0.0.1:{settings.ocpp_port}/ocpp"
    config = SimulatorConfig(
        url=url,
        chargers=chargers,
        ocpp_version=args.ocpp,
        id_prefix=args.id_prefix,
        password=args.password or settings.demo_charger_password,
        duration=args.duration,
        seed=args.seed,
        fault_rate=args.fault_rate,
        arrival_rate=args.arrival_rate,
        speed=args.speed,
        clock_offset_seconds=args.clock_offset,
        meter_interval=args.meter_interval,
        ratings=ratings,
    )
    print(f"simulating {chargers} OCPP {args.ocpp} chargers against {url}", flush=True)
    try:
        report = _run(run_simulation(config))
    except KeyboardInterrupt:
        return 130
    print(msgspec.json.format(msgspec.json.encode(report)).decode())
    return 0


def cmd_chargers(args: argparse.Namespace) -> int:
    import uuid
    from decimal import Decimal, InvalidOperation

    from api.domain.chargers.provisioning import add_charger, list_chargers
    from api.services import open_services

    settings = load_settings()
    _run(_prepare_database(settings))

    async def run() -> int:
        async with open_services(settings) as services, services.session_factory() as session:
            if args.chargers_command == "list":
                print(f"{'ID':<20} {'CONNECTED':<9} {'EVSES':>5}  {'LAST SEEN':<25} {'CLOCK':<18} LOCATION")
                for c in await list_chargers(session):
                    seen = c.last_seen.isoformat(timespec="seconds") if c.last_seen else "never"
                    state = "yes" if c.connected else "no"
                    print(f"{c.ocpp_id:<20} {state:<9} {c.evses:>5}  {seen:<25} {c.clock:<18} {c.location_name}")
                return 0
            try:
                location = uuid.UUID(args.location) if args.location else None
            except ValueError:
                raise CommandError(f"--location must be a station id (UUID), got {args.location!r}") from None
            try:
                power = Decimal(args.max_power_kw)
            except InvalidOperation:
                raise CommandError(f"--max-power-kw must be a number, got {args.max_power_kw!r}") from None
            coordinates = (args.lat, args.lon) if args.lat is not None and args.lon is not None else None
            try:
                station, created = await add_charger(
                    session,
                    ocpp_id=args.id,
                    password=args.password,
                    country_code=settings.ocpi_country_code,
                    party_id=settings.ocpi_party_id,
                    location_id=location,
                    evses=args.evses,
                    standard=args.connector,
                    max_power_kw=power,
                    tariff_id=args.tariff,
                    coordinates=coordinates,
                    name=args.name,
                )
            except ValueError as exc:
                raise CommandError(str(exc)) from None
            if created:
                print(f"provisioned charger {args.id} with {args.evses} EVSE(s) at location {station.location_id}")
            else:
                print(f"charger {args.id} exists; its password was changed")
            return 0

    return _run(run())


def cmd_tokens(args: argparse.Namespace) -> int:
    from api.domain.chargers.provisioning import ProvisioningError, add_token, block_token, list_tokens
    from api.services import open_services

    settings = load_settings()
    _run(_prepare_database(settings))

    async def run() -> int:
        async with open_services(settings) as services, services.session_factory() as session:
            try:
                if args.tokens_command == "add":
                    created = await add_token(session, args.uid, driver_email=args.driver)
                    print(f"token {args.uid} {'added' if created else 'updated'}")
                elif args.tokens_command == "block":
                    await block_token(session, args.uid)
                    print(f"token {args.uid} blocked")
                else:
                    for uid, kind, status, email in await list_tokens(session):
                        print(f"{uid:<24} {kind:<8} {status:<9} {email or ''}")
            except ProvisioningError as exc:
                raise CommandError(str(exc)) from None
            return 0

    return _run(run())


# ----- import and tariffs ----------------------------------------------------------------------


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
    _run(_prepare_database(settings))
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

    _run(run())
    return 1 if failures else 0


def cmd_tariffs(args: argparse.Namespace) -> int:
    import uuid

    from api.domain.stations.tariffs import TariffFileError, split_tariff_documents
    from api.services import open_services

    settings = load_settings()
    _run(_prepare_database(settings))

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

    return _run(run())


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


# ----- chat ------------------------------------------------------------------------------------


def cmd_chat(args: argparse.Namespace) -> int:
    from api.domain.chat.commands import ChatCommandError, classify_lines, interactive

    try:
        if args.chat_command == "classify":
            for line in classify_lines(sys.stdin, args.lang):
                print(line, flush=True)
            return 0
        settings = load_settings()
        _run(_prepare_database(settings))
        _run(
            interactive(
                settings,
                driver_email=args.driver,
                session_ref=args.session,
                read=input,
                write=lambda line: print(line, flush=True),
            )
        )
    except ChatCommandError as exc:
        raise CommandError(str(exc)) from None
    return 0


# ----- openapi ---------------------------------------------------------------------------------


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


# ----- parser ----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="voltway",
        description="Voltway: driver app API, OCPP central system, pricing, assistant and OCPI for EV charging.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the API", description="Run the API server.")
    serve.add_argument("--host", help="address to listen on (VOLTWAY_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (VOLTWAY_PORT, default 8000)")
    serve.add_argument("--workers", type=int, help="worker processes (VOLTWAY_WORKERS, default 1)")
    serve.add_argument("--ocpp-port", type=int, help="port chargers connect to (VOLTWAY_OCPP_PORT, default 9000)")
    serve.add_argument("--no-ocpp", action="store_true", help="do not run the OCPP bridge in this process")
    serve.add_argument(
        "--simulate", action="store_true", help="also connect the demo's simulated chargers (development only)"
    )
    serve.set_defaults(handler=cmd_serve)

    db = commands.add_parser("db", help="database migrations", description="Apply or write Alembic migrations.")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    up = db_commands.add_parser("upgrade", help="migrate to a newer revision", description="Migrate forward.")
    up.add_argument("revision", nargs="?", default="head", help="target revision (default: head)")
    down = db_commands.add_parser("downgrade", help="migrate back", description="Migrate back to a revision.")
    down.add_argument("revision", help="target revision, e.g. -1 or base")
    db_commands.add_parser("current", help="show the current revision", description="Show the current revision.")
    rev = db_commands.add_parser("revision", help="write a new migration", description="Write a new migration.")
    rev.add_argument("-m", "--message", required=True, help="what the migration changes")
    rev.add_argument("--autogenerate", action="store_true", help="compare the models with the database")
    db.set_defaults(handler=cmd_db)

    seed = commands.add_parser("seed", help="load demo data", description="Fill the database with demo data.")
    seed_commands = seed.add_subparsers(dest="seed_command", required=True, metavar="DATASET")
    demo = seed_commands.add_parser("demo", help="demo accounts and network", description="Load the demo data set.")
    demo.add_argument("--if-empty", action="store_true", help="do nothing when the database already has accounts")
    seed.set_defaults(handler=cmd_seed)

    users = commands.add_parser("users", help="manage accounts", description="Create and list accounts.")
    users_commands = users.add_subparsers(dest="users_command", required=True, metavar="ACTION")
    add = users_commands.add_parser("add", help="create an account", description="Create a staff or driver account.")
    add.add_argument("email")
    add.add_argument("--role", choices=["driver", "agent", "admin"], default="driver", help="default: driver")
    add.add_argument("--password", help="at least 10 characters; generated and shown once when omitted")
    add.add_argument("--name", default="", help="display name (default: the part of the email before @)")
    users_commands.add_parser("list", help="list accounts", description="List accounts with their roles.")
    users.set_defaults(handler=cmd_users)

    mail = commands.add_parser("mail", help="read the mail outbox", description="Read the mail outbox.")
    mail_commands = mail.add_subparsers(dest="mail_command", required=True, metavar="ACTION")
    mail_list = mail_commands.add_parser("list", help="show recent messages", description="Show recent messages.")
    mail_list.add_argument("--to", help="only messages to this address")
    mail_list.add_argument("--limit", type=int, default=10, help="how many messages (default 10)")
    mail.set_defaults(handler=cmd_mail)

    ocpp = commands.add_parser("ocpp", help="the OCPP bridge alone", description="Run only the OCPP bridge.")
    ocpp_commands = ocpp.add_subparsers(dest="ocpp_command", required=True, metavar="ACTION")
    ocpp_serve = ocpp_commands.add_parser(
        "serve", help="accept charger connections", description="Accept charger connections (no HTTP API)."
    )
    ocpp_serve.add_argument("--host", help="address to listen on (VOLTWAY_OCPP_HOST)")
    ocpp_serve.add_argument("--port", type=int, help="port to listen on (VOLTWAY_OCPP_PORT, default 9000)")
    ocpp.set_defaults(handler=cmd_ocpp)

    simulate = commands.add_parser(
        "simulate", help="simulate chargers", description="Connect simulated OCPP chargers to a central system."
    )
    simulate.add_argument("--url", help="central system base URL (default ws://127.0.0.1:VOLTWAY_OCPP_PORT/ocpp)")
    simulate.add_argument("--chargers", type=int, help="how many (default: every provisioned charger with the prefix)")
    simulate.add_argument("--ocpp", choices=["1.6", "2.0.1"], default="1.6", help="protocol version (default 1.6)")
    simulate.add_argument("--id-prefix", default="SIM-", help="charger ids are PREFIX00001 ... (default SIM-)")
    simulate.add_argument("--password", help="charger password (default VOLTWAY_DEMO_CHARGER_PASSWORD)")
    simulate.add_argument("--duration", type=float, help="seconds to run (default: until interrupted)")
    simulate.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    simulate.add_argument("--fault-rate", type=float, default=0.05, help="faults per charger per simulated hour")
    simulate.add_argument("--speed", type=float, default=1.0, help="simulated seconds per real second")
    simulate.add_argument(
        "--arrival-rate",
        type=float,
        default=1.0,
        help="card-started sessions per charger per simulated hour (0: only remote starts)",
    )
    simulate.add_argument(
        "--clock-offset",
        type=float,
        default=0.0,
        help="seconds the chargers' clocks are ahead of the real time (negative: behind), as wrong clocks are",
    )
    simulate.add_argument(
        "--meter-interval",
        type=float,
        default=10.0,
        help="simulated seconds between meter values while charging (default 10; the first right after the start)",
    )
    simulate.set_defaults(handler=cmd_simulate)

    chargers = commands.add_parser("chargers", help="provision chargers", description="Provision and list chargers.")
    charger_commands = chargers.add_subparsers(dest="chargers_command", required=True, metavar="ACTION")
    charger_add = charger_commands.add_parser(
        "add", help="provision a charger", description="Provision a charger, or change the password of one."
    )
    charger_add.add_argument("id", help="the charger's OCPP identity (charge point id)")
    charger_add.add_argument("--password", required=True, help="its Basic auth secret, at least 16 characters")
    charger_add.add_argument("--location", help="station id (UUID) to add it to; a new location otherwise")
    charger_add.add_argument("--evses", type=int, default=1, help="number of EVSEs (default 1)")
    charger_add.add_argument(
        "--connector", default="IEC_62196_T2", help="OCPI connector standard (default IEC_62196_T2)"
    )
    charger_add.add_argument("--max-power-kw", default="22", help="power per EVSE in kW (default 22)")
    charger_add.add_argument("--tariff", help="tariff id for its connectors")
    charger_add.add_argument("--lat", type=float, help="latitude of a new location (otherwise it stays off the map)")
    charger_add.add_argument("--lon", type=float, help="longitude of a new location")
    charger_add.add_argument("--name", help="name of a new location")
    charger_commands.add_parser("list", help="list chargers", description="List chargers and their connection state.")
    chargers.set_defaults(handler=cmd_chargers)

    tokens = commands.add_parser("tokens", help="RFID tokens", description="Manage RFID cards and fobs.")
    token_commands = tokens.add_subparsers(dest="tokens_command", required=True, metavar="ACTION")
    token_add = token_commands.add_parser("add", help="register a card", description="Register (or unblock) a card.")
    token_add.add_argument("uid", help="the card's id as the charger reads it")
    token_add.add_argument("--driver", help="email of the driver who owns it")
    token_block = token_commands.add_parser("block", help="block a card", description="Block a card.")
    token_block.add_argument("uid")
    token_commands.add_parser("list", help="list cards", description="List cards with owner and state.")
    tokens.set_defaults(handler=cmd_tokens)

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

    price = commands.add_parser(
        "price",
        help="price a charging session",
        description="Price an OCPI CDR (or its charging periods) with an OCPI tariff; prints the CDR totals as JSON.",
    )
    price.add_argument("tariff", help="OCPI Tariff JSON file")
    price.add_argument("session", help="OCPI CDR JSON file (start/end, charging_periods, optional time_zone)")
    price.set_defaults(handler=cmd_price)

    chat = commands.add_parser(
        "chat",
        help="talk with the assistant",
        description="Talk with the troubleshooting assistant as a driver, against the local database.",
    )
    chat.add_argument("--driver", help="the driver's email address (default: the demo driver)")
    chat.add_argument("--session", help="the session (transaction) the conversation is about")
    chat_commands = chat.add_subparsers(dest="chat_command", required=False, metavar="ACTION")
    classify = chat_commands.add_parser(
        "classify",
        help="classify messages from stdin",
        description='Read lines (or JSON lines with a "text" field) on stdin; print {"text", "intent", '
        '"confidence"} as one JSON line per input.',
    )
    classify.add_argument("--lang", help="the messages' language (en, de, fr, es, nl); detected when omitted")
    chat.set_defaults(handler=cmd_chat)

    openapi = commands.add_parser(
        "openapi", help="write the OpenAPI document", description="Write the app's OpenAPI 3.1 document."
    )
    openapi.add_argument("path", nargs="?", default=str(DEFAULT_OPENAPI_PATH), help="default: openapi/openapi.json")
    openapi.add_argument("--check", action="store_true", help="fail when the file differs instead of writing it")
    openapi.set_defaults(handler=cmd_openapi)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
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


if __name__ == "__main__":
    sys.exit(main())
