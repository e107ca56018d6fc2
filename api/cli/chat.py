"""`voltway chat`: talk with the troubleshooting assistant, or classify messages, against the local database."""

from __future__ import annotations

import argparse
import sys
import time

from api.cli.command import CommandError, prepare_database, run_coroutine
from api.settings import load_settings


def cmd_chat(args: argparse.Namespace) -> int:
    from api.domain.chat.commands import ChatCommandError, classify_lines, interactive
    from api.domain.chat.intent_models import recognizer_for

    try:
        if args.chat_command == "train":
            return cmd_chat_train(args)
        if args.chat_command == "classify":
            for line in classify_lines(sys.stdin, args.lang, recognizer_for(load_settings())):
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


def cmd_chat_train(args: argparse.Namespace) -> int:
    """Train the assistant's intent model from the examples shipped with it and write it where serving reads it."""
    from api.domain.chat.intent_models import is_current, model_path, train_and_write

    path = model_path(load_settings())
    if args.if_stale and is_current(path):
        print(f"intent model at {path} is up to date")
        return 0
    print(f"training the intent model (two to three minutes) into {path}", flush=True)
    started = time.perf_counter()
    report = train_and_write(path)
    print(
        f"trained on {report.examples} examples in {time.perf_counter() - started:.0f} s; temperature "
        f"{report.temperature} fitted on {report.calibration_examples} held-out examples "
        f"({report.calibration_accuracy:.1%} right before refitting on all)"
    )
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
    train = chat_commands.add_parser(
        "train",
        help="train the intent model",
        description="Train the assistant's statistical intent model from the examples shipped with it and write "
        "it to VOLTWAY_CHAT_MODEL (default: intent-model.npz in the data directory). Deterministic.",
    )
    train.add_argument("--if-stale", action="store_true", help="only when the model is missing or out of date")
    chat.set_defaults(handler=cmd_chat)
