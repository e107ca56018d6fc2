"""Scoring the recogniser on a labelled message set: accuracy, macro-F1, confusion, out-of-scope false accepts,
safety recall and calibration (expected calibration error over ten confidence bins), overall and per language."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from chatbot.intents import INTENTS, LANGUAGES, OUT_OF_SCOPE
from chatbot.recognizer import Recognizer

EVALUATION_DIR = Path(__file__).parent / "evaluation"
ROUNDS_DIR = EVALUATION_DIR / "rounds"
BINS = 10


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
    outcomes: list[tuple[str, str, str, float]] = field(default_factory=list)  # language, truth, guess, confidence

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

    def for_language(self, language: str) -> Report:
        """The same scores over one language's messages."""
        part = Report(f"{self.name} [{language}]")
        for lang, truth, guess, confidence in self.outcomes:
            if lang == language:
                part.add(lang, truth, guess, confidence)
        return part

    def add(self, language: str, truth: str, guess: str, confidence: float) -> None:
        self.total += 1
        self.correct += guess == truth
        self.confusion[(truth, guess)] += 1
        self.by_language[(language, guess == truth)] += 1
        self.outcomes.append((language, truth, guess, confidence))

    def reliability(self) -> list[tuple[float, float, int, float, float]]:
        """Per confidence bin: (low, high, messages, mean confidence, accuracy)."""
        rows = []
        for index in range(BINS):
            low, high = index / BINS, (index + 1) / BINS
            inside = [
                (confidence, truth == guess)
                for _, truth, guess, confidence in self.outcomes
                if low < confidence <= high or (index == 0 and confidence == 0.0)
            ]
            if inside:
                mean = sum(c for c, _ in inside) / len(inside)
                rows.append((low, high, len(inside), mean, sum(ok for _, ok in inside) / len(inside)))
        return rows

    @property
    def expected_calibration_error(self) -> float:
        """Weighted mean gap between confidence and accuracy over ten equal-width bins."""
        return sum(n * abs(mean - accuracy) for _, _, n, mean, accuracy in self.reliability()) / self.total

    def render(self) -> str:
        lines = [
            f"== {self.name}: {self.total} messages",
            f"accuracy {self.accuracy:.1%}  macro-F1 {self.macro_f1:.3f}  "
            f"out-of-scope false accepts {self.out_of_scope_false_accepts:.1%}  "
            f"safety_hazard recall {self.recall('safety_hazard'):.0%}  ECE {self.expected_calibration_error:.3f}",
            "per language (accuracy / safety recall / out-of-scope false accepts / ECE):",
        ]
        for language in LANGUAGES:
            part = self.for_language(language)
            if part.total:
                lines.append(
                    f"  {language}: {part.accuracy:.1%} / {part.recall('safety_hazard'):.0%} / "
                    f"{part.out_of_scope_false_accepts:.1%} / {part.expected_calibration_error:.3f}  ({part.total})"
                )
        lines.append("reliability (confidence bin: messages, mean confidence, accuracy):")
        lines += [
            f"  {low:.1f}-{high:.1f}: {n:>4}  {mean:.2f}  {accuracy:.2f}"
            for low, high, n, mean, accuracy in self.reliability()
        ]
        lines.append("confusion (true -> predicted: count), mistakes only:")
        mistakes = sorted(((t, g), n) for (t, g), n in self.confusion.items() if t != g)
        lines += [f"  {t} -> {g}: {n}" for (t, g), n in mistakes] or ["  none"]
        short = [i[:6] for i in INTENTS]
        lines.append("matrix (rows true, columns predicted): " + " ".join(short))
        for truth in INTENTS:
            row = [self.confusion[(truth, guess)] for guess in INTENTS]
            if any(row):
                lines.append(f"  {truth[:18]:<18} " + " ".join(f"{n:>6}" if n else "     ." for n in row))
        return "\n".join(lines)


def message_key(text: str) -> str:
    """Two messages are the same message when they differ only in case and surrounding spaces."""
    return text.lower().strip()


def unseen(written: Iterable[Example], trained: Iterable[str]) -> list[Example]:
    """The messages not equal to a training message: a round written blind may repeat a short one ("merci")."""
    known = {message_key(text) for text in trained}
    return [example for example in written if message_key(example.text) not in known]


def read_file(path: Path) -> list[Example]:
    """Examples of a TSV file with a header line and the columns intent, lang, text."""
    lines = path.read_text(encoding="utf-8").splitlines()[1:]
    return [Example(*line.split("\t")[:3]) for line in lines if line.strip()]


def read_examples(name: str) -> list[Example]:
    return read_file(EVALUATION_DIR / f"{name}.tsv")


def newest_round() -> Path | None:
    """The round directory with the highest number (rounds/NN), or None before the first round."""
    if not ROUNDS_DIR.is_dir():
        return None
    rounds = [p for p in ROUNDS_DIR.iterdir() if p.is_dir() and re.fullmatch(r"\d+", p.name)]
    return max(rounds, key=lambda p: int(p.name)) if rounds else None


def read_round(directory: Path) -> list[Example]:
    return [example for path in sorted(directory.glob("*.tsv")) for example in read_file(path)]


def score(name: str, examples: Iterable[Example], recognizer: Recognizer) -> Report:
    report = Report(name)
    for example in examples:
        result = recognizer.classify(example.text)
        report.add(example.language, example.intent, result.intent, result.confidence)
    return report


def evaluate(name: str, recognizer: Recognizer) -> Report:
    return score(name, read_examples(name), recognizer)
