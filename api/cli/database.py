"""`voltway db` and `voltway seed`: schema migrations and the demo data set."""

from __future__ import annotations

import argparse

from api.cli.command import CommandError, prepare_database, run_coroutine
from api.settings import load_settings


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

    return run_coroutine(run())


def cmd_seed(args: argparse.Namespace) -> int:
    from api.seed import seed_demo

    settings = load_settings()
    if settings.env == "production":
        raise CommandError("refusing to load demo data with VOLTWAY_ENV=production")
    run_coroutine(prepare_database(settings))
    report = run_coroutine(seed_demo(settings, only_if_empty=args.if_empty))
    print(report)
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `voltway db` and `voltway seed`."""
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
