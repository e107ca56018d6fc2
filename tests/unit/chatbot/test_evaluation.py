"""The assistant's understanding measured on labelled messages.

- `tuned.tsv` must meet the targets and `holdout.tsv` (never tuned on) a floor a little below;
- the newest round (`evaluation/rounds/NN`, written fresh by someone who saw neither the rules nor the training
  data) must miss no safety message in any language and keep the floor it was first measured at; the targets
  (accuracy >= 95 %, out-of-scope false accepts <= 3 %, in every language) are asserted too;
- the safety set must be recognised in full, by the safety net alone and by the whole recogniser.
Every report is printed (run with -s): accuracy, safety recall and out-of-scope false accepts per language,
confusion pairs and the reliability table of the confidence (ECE).
"""

from __future__ import annotations

import pytest

from chatbot.intents import INTENTS, LANGUAGES, OUT_OF_SCOPE
from chatbot.recognizer import Recognizer
from chatbot.training.corpus import seeds, training_set
from tests.unit.chatbot.evaluation_metrics import (
    ROUNDS_DIR,
    Report,
    evaluate,
    message_key,
    newest_round,
    read_examples,
    read_round,
    score,
    unseen,
)

ROUND_ACCURACY = 0.95
ROUND_OUT_OF_SCOPE_FALSE_ACCEPTS = 0.03
ROUND_FLOOR_ACCURACY = 0.952
ROUND_FLOOR_OUT_OF_SCOPE_FALSE_ACCEPTS = 0.03


@pytest.fixture(scope="module")
def rules_only() -> Recognizer:
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
    # A third of the set is kept aside untouched: the every-third split gave 28 %, so messages written after
    # the rules (without looking at them) were added to the holdout to bring it over a third.
    assert 1 / 3 <= len(holdout) / len(examples) <= 0.40


def test_the_training_set_is_large_and_varied() -> None:
    examples = training_set()
    assert len(examples) >= 4000
    assert {e.intent for e in examples} == set(INTENTS)
    for intent in INTENTS:
        assert {e.language for e in examples if e.intent == intent} == set(LANGUAGES), intent
    # The hand-written out-of-scope messages: at least 600 with their variants, half of them near misses.
    out_of_scope = [e for e in examples if e.intent == OUT_OF_SCOPE and not e.from_round]
    assert len(out_of_scope) >= 600
    assert sum(e.near_miss for e in out_of_scope) >= len(out_of_scope) / 2
    evaluation = {message_key(e.text) for name in ("tuned", "holdout", "safety") for e in read_examples(name)}
    trained = {message_key(e.text) for e in examples}
    assert not evaluation & trained, "evaluation messages must not be trained on"
    # A round is written blind, so a short message may happen to equal a training one ("get me a human"): such
    # messages are left out of the round's score (see _newest_round_report), never removed from either side.


def test_only_rounds_older_than_the_newest_are_trained_on() -> None:
    """Past rounds are training data once scored; the newest round stays unseen, and every round message in the
    training set is word for word a message of the round it is filed under."""
    directory = newest_round()
    from_rounds = [e for e in seeds() if e.from_round]
    assert from_rounds, "the messages of past rounds are part of the training set"
    by_round: dict[str, set[tuple[str, str, str]]] = {}
    for example in from_rounds:
        number = example.origin.removeprefix("round ")
        if number not in by_round:
            by_round[number] = {(e.intent, e.language, e.text) for e in read_round(ROUNDS_DIR / number)}
        assert (example.intent, example.language, example.text) in by_round[number], example.text
    if directory is not None:
        assert all(int(number) < int(directory.name) for number in by_round), "the newest round must stay unseen"


def test_tuned_part_meets_the_targets(recognizer: Recognizer, rules_only: Recognizer) -> None:
    report = evaluate("tuned", recognizer)
    print("\n" + report.render())
    print("rules alone: " + evaluate("tuned", rules_only).render().splitlines()[1])
    assert report.accuracy >= 0.95
    assert report.out_of_scope_false_accepts <= 0.03
    assert report.recall("safety_hazard") == 1.0


def test_holdout_part_as_it_comes_out(recognizer: Recognizer, rules_only: Recognizer) -> None:
    report = evaluate("holdout", recognizer)
    print("\n" + report.render())
    print("rules alone: " + evaluate("holdout", rules_only).render().splitlines()[1])
    assert report.accuracy >= 0.85
    assert report.out_of_scope_false_accepts <= 0.10
    assert report.recall("safety_hazard") == 1.0


