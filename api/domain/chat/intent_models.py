"""The assistant's trained intent model on disk: training it (`voltway chat train`), finding and loading it.

The file is a numpy `.npz` in the data directory (or `VOLTWAY_CHAT_MODEL`). It records a fingerprint of the
training data and the model format, so `voltway chat train --if-stale` retrains only when they changed, and a
stale or missing file leaves the assistant on its rules alone (logged once).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import numpy as np

from api.settings import Settings
from chatbot.intent_model import IntentModel, IntentModelError, TrainingReport
from chatbot.recognizer import Recognizer, train_model
from chatbot.training.corpus import training_fingerprint

MODEL_FILE = "intent-model.npz"
log = logging.getLogger("voltway.chat")
_loaded: dict[tuple[Path, int], IntentModel] = {}
_warned: set[Path] = set()
_lock = threading.Lock()


def model_path(settings: Settings) -> Path:
    return Path(settings.chat_model) if settings.chat_model else settings.data_dir / MODEL_FILE


def train_and_write(path: Path) -> TrainingReport:
    """Train on the shipped examples and write the model file (atomically)."""
    model, report = train_model()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp.npz")
    np.savez(temporary, fingerprint=np.array([training_fingerprint()]), **model.to_arrays())  # type: ignore[arg-type]
    temporary.replace(path)
    return report


def is_current(path: Path) -> bool:
    """Whether the file exists and was trained from the data and format of this version."""
    if not path.exists():
        return False
    try:
        with np.load(path) as arrays:
            return str(arrays["fingerprint"][0]) == training_fingerprint()
    except (OSError, KeyError, ValueError):
        return False


def load_model(path: Path) -> IntentModel | None:
    """The model in the file, or None (logged once per path) when there is none or it cannot be used."""
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        _warn_once(
            path, f"no trained intent model at {path}: the assistant uses its rules alone (run `voltway chat train`)"
        )
        return None
    with _lock:
        cached = _loaded.get((path, stamp))
        if cached is not None:
            return cached
        try:
            with np.load(path) as arrays:
                model = IntentModel.from_arrays(dict(arrays))
        except (OSError, ValueError, IntentModelError) as exc:
            _warn_once(path, f"the intent model at {path} cannot be used ({exc}): the assistant uses its rules alone")
            return None
        _loaded.clear()
        _loaded[(path, stamp)] = model
        return model


def recognizer_for(settings: Settings) -> Recognizer:
    """The rules with the trained model of these settings when there is one."""
    return Recognizer(model=load_model(model_path(settings)))


def _warn_once(path: Path, message: str) -> None:
    if path not in _warned:
        _warned.add(path)
        log.warning(message)
