"""Benchmark of the assistant's understanding: classification time per message over the whole evaluation set
(every intent, five languages, out-of-scope text), and the time to load the knowledge base. Target: under 1 ms
per message. Prints the median, p99 and maximum per message over several rounds, per language too.

Run: .venv/bin/python bench/bench_chatbot.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from chatbot.knowledge_base import load_knowledge
from chatbot.recognizer import Recognizer

EVALUATION = Path(__file__).resolve().parents[1] / "tests" / "unit" / "chatbot" / "evaluation"
TARGET_MS = 1.0


def messages() -> list[tuple[str, str]]:
    found = []
    for name in ("tuned", "holdout"):
        for line in (EVALUATION / f"{name}.tsv").read_text(encoding="utf-8").splitlines()[1:]:
            _, language, text = line.split("\t")
            found.append((language, text))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=20, help="passes over all messages (default 20)")
    args = parser.parse_args()

    started = time.perf_counter()
    load_knowledge()
    recognizer = Recognizer()
    load_ms = (time.perf_counter() - started) * 1000

    corpus = messages()
    for _, text in corpus:  # warm-up
        recognizer.classify(text)
    times: list[float] = []
    by_language: dict[str, list[float]] = {}
    for _ in range(args.rounds):
        for language, text in corpus:
            begin = time.perf_counter()
            recognizer.classify(text)
            elapsed = (time.perf_counter() - begin) * 1000
            times.append(elapsed)
            by_language.setdefault(language, []).append(elapsed)
    times.sort()
    p99 = times[int(len(times) * 0.99) - 1]
    print(f"knowledge base load and index: {load_ms:.1f} ms")
    print(f"{len(corpus)} messages x {args.rounds} rounds = {len(times)} classifications")
    print(
        f"per message: median {statistics.median(times) * 1000:.0f} us, p99 {p99 * 1000:.0f} us, "
        f"max {times[-1] * 1000:.0f} us (target < {TARGET_MS:.0f} ms)"
    )
    for language, values in sorted(by_language.items()):
        print(f"  {language}: median {statistics.median(values) * 1000:.0f} us")
    met = p99 < TARGET_MS
    print("target met" if met else "target missed")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
