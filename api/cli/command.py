"""What every command handler stands on: its readable error, running a coroutine, stopping on a signal, a ready
database, settings overrides and free ports."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from sqlalchemy.exc import SQLAlchemyError

from api.settings import Settings

T = TypeVar("T")


class CommandError(Exception):
    """A readable failure of a command; printed without a traceback, exit code 2."""


def run_coroutine(coro: Coroutine[Any, Any, T]) -> T:
    """Run one coroutine to its end on a fresh event loop, as the synchronous command handlers need."""
    return asyncio.run(coro)


def stop_on_signal(stop: Callable[[], None]) -> None:
    """Ctrl-C (SIGINT) or SIGTERM calls `stop` on the running loop. The handlers are the command's own, so that it also
    stops when a script started it in the background, where the shell leaves SIGINT ignored and Python would never
    raise KeyboardInterrupt."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)


def check_ports(settings: Settings, *, api: bool) -> None:
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


def msgspec_replace(settings: Settings, **changes: Any) -> Settings:
    """The settings with the options given on the command line in place of the environment's."""
    import msgspec

    return msgspec.structs.replace(settings, **changes)


async def prepare_database(settings: Settings) -> int:
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
