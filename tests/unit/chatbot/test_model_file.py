"""The trained model on disk: found through the settings, loaded when current, ignored (with one warning) when
missing or unusable, so the assistant keeps working on its rules."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from api.domain.chat.intent_models import is_current, load_model, model_path, recognizer_for
from api.settings import load_settings
from chatbot.intent_model import IntentModel
from chatbot.training.corpus import training_fingerprint


def write(model: IntentModel, path: Path, fingerprint: str) -> None:
    np.savez(path, fingerprint=np.array([fingerprint]), **model.to_arrays())  # type: ignore[arg-type]


def test_the_model_file_is_read_from_the_data_directory_or_the_setting(tmp_path: Path) -> None:
    settings = load_settings({"VOLTWAY_DATA_DIR": str(tmp_path)})
    assert model_path(settings) == tmp_path / "intent-model.npz"
    chosen = tmp_path / "elsewhere.npz"
    settings = load_settings({"VOLTWAY_DATA_DIR": str(tmp_path), "VOLTWAY_CHAT_MODEL": str(chosen)})
    assert model_path(settings) == chosen


def test_a_current_model_is_loaded_and_used(intent_model: IntentModel, tmp_path: Path) -> None:
    path = tmp_path / "intent-model.npz"
    write(intent_model, path, training_fingerprint())
    assert is_current(path)
    loaded = load_model(path)
    assert loaded is not None
    text = "it just sits there doing nothing after I tap go"
    assert loaded.probabilities(text) == pytest.approx(intent_model.probabilities(text), abs=1e-6)
    recognizer = recognizer_for(load_settings({"VOLTWAY_DATA_DIR": str(tmp_path)}))
    assert recognizer.model is not None


def test_a_stale_model_is_reported_for_retraining(intent_model: IntentModel, tmp_path: Path) -> None:
    path = tmp_path / "intent-model.npz"
    write(intent_model, path, "old")
    assert not is_current(path)
    assert not is_current(tmp_path / "missing.npz")


def test_without_a_usable_model_the_rules_answer_and_it_is_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    missing = tmp_path / "missing.npz"
    with caplog.at_level(logging.WARNING, logger="voltway.chat"):
        assert load_model(missing) is None
        assert load_model(missing) is None
    assert sum("rules alone" in record.getMessage() for record in caplog.records) == 1
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a model")
    assert load_model(broken) is None
    recognizer = recognizer_for(load_settings({"VOLTWAY_DATA_DIR": str(tmp_path)}))
    assert recognizer.model is None
    assert recognizer.classify("the cable is stuck in my car").intent == "cable_stuck"
