"""The statistical recogniser: a multinomial logistic regression over hashed character and word n-grams.

It learns from labelled examples (`chatbot.training`) and is the rules' second opinion: it knows phrasing the
keyword lists never saw (paraphrases, slang, typos). Features are the folded message's character 3- to
5-grams inside word boundaries plus its words and word pairs, hashed (CRC-32) into `BUCKETS` columns, each
message scaled to unit length. Training is full-batch gradient descent (Adam) from zero weights, so it gives
the same model on every machine. Confidence is calibrated by temperature scaling fitted on seeds kept out of
training (every fifth seed with all its variants), after which the model is trained again on everything.
Inference is a few hundred CRC-32s and one row gather in numpy: well under a millisecond.

Pure: arrays in, arrays out; reading and writing the model file is the caller's business.
"""

from __future__ import annotations

import itertools
import math
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from chatbot.intents import INTENTS
from chatbot.text import fold

BUCKETS = 1 << 18
CHAR_SIZES = (3, 4, 5)
EPOCHS = 100
LEARNING_RATE = 0.08
L2 = 2e-5
CALIBRATION_EVERY = 5
CONCEPT_VALUE = 0.5
FORMAT = 1

FloatArray = npt.NDArray[np.float32]


class IntentModelError(Exception):
    """A model file that this version cannot use."""


def features(text: str, concepts: Iterable[str] = ()) -> tuple[npt.NDArray[np.int64], FloatArray]:
    """The hashed feature columns of a message and their values: its n-grams (together of unit length) and the
    lexicon concepts the rules found in it (`CONCEPT_VALUE` each), which carry synonyms the examples lack."""
    tokens = fold(text).split()
    keys: set[int] = set()
    crc = zlib.crc32
    for token in tokens:
        padded = f" {token} ".encode()
        for size in CHAR_SIZES:
            for start in range(len(padded) - size + 1):
                keys.add(crc(padded[start : start + size]))
        keys.add(crc(b"w:" + token.encode()))
    for first, second in itertools.pairwise(tokens):
        keys.add(crc(f"b:{first} {second}".encode()))
    columns = np.unique(np.fromiter((key % BUCKETS for key in keys), dtype=np.int64, count=len(keys)))
    concept_columns = np.setdiff1d(
        np.unique(np.array([zlib.crc32(f"c:{c}".encode()) % BUCKETS for c in concepts], dtype=np.int64)), columns
    )
    values = np.concatenate(
        [
            np.full(len(columns), 1.0 / math.sqrt(max(1, len(columns))), dtype=np.float32),
            np.full(len(concept_columns), CONCEPT_VALUE, dtype=np.float32),
        ]
    )
    return np.concatenate([columns, concept_columns]), values


@dataclass(frozen=True, slots=True)
class IntentModel:
    labels: tuple[str, ...]
    weights: FloatArray  # BUCKETS x labels
    bias: FloatArray
    temperature: float = 1.0

    def scores(self, text: str, concepts: Iterable[str] = ()) -> FloatArray:
        """Raw (uncalibrated) scores per label."""
        columns, values = features(text, concepts)
        result: FloatArray = values @ self.weights[columns] + self.bias
        return result

    def probabilities(self, text: str, concepts: Iterable[str] = ()) -> dict[str, float]:
        """Calibrated probability of every label (pass the concepts the rules found, as in training)."""
        probs = _softmax(self.scores(text, concepts)[None, :] / self.temperature)[0]
        return {label: float(p) for label, p in zip(self.labels, probs, strict=True)}

    def to_arrays(self) -> dict[str, npt.NDArray[np.generic]]:
        """The model as arrays to store; only the rows training touched are kept."""
        used = np.flatnonzero(np.any(self.weights != 0.0, axis=1))
        return {
            "format": np.array([FORMAT]),
            "labels": np.array(self.labels),
            "rows": used.astype(np.int64),
            "weights": self.weights[used],
            "bias": self.bias,
            "temperature": np.array([self.temperature]),
            "buckets": np.array([BUCKETS]),
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, npt.NDArray[np.generic]]) -> IntentModel:
        try:
            if int(arrays["format"][0]) != FORMAT or int(arrays["buckets"][0]) != BUCKETS:
                raise IntentModelError("the model file was made by another version: run `voltway chat train`")
            labels = tuple(str(label) for label in arrays["labels"])
            rows = np.asarray(arrays["rows"], dtype=np.int64)
            weights = np.zeros((BUCKETS, len(labels)), dtype=np.float32)
            weights[rows] = np.asarray(arrays["weights"], dtype=np.float32)
            bias = np.asarray(arrays["bias"], dtype=np.float32)
            temperature = float(arrays["temperature"][0])
        except KeyError as exc:
            raise IntentModelError(f"the model file lacks {exc}") from None
        if set(labels) - set(INTENTS):
            raise IntentModelError("the model file names intents this version does not know")
        return cls(labels, weights, bias, temperature)


def _softmax(z: FloatArray) -> FloatArray:
    shifted = z - z.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    result: FloatArray = e / e.sum(axis=1, keepdims=True)
    return result


