"""`voltway metrics rebuild`: the operators' metrics rollups recomputed from the sessions."""

from __future__ import annotations

import argparse

from api.cli.command import prepare_database, run_coroutine
from api.settings import load_settings


def cmd_metrics(args: argparse.Namespace) -> int:
    from api.db.engine import create_engine, create_session_factory
    from api.domain.operations.metrics.rollups import rebuild

    settings = load_settings()
    run_coroutine(prepare_database(settings))

    async def run() -> int:
        engine = create_engine(settings.database_url)
        try:
            async with create_session_factory(engine)() as session, session.begin():
                counted = await rebuild(session)
        finally:
            await engine.dispose()
        print(f"metrics rebuilt from {counted} finished sessions")
        return 0

    return run_coroutine(run())


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `voltway metrics rebuild`."""
    metrics = commands.add_parser(
        "metrics",
        help="operators' metrics rollups",
        description="Recompute the metrics rollups from every finished session (for history older than them, or "
        "after restoring a backup). Sessions finishing while it runs may count twice: run it with the servers "
        "stopped.",
    )
    actions = metrics.add_subparsers(dest="metrics_command", required=True, metavar="ACTION")
    actions.add_parser("rebuild", help="recompute the rollups from the sessions", description="Recompute the rollups.")
    metrics.set_defaults(handler=cmd_metrics)