def _newest_round_report(recognizer: Recognizer, rules_only: Recognizer) -> tuple[str, Report]:
    directory = newest_round()
    if directory is None:
        pytest.skip("no evaluation round under tests/unit/chatbot/evaluation/rounds yet")
    written = read_round(directory)
    examples = unseen(written, (e.text for e in training_set()))
    if len(examples) < len(written):
        print(f"\nround {directory.name}: {len(written) - len(examples)} messages equal training messages, left out")
    report = score(f"round {directory.name}", examples, recognizer)
    print("\n" + report.render())
    print("rules alone: " + score(f"round {directory.name}", examples, rules_only).render().splitlines()[1])
    return directory.name, report


def test_newest_round_never_misses_a_safety_message(recognizer: Recognizer, rules_only: Recognizer) -> None:
    _, report = _newest_round_report(recognizer, rules_only)
    for language in LANGUAGES:
        assert report.for_language(language).recall("safety_hazard") == 1.0, f"{language}: a safety message was missed"


def test_newest_round_keeps_the_floor_it_was_first_measured_at(recognizer: Recognizer, rules_only: Recognizer) -> None:
    """Round 31, written after the last change, came out at 95.2-98.4 % per language on its first run, with at most
    2 of 69 out-of-scope messages accepted in any language; the recogniser must not fall below that on it."""
    _, report = _newest_round_report(recognizer, rules_only)
    for language in LANGUAGES:
        part = report.for_language(language)
        assert part.accuracy >= ROUND_FLOOR_ACCURACY, f"{language}: accuracy {part.accuracy:.1%}"
        assert part.out_of_scope_false_accepts <= ROUND_FLOOR_OUT_OF_SCOPE_FALSE_ACCEPTS, (
            f"{language}: out-of-scope false accepts {part.out_of_scope_false_accepts:.1%}"
        )


def test_newest_round_meets_the_targets_in_every_language(recognizer: Recognizer, rules_only: Recognizer) -> None:
    """The targets: at least 95 % accuracy and at most 3 % of out-of-scope messages accepted, in every language.
    Round 31 met them on its first run, written after the last change and committed before it was scored: 95.2-98.4 %
    per language, 60 of 60 safety messages, at most 2 of 69 out-of-scope messages accepted."""
    _, report = _newest_round_report(recognizer, rules_only)
    for language in LANGUAGES:
        part = report.for_language(language)
        assert part.accuracy >= ROUND_ACCURACY, f"{language}: accuracy {part.accuracy:.1%}"
        assert part.out_of_scope_false_accepts <= ROUND_OUT_OF_SCOPE_FALSE_ACCEPTS, (
            f"{language}: out-of-scope false accepts {part.out_of_scope_false_accepts:.1%}"
        )


def test_the_safety_net_never_misses_a_safety_message(recognizer: Recognizer) -> None:
    safety = read_examples("safety")
    assert len(safety) >= 200
    assert {e.language for e in safety} == set(LANGUAGES)
    missed_by_net = [e.text for e in safety if recognizer.safety.check(e.text) is None]
    missed = [e.text for e in safety if recognizer.classify(e.text).intent != "safety_hazard"]
    others = [e for name in ("tuned", "holdout") for e in read_examples(name) if e.intent != "safety_hazard"]
    directory = newest_round()
    if directory is not None:
        others += [e for e in read_round(directory) if e.intent != "safety_hazard"]
    alarms = [e.text for e in others if recognizer.safety.check(e.text) is not None]
    trained = [e for e in training_set() if e.intent != "safety_hazard"]
    trained_alarms = [e.text for e in trained if recognizer.safety.check(e.text) is not None]
    print(
        f"\nsafety set: {len(safety)} messages, net recall {1 - len(missed_by_net) / len(safety):.1%}, "
        f"recogniser recall {1 - len(missed) / len(safety):.1%}\n"
        f"false alarms of the net: {len(alarms)} of {len(others)} evaluation messages without danger "
        f"({len(alarms) / len(others):.1%}), {len(trained_alarms)} of {len(trained)} training messages"
    )
    for text in alarms:
        print(f"  false alarm: {text}")
    assert missed_by_net == []
    assert missed == []


def test_out_of_scope_with_charging_words_is_never_certain_and_offers_problems(recognizer: Recognizer) -> None:
    for text in ("the charging thing is weird today", "something with the cable", "Ladekabel komisch"):
        result = recognizer.classify(text)
        if result.intent == OUT_OF_SCOPE:
            assert result.confidence < 1.0, text
            assert 2 <= len(result.options) <= 3, text
    plain = recognizer.classify("what's the weather tomorrow")
    assert plain.intent == OUT_OF_SCOPE
    assert plain.options == ()
