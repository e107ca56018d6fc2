"""`voltway metrics rebuild`: the operators' metrics rollups recomputed from the sessions, and the uptime
roll-up from the outage log."""

from __future__ import annotations

import argparse

from api.cli.command import prepare_database, run_coroutine
from api.settings import load_settings


def cmd_metrics(args: argparse.Namespace) -> int:
    from api.db.engine import create_engine, create_session_factory
    from api.db.types import utc_now
    from api.domain.operations.metrics.rollups import rebuild
    from api.domain.uptime import rollup

    settings = load_settings()
    run_coroutine(prepare_database(settings))

    async def run() -> int:
        engine = create_engine(settings.database_url)
        try:
            async with create_session_factory(engine)() as session, session.begin():
                counted = await rebuild(session)
            async with create_session_factory(engine)() as session, session.begin():
                port_days = await rollup.rebuild(session, utc_now())
        finally:
            await engine.dispose()
        print(f"metrics rebuilt from {counted} finished sessions")
        print(f"uptime rolled up again: {port_days} port-days with outages")
        return 0

    return run_coroutine(run())


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `voltway metrics rebuild`."""
    metrics = commands.add_parser(
        "metrics",
        help="operators' metrics rollups",
        description="Recompute the metrics rollups from every finished session (for history older than them, or "
        "after restoring a backup), and the uptime roll-up from the outage log. Sessions finishing while it runs "
        "may count twice: run it with the servers stopped.",
    )
    actions = metrics.add_subparsers(dest="metrics_command", required=True, metavar="ACTION")
    actions.add_parser(
        "rebuild",
        help="recompute the rollups from the sessions and the outage log",
        description="Recompute the rollups.",
    )
    metrics.set_defaults(handler=cmd_metrics)