@dataclass(frozen=True, slots=True)
class _Matrix:
    """Sparse rows in coordinate form with the used columns renumbered 0..n-1."""

    row_starts: npt.NDArray[np.int64]
    columns: npt.NDArray[np.int64]  # compact column of every stored value, row by row
    values: FloatArray
    column_starts: npt.NDArray[np.int64]  # where each column starts among the values sorted by column
    rows_by_column: npt.NDArray[np.int64]  # the row of every value, sorted by column
    values_by_column: FloatArray
    used: npt.NDArray[np.int64]  # hashed column of every compact column

    @classmethod
    def build(cls, texts: Sequence[str], concepts: Callable[[str], Iterable[str]]) -> _Matrix:
        parts = [features(text, concepts(text)) for text in texts]
        lengths = np.array([len(c) for c, _ in parts], dtype=np.int64)
        hashed = np.concatenate([c for c, _ in parts])
        values = np.concatenate([v for _, v in parts])
        used, compact = np.unique(hashed, return_inverse=True)
        row_starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        rows_of_values = np.repeat(np.arange(len(texts)), lengths)
        by_column = np.argsort(compact, kind="stable")
        sorted_columns = compact[by_column]
        column_starts = np.flatnonzero(np.concatenate([[True], sorted_columns[1:] != sorted_columns[:-1]]))
        return cls(row_starts, compact, values, column_starts, rows_of_values[by_column], values[by_column, None], used)

    def times(self, weights: FloatArray) -> FloatArray:
        result: FloatArray = np.add.reduceat(weights[self.columns] * self.values[:, None], self.row_starts, axis=0)
        return result

    def transposed_times(self, gradient: FloatArray) -> FloatArray:
        contributions = gradient[self.rows_by_column] * self.values_by_column
        result: FloatArray = np.add.reduceat(contributions, self.column_starts, axis=0)
        return result


def _fit(
    texts: Sequence[str],
    targets: npt.NDArray[np.int64],
    labels: tuple[str, ...],
    concepts: Callable[[str], Iterable[str]],
) -> IntentModel:
    matrix = _Matrix.build(texts, concepts)
    count, classes = len(texts), len(labels)
    onehot = np.zeros((count, classes), dtype=np.float32)
    onehot[np.arange(count), targets] = 1.0
    # Classes weighted so that small talk with few examples is not drowned by the large intents.
    frequency = onehot.sum(axis=0)
    sample_weight = (count / (classes * np.maximum(frequency, 1.0)))[targets].astype(np.float32)[:, None]
    weights = np.zeros((len(matrix.used), classes), dtype=np.float32)
    bias = np.zeros(classes, dtype=np.float32)
    moments = [np.zeros_like(weights), np.zeros_like(weights), np.zeros_like(bias), np.zeros_like(bias)]
    beta1, beta2, epsilon = 0.9, 0.999, 1e-8
    for step in range(1, EPOCHS + 1):
        probs = _softmax(matrix.times(weights) + bias)
        error = (probs - onehot) * sample_weight / count
        grad_w = matrix.transposed_times(error) + L2 * weights
        grad_b = error.sum(axis=0)
        for index, (param, grad) in enumerate(((weights, grad_w), (bias, grad_b))):
            m, v = moments[2 * index], moments[2 * index + 1]
            m *= beta1
            m += (1 - beta1) * grad
            v *= beta2
            v += (1 - beta2) * grad * grad
            m_hat = m / (1 - beta1**step)
            v_hat = v / (1 - beta2**step)
            param -= (LEARNING_RATE * m_hat / (np.sqrt(v_hat) + epsilon)).astype(np.float32)
    full = np.zeros((BUCKETS, classes), dtype=np.float32)
    full[matrix.used] = weights
    return IntentModel(labels, full, bias)


def fit_temperature(
    model: IntentModel, texts: Sequence[str], intents: Sequence[str], concepts: Callable[[str], Iterable[str]]
) -> float:
    """The temperature that minimises the negative log-likelihood of held-out messages (grid search)."""
    scores = np.stack([model.scores(text, concepts(text)) for text in texts])
    targets = np.array([model.labels.index(intent) for intent in intents])
    best, best_loss = 1.0, math.inf
    for temperature in np.arange(0.3, 4.01, 0.05):
        probs = _softmax(scores / temperature)
        loss = float(-np.log(np.maximum(probs[np.arange(len(targets)), targets], 1e-12)).mean())
        if loss < best_loss:
            best, best_loss = round(float(temperature), 2), loss
    return best


@dataclass(frozen=True, slots=True)
class TrainingReport:
    examples: int
    calibration_examples: int
    temperature: float
    calibration_accuracy: float


def train(
    examples: Sequence[tuple[str, str, int]], concepts: Callable[[str], Iterable[str]] = lambda _: ()
) -> tuple[IntentModel, TrainingReport]:
    """A calibrated model from (intent, text, seed group) examples: fit, calibrate on held-out seeds, refit all.

    `concepts` gives the lexicon concepts of a message, the same function the recogniser uses at run time.
    """
    labels = tuple(intent for intent in INTENTS if any(intent == e[0] for e in examples))
    held = [e for e in examples if e[2] % CALIBRATION_EVERY == 0]
    kept = [e for e in examples if e[2] % CALIBRATION_EVERY != 0]
    first = _fit([e[1] for e in kept], np.array([labels.index(e[0]) for e in kept]), labels, concepts)
    temperature = fit_temperature(first, [e[1] for e in held], [e[0] for e in held], concepts)
    right = sum(labels[int(np.argmax(first.scores(e[1], concepts(e[1]))))] == e[0] for e in held)
    final = _fit([e[1] for e in examples], np.array([labels.index(e[0]) for e in examples]), labels, concepts)
    report = TrainingReport(len(examples), len(held), temperature, right / len(held) if held else 0.0)
    return IntentModel(final.labels, final.weights, final.bias, temperature), report
