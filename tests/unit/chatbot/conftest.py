"""The trained intent model, made once per test run from the shipped examples (cached by their fingerprint), and the
recogniser and safety net built on it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from chatbot.intent_model import IntentModel
from chatbot.recognizer import Recognizer, train_model
from chatbot.safety import SafetyNet
from chatbot.training.corpus import training_fingerprint


@pytest.fixture(scope="session")
def intent_model(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> IntentModel:
    cache = getattr(request.config, "cache", None)
    folder = Path(cache.mkdir("intent-model")) if cache is not None else tmp_path_factory.mktemp("intent-model")
    path = folder / f"{training_fingerprint()}.npz"
    if not path.exists():
        model, _ = train_model()
        np.savez(path, **model.to_arrays())  # type: ignore[arg-type]
    with np.load(path) as arrays:
        return IntentModel.from_arrays(dict(arrays))


@pytest.fixture(scope="module")
def recognizer(intent_model: IntentModel) -> Recognizer:
    return Recognizer(model=intent_model)


@pytest.fixture(scope="module")
def net(recognizer: Recognizer) -> SafetyNet:
    return recognizer.safety
