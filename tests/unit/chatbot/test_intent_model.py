"""Training the intent model is deterministic: the same examples give the same model, so every machine that runs
`voltway chat train` serves the same answers."""

from __future__ import annotations

import numpy as np

from chatbot.intent_model import train
from chatbot.training.corpus import training_set


def _sample() -> list[tuple[str, str, int]]:
    # Every 60th message: all intents and languages, small enough to fit twice in a few seconds.
    return [(e.intent, e.text, e.group) for e in training_set()[::60]]


def test_the_same_examples_give_the_same_model() -> None:
    first, first_report = train(_sample())
    second, second_report = train(_sample())
    assert first.labels == second.labels
    assert np.array_equal(first.weights, second.weights)
    assert np.array_equal(first.bias, second.bias)
    assert first.temperature == second.temperature
    assert first_report == second_report


def test_a_model_trained_on_a_sample_recognises_plain_messages() -> None:
    model, report = train(_sample())
    assert report.calibration_accuracy > 0.5
    best = {
        text: max(model.probabilities(text).items(), key=lambda item: item[1])[0]
        for text in (
            "my cable is stuck in the car and will not unlock",
            "Das Ladekabel steckt fest und lässt sich nicht entriegeln",
        )
    }
    assert set(best.values()) == {"cable_stuck"}, best
