"""`voltway chat`: talk with the troubleshooting assistant, or classify messages, against the local database."""

from __future__ import annotations

import argparse
import sys

from api.cli.command import CommandError, prepare_database, run_coroutine
from api.settings import load_settings


def cmd_chat(args: argparse.Namespace) -> int:
    from api.domain.chat.commands import ChatCommandError, classify_lines, interactive

    try:
        if args.chat_command == "classify":
            for line in classify_lines(sys.stdin, args.lang):
                print(line, flush=True)
            return 0
        settings = load_settings()
        run_coroutine(prepare_database(settings))
        run_coroutine(
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


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `voltway chat`."""
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
