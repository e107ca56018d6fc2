"""`voltway serve`: the API server, with the OCPP bridge and the demo's simulated chargers in the same process."""

from __future__ import annotations

import argparse
from typing import Any

from api.cli.command import CommandError, check_ports, msgspec_replace, prepare_database, run_coroutine
from api.settings import Settings, export_for_workers, load_settings


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app
    from api.logs import configure_logging
    from api.serving import run_server, server_options

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
    check_ports(settings, api=True)
    configure_logging(settings.log_level, settings.log_format)
    run_coroutine(prepare_database(settings))
    simulated, demo_logins = run_coroutine(_demo_facts(settings))
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
            env_file=None,
            **server_options(settings),
        )
        return 0
    run_server(create_app(settings), settings, simulate=simulated if args.simulate else 0, demo_logins=demo_logins)
    return 0


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


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `voltway serve`."""
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
