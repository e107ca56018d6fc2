"""Benchmark of the assistant's understanding: classification time per message over the whole evaluation set
(every intent, five languages, out-of-scope text), for the rules alone and for the combined recogniser (safety
net, rules and the trained intent model) in the same run, and the time to load the knowledge base and the model.
Target: p99 under 2 ms per message for the combined recogniser.

Run: .venv/bin/python bench/bench_chatbot.py [--rounds N] [--model PATH]
(the model file defaults to .voltway/intent-model.npz; when it is missing it is trained first, two to three minutes)
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from chatbot.intent_model import IntentModel
from chatbot.knowledge_base import load_knowledge
from chatbot.recognizer import Recognizer, train_model

EVALUATION = Path(__file__).resolve().parents[1] / "tests" / "unit" / "chatbot" / "evaluation"
TARGET_MS = 2.0


def messages() -> list[tuple[str, str]]:
    found = []
    for name in ("tuned", "holdout"):
        for line in (EVALUATION / f"{name}.tsv").read_text(encoding="utf-8").splitlines()[1:]:
            _, language, text = line.split("\t")
            found.append((language, text))
    return found


def model_from(path: Path) -> IntentModel:
    if not path.exists():
        started = time.perf_counter()
        model, _ = train_model()
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, **model.to_arrays())  # type: ignore[arg-type]
        print(f"trained the intent model in {time.perf_counter() - started:.0f} s into {path}")
    started = time.perf_counter()
    with np.load(path) as arrays:
        model = IntentModel.from_arrays(dict(arrays))
    print(f"intent model loaded in {(time.perf_counter() - started) * 1000:.0f} ms")
    return model


def measure(name: str, recognizer: Recognizer, corpus: list[tuple[str, str]], rounds: int) -> float:
    for _, text in corpus:  # warm-up
        recognizer.classify(text)
    times: list[float] = []
    by_language: dict[str, list[float]] = {}
    for _ in range(rounds):
        for language, text in corpus:
            begin = time.perf_counter()
            recognizer.classify(text)
            elapsed = (time.perf_counter() - begin) * 1000
            times.append(elapsed)
            by_language.setdefault(language, []).append(elapsed)
    times.sort()
    p99 = times[int(len(times) * 0.99) - 1]
    print(
        f"{name}: median {statistics.median(times) * 1000:.0f} us, p99 {p99 * 1000:.0f} us, "
        f"max {times[-1] * 1000:.0f} us  ("
        + ", ".join(f"{lang} {statistics.median(v) * 1000:.0f}" for lang, v in sorted(by_language.items()))
        + " us median)"
    )
    return p99


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=20, help="passes over all messages (default 20)")
    parser.add_argument("--model", type=Path, default=Path(".voltway/intent-model.npz"), help="the model file")
    args = parser.parse_args()

    started = time.perf_counter()
    load_knowledge()
    rules = Recognizer()
    print(f"knowledge base load and index: {(time.perf_counter() - started) * 1000:.1f} ms")
    combined = Recognizer(model=model_from(args.model))

    corpus = messages()
    print(f"{len(corpus)} messages x {args.rounds} rounds = {len(corpus) * args.rounds} classifications each")
    measure("rules alone", rules, corpus, args.rounds)
    p99 = measure("combined (safety net + rules + model)", combined, corpus, args.rounds)
    met = p99 < TARGET_MS
    print(f"target p99 < {TARGET_MS:.0f} ms for the combined recogniser: " + ("met" if met else "missed"))
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
