"""How the recogniser does on rounds it was never trained on: a model trained without the later rounds, scored on them.

    python -m tests.unit.chatbot.held_out 18            # train on rounds 01-18 only, score rounds 19 to the newest

The newest round measures a change once; this measures it again on every round after a cut, so that a change to
the training data or the model can be judged before the next round is written. Training takes a few minutes.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence

from chatbot.intent_model import train
from chatbot.intents import LANGUAGES, OUT_OF_SCOPE
from chatbot.recognizer import Recognizer
from chatbot.training.corpus import Example, training_set
from tests.unit.chatbot.evaluation_metrics import ROUNDS_DIR, Report, read_round, unseen


def round_number(example: Example) -> int | None:
    return int(example.origin.removeprefix("round ")) if example.from_round else None


def trained_through(examples: Iterable[Example], last_round: int) -> list[Example]:
    """The training examples without those of rounds after ``last_round`` (and without their variants)."""
    return [e for e in examples if (number := round_number(e)) is None or number <= last_round]


def held_out_rounds(last_round: int) -> list[str]:
    numbers = sorted(int(p.name) for p in ROUNDS_DIR.iterdir() if p.is_dir() and p.name.isdigit())
    return [f"{n:02d}" for n in numbers if n > last_round]


def summary(report: Report) -> str:
    """One line: accuracy, out-of-scope false accepts as a count, safety recall, overall and per language."""

    def accepted(part: Report) -> str:
        total = sum(n for (truth, _), n in part.confusion.items() if truth == OUT_OF_SCOPE)
        wrong = sum(n for (truth, guess), n in part.confusion.items() if truth == OUT_OF_SCOPE and guess != truth)
        return f"{wrong}/{total}"

    languages = "  ".join(
        f"{language} {part.accuracy:.1%} {accepted(part)}"
        for language in LANGUAGES
        if (part := report.for_language(language)).total
    )
    return (
        f"{report.name}: {report.accuracy:.1%}, false accepts {accepted(report)}, "
        f"safety {report.recall('safety_hazard'):.0%}  |  {languages}"
    )


def main(arguments: Sequence[str]) -> None:
    if len(arguments) != 1 or not arguments[0].isdigit():
        raise SystemExit("usage: python -m tests.unit.chatbot.held_out LAST_TRAINED_ROUND")
    last = int(arguments[0])
    rounds = held_out_rounds(last)
    if not rounds:
        raise SystemExit(f"no round after {last:02d} to score")
    examples = trained_through(training_set(), last)
    model, _ = train([(e.intent, e.text, e.group) for e in examples])
    recognizer = Recognizer(model=model)
    combined = Report(f"rounds {rounds[0]}-{rounds[-1]}")
    accepted: list[str] = []
    for number in rounds:
        report = Report(f"round {number}")
        for example in unseen(read_round(ROUNDS_DIR / number), (e.text for e in examples)):
            result = recognizer.classify(example.text)
            report.add(example.language, example.intent, result.intent, result.confidence)
            combined.add(example.language, example.intent, result.intent, result.confidence)
            if example.intent == OUT_OF_SCOPE != result.intent:
                guess = f"{result.intent} {result.confidence:.2f}"
                accepted.append(f"  {number} {example.language} {guess}: {example.text}")
        print(summary(report), flush=True)
    print(summary(combined))
    print(f"out-of-scope messages taken for an intent ({len(accepted)}):", *accepted, sep="\n")


if __name__ == "__main__":
    main(sys.argv[1:])
