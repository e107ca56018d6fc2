"""Scoring the recogniser on a labelled message set: accuracy, macro-F1, confusion, out-of-scope false accepts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from chatbot.intents import INTENTS, LANGUAGES, OUT_OF_SCOPE
from chatbot.recognizer import Recognizer

EVALUATION_DIR = Path(__file__).parent / "evaluation"


@dataclass(frozen=True)
class Example:
    intent: str
    language: str
    text: str


@dataclass
class Report:
    name: str
    total: int = 0
    correct: int = 0
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    by_language: Counter[tuple[str, bool]] = field(default_factory=Counter)

    @property
    def accuracy(self) -> float:
        return self.correct / self.total

    def recall(self, intent: str) -> float:
        actual = sum(n for (truth, _), n in self.confusion.items() if truth == intent)
        return self.confusion[(intent, intent)] / actual if actual else 1.0

    def f1(self, intent: str) -> float:
        hits = self.confusion[(intent, intent)]
        predicted = sum(n for (_, guess), n in self.confusion.items() if guess == intent)
        actual = sum(n for (truth, _), n in self.confusion.items() if truth == intent)
        if hits == 0:
            return 0.0
        precision, recall = hits / predicted, hits / actual
        return 2 * precision * recall / (precision + recall)

    def language_accuracy(self, language: str) -> float:
        right, wrong = self.by_language[(language, True)], self.by_language[(language, False)]
        return right / (right + wrong) if right + wrong else 1.0

    @property
    def macro_f1(self) -> float:
        present = [i for i in INTENTS if any(truth == i for truth, _ in self.confusion)]
        return sum(self.f1(i) for i in present) / len(present)

    @property
    def out_of_scope_false_accepts(self) -> float:
        """Share of out-of-scope messages the assistant took for one of its intents."""
        total = sum(n for (truth, _), n in self.confusion.items() if truth == OUT_OF_SCOPE)
        accepted = sum(n for (truth, guess), n in self.confusion.items() if truth == OUT_OF_SCOPE and guess != truth)
        return accepted / total if total else 0.0

    def render(self) -> str:
        lines = [
            f"== {self.name}: {self.total} messages",
            f"accuracy {self.accuracy:.1%}  macro-F1 {self.macro_f1:.3f}  "
            f"out-of-scope false accepts {self.out_of_scope_false_accepts:.1%}  "
            f"safety_hazard recall {self.recall('safety_hazard'):.0%}",
            "per language: " + "  ".join(f"{lang} {self.language_accuracy(lang):.1%}" for lang in LANGUAGES),
            "confusion (true -> predicted: count), mistakes only:",
        ]
        mistakes = sorted(((t, g), n) for (t, g), n in self.confusion.items() if t != g)
        lines += [f"  {t} -> {g}: {n}" for (t, g), n in mistakes] or ["  none"]
        short = [i[:6] for i in INTENTS]
        lines.append("matrix (rows true, columns predicted): " + " ".join(short))
        for truth in INTENTS:
            row = [self.confusion[(truth, guess)] for guess in INTENTS]
            if any(row):
                lines.append(f"  {truth[:18]:<18} " + " ".join(f"{n:>6}" if n else "     ." for n in row))
        return "\n".join(lines)


def read_examples(name: str) -> list[Example]:
    lines = (EVALUATION_DIR / f"{name}.tsv").read_text(encoding="utf-8").splitlines()[1:]
    return [Example(*line.split("\t")) for line in lines if line.strip()]


def evaluate(name: str, recognizer: Recognizer) -> Report:
    report = Report(name)
    for example in read_examples(name):
        guess = recognizer.classify(example.text).intent
        report.total += 1
        report.correct += guess == example.intent
        report.confusion[(example.intent, guess)] += 1
        report.by_language[(example.language, guess == example.intent)] += 1
    return report
