"""Adding a scored evaluation round to the training data (`chatbot/training/rounds.tsv`).

    python -m tests.unit.chatbot.round_training NN

Only a round older than the newest may be added: the newest measures the recogniser fresh. A message is left out
when it equals (ignoring case) a training seed, a message of an earlier round or one of the tuned, holdout or safety
sets, or when one of its generated variants equals an evaluation message: evaluation messages are never trained on.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from chatbot.training.corpus import Example, seeds, variants
from tests.unit.chatbot.evaluation_metrics import ROUNDS_DIR, message_key, newest_round, read_examples, read_round
from tests.unit.chatbot.evaluation_metrics import Example as Written

ROUNDS_FILE = Path(__file__).parents[3] / "chatbot" / "training" / "rounds.tsv"


def rows_to_add(
    number: str, written: Iterable[Written], trained: Iterable[str], evaluation: Iterable[str]
) -> list[tuple[str, str, str, str]]:
    """The rows (`round`, `intent`, `lang`, `text`) of a round's messages that may be trained on."""
    seen = {message_key(text) for text in trained}
    held = {message_key(text) for text in evaluation}
    rows: list[tuple[str, str, str, str]] = []
    for message in written:
        key = message_key(message.text)
        if key in seen or key in held:
            continue
        seed = Example(message.intent, message.language, message.text, 0, origin=f"round {number}")
        if any(message_key(variant) in held for variant in variants(seed)):
            continue
        seen.add(key)
        rows.append((number, message.intent, message.language, message.text))
    return rows


def add_round(number: str) -> int:
    """Appends the round's trainable messages to rounds.tsv; returns how many."""
    directory = ROUNDS_DIR / number
    newest = newest_round()
    if not directory.is_dir():
        raise SystemExit(f"no evaluation round {number} under {ROUNDS_DIR}")
    if newest is not None and int(number) >= int(newest.name):
        raise SystemExit(f"round {number} is the newest: write round {int(number) + 1:02d} before training on it")
    if any(example.origin == f"round {number}" for example in seeds()):
        raise SystemExit(f"round {number} is already in {ROUNDS_FILE.name}")
    evaluation = [e.text for name in ("tuned", "holdout", "safety") for e in read_examples(name)]
    evaluation += [e.text for e in read_round(newest)] if newest is not None else []
    rows = rows_to_add(number, read_round(directory), (e.text for e in seeds()), evaluation)
    with ROUNDS_FILE.open("a", encoding="utf-8") as out:
        out.writelines("\t".join(row) + "\n" for row in rows)
    return len(rows)


def main(arguments: Sequence[str]) -> None:
    if len(arguments) != 1 or not arguments[0].isdigit():
        raise SystemExit("usage: python -m tests.unit.chatbot.round_training NN")
    number = f"{int(arguments[0]):02d}"
    added = add_round(number)
    print(f"round {number}: {added} messages added to {ROUNDS_FILE}")


if __name__ == "__main__":
    main(sys.argv[1:])
