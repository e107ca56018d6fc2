"""The assistant's understanding measured on the evaluation set: the tuned part must meet the targets; the
holdout third, never tuned on, is reported as it comes out and held to a floor a little below."""

from __future__ import annotations

import pytest

from chatbot.intents import INTENTS, LANGUAGES, OUT_OF_SCOPE
from chatbot.recognizer import Recognizer
from tests.unit.chatbot.evaluation_metrics import evaluate, read_examples


@pytest.fixture(scope="module")
def recognizer() -> Recognizer:
    return Recognizer()


def test_the_evaluation_set_covers_every_intent_and_language() -> None:
    examples = read_examples("tuned") + read_examples("holdout")
    in_scope = [e for e in examples if e.intent != OUT_OF_SCOPE]
    assert len(in_scope) >= 400
    assert sum(e.intent == OUT_OF_SCOPE for e in examples) >= 150
    assert {e.intent for e in examples} == set(INTENTS)
    assert {e.language for e in examples} == set(LANGUAGES)
    for intent in INTENTS:
        assert {e.language for e in examples if e.intent == intent} == set(LANGUAGES), intent
    holdout = read_examples("holdout")
    # Issue 7 asks for a third of the set kept aside untouched: the every-third split gave 28 %, so messages
    # written after the rules (without looking at them) were added to the holdout to bring it over a third.
    assert 1 / 3 <= len(holdout) / len(examples) <= 0.40


def test_tuned_part_meets_the_targets(recognizer: Recognizer) -> None:
    report = evaluate("tuned", recognizer)
    print("\n" + report.render())
    assert report.accuracy >= 0.95
    assert report.out_of_scope_false_accepts <= 0.03
    assert report.recall("safety_hazard") == 1.0


def test_holdout_part_as_it_comes_out(recognizer: Recognizer) -> None:
    report = evaluate("holdout", recognizer)
    print("\n" + report.render())
    assert report.accuracy >= 0.85
    assert report.out_of_scope_false_accepts <= 0.10
    assert report.recall("safety_hazard") == 1.0
