"""Which of the five languages a message is written in, from its function words and the keywords it used."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from chatbot.intents import LANGUAGES

KEYWORD_WEIGHT = 1.5


def detect_language(
    tokens: Sequence[str], keyword_languages: Mapping[str, int], function_words: Mapping[str, frozenset[str]]
) -> tuple[str, bool]:
    """The most likely language and whether the evidence is clear (else the caller keeps what it knew)."""
    scores = dict.fromkeys(LANGUAGES, 0.0)
    for token in tokens:
        for language, vocabulary in function_words.items():
            if token in vocabulary:
                scores[language] += 1.0
    for language, hits in keyword_languages.items():
        if language in scores:
            scores[language] += KEYWORD_WEIGHT * hits
    ranked = sorted(LANGUAGES, key=lambda language: (-scores[language], LANGUAGES.index(language)))
    best, second = ranked[0], ranked[1]
    # A short answer ("no", "ok") says little: only unambiguous words or a longer message switch languages.
    clear = scores[second] == 0 or (len(tokens) >= 3 and scores[best] - scores[second] >= 1.0)
    return best, scores[best] >= 1.5 and clear
