"""`voltway chargers local-list ...` and `voltway tokens set`: local authorisation lists, card expiry and groups."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from api.cli.command import CommandError, prepare_database, run_coroutine
from api.settings import load_settings


def _expiry(raw: str | None) -> tuple[bool, datetime | None]:
    """(given, value): `never` clears the expiry; a date without a time zone is taken as UTC."""
    if raw is None:
        return False, None
    if raw.strip().lower() == "never":
        return True, None
    try:
        moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise CommandError(f"--expires must be an ISO 8601 date and time or 'never', got {raw!r}") from None
    return True, moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def cmd_local_list(args: argparse.Namespace) -> int:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from api.domain.chargers.local_list import LocalListKeeper
    from api.services import open_services
    from ocpp_bridge import commands, errors

    settings = load_settings()
    run_coroutine(prepare_database(settings))

    async def offline(_charger_id: str, _request: commands.CommandRequest) -> commands.CommandResult:
        raise errors.ChargerNotConnected("this command reaches chargers through the running server")

    async def run() -> int:
        async with open_services(settings) as services:
            factory: async_sessionmaker[AsyncSession] = services.session_factory
            keeper = LocalListKeeper(factory, offline)
            try:
                if args.local_list_command == "sync":
                    await keeper.request_full(args.id)
                    print(
                        f"full local list for {args.id} requested: the process holding its connection sends it within "
                        f"{settings.ocpp_authorisation_upkeep_seconds:g} s (see `voltway chargers local-list show`)"
                    )
                else:
                    state = await keeper.state(args.id)
                    synced = state.synced_at.isoformat(timespec="seconds") if state.synced_at else "never"
                    print(f"version {state.version}, {state.entries} entries, synced {synced}, {state.last_status}")
            except LookupError as exc:
                raise CommandError(str(exc)) from None
        return 0

    return run_coroutine(run())


def cmd_token_set(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from api.db.models import IdTokenRecord
    from api.services import open_services

    settings = load_settings()
    run_coroutine(prepare_database(settings))
    expiry_given, expires_at = _expiry(args.expires)
    if args.group is not None and len(args.group) > 20:
        raise CommandError("--group has at most 20 characters (an OCPP 1.6 parentIdTag)")

    async def run() -> int:
        async with open_services(settings) as services, services.session_factory() as session:
            record = (
                await session.execute(select(IdTokenRecord).where(IdTokenRecord.uid == args.uid))
            ).scalar_one_or_none()
            if record is None:
                raise CommandError(f"no token {args.uid!r}")
            if expiry_given:
                record.expires_at = expires_at
            if args.group is not None:
                record.group_id = None if args.group.lower() == "none" else args.group
            await session.commit()
            expiry = record.expires_at.isoformat(timespec="seconds") if record.expires_at else "never"
            print(f"token {args.uid}: {record.status}, expires {expiry}, group {record.group_id or 'none'}")
        return 0

    return run_coroutine(run())


def register_local_list(charger_commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    local_list = charger_commands.add_parser(
        "local-list",
        help="a charger's local authorisation list",
        description="Send a charger the full local authorisation list, or show the version it holds.",
    )
    actions = local_list.add_subparsers(dest="local_list_command", required=True, metavar="ACTION")
    sync = actions.add_parser("sync", help="send the full list", description="Send the charger the full list.")
    sync.add_argument("id", help="the charger's OCPP identity")
    show = actions.add_parser("show", help="the version it holds", description="The list version recorded.")
    show.add_argument("id", help="the charger's OCPP identity")


def register_token_set(token_commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    token_set = token_commands.add_parser(
        "set", help="set a card's expiry or group", description="Set when a card expires and the group it belongs to."
    )
    token_set.add_argument("uid")
    token_set.add_argument("--expires", help="ISO 8601 date and time (UTC if no zone given), or 'never'")
    token_set.add_argument("--group", help="group id (OCPP parentIdTag / groupIdToken), or 'none'")
