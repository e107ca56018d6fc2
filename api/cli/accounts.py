"""`voltway users` and `voltway mail`: staff and driver accounts, and the mail outbox they are written to."""

from __future__ import annotations

import argparse
import secrets

from api.cli.command import CommandError, prepare_database, run_coroutine
from api.security.tokens import ROLES
from api.settings import load_settings


def cmd_users(args: argparse.Namespace) -> int:
    from api.domain.drivers.commands import add_user, list_users

    settings = load_settings()
    run_coroutine(prepare_database(settings))
    if args.users_command == "add":
        password = args.password or secrets.token_urlsafe(12)
        if len(password) < 10:
            raise CommandError("the password must be at least 10 characters long")
        user_id = run_coroutine(add_user(settings, email=args.email, password=password, role=args.role, name=args.name))
        print(f"created {args.role} {args.email.strip().lower()} ({user_id})")
        if not args.password:
            print(f"generated password (shown once): {password}")
        return 0
    for line in run_coroutine(list_users(settings)).splitlines():
        print(line)
    return 0


def cmd_mail(args: argparse.Namespace) -> int:
    from api.mail.commands import list_mail

    settings = load_settings()
    run_coroutine(prepare_database(settings))
    print(run_coroutine(list_mail(settings, to=args.to, limit=args.limit)), end="")
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `voltway users` and `voltway mail`."""
    users = commands.add_parser("users", help="manage accounts", description="Create and list accounts.")
    users_commands = users.add_subparsers(dest="users_command", required=True, metavar="ACTION")
    add = users_commands.add_parser("add", help="create an account", description="Create a staff or driver account.")
    add.add_argument("email")
    add.add_argument("--role", choices=list(ROLES), default="driver", help="default: driver")
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
