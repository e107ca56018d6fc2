"""Finding the keyword groups (concepts) of the lexicon in a message, tolerant of typos.

Every term is indexed by its first word pattern. A message's words are looked up exactly, by the stems,
suffixes and parts the lexicon uses (German and Dutch compounds), and, for words the lexicon does not know,
by the closest lexicon word of five letters or more, at most one letter longer or shorter, with the same
first letter (`fuzz.ratio`), so "cabel" finds "cable" but "table" never does. Multi-word terms match in
order with at most two words between them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process, utils

from chatbot.text import fold

MAX_GAP = 2
MIN_FUZZY_LENGTH = 5


@dataclass(frozen=True, slots=True)
class Term:
    concept: str
    language: str
    patterns: tuple[str, ...]


@dataclass(slots=True)
class Found:
    """Concepts a message mentions, and how many keywords of each language it used."""

    concepts: dict[str, int] = field(default_factory=dict)
    languages: dict[str, int] = field(default_factory=dict)


FUZZY_CUTOFF = 80.0  # one transposition in a five-letter word ("cabel") still matches


class ConceptMatcher:
    def __init__(self, lexicon: Mapping[str, Mapping[str, Sequence[str]]], function_words: Iterable[str] = ()) -> None:
        self._plain = frozenset(function_words)  # never typos of keywords: "dieser" is not "diesel"
        self._index: dict[str, list[Term]] = {}
        self._words: set[str] = set()
        self._prefixes: set[str] = set()
        self._suffixes: set[str] = set()
        self._parts: list[str] = []
        for concept, by_language in lexicon.items():
            for language, terms in by_language.items():
                for raw in terms:
                    patterns = tuple(self._pattern(word) for word in raw.split())
                    if patterns:
                        term = Term(concept, language, patterns)
                        self._index.setdefault(patterns[0], []).append(term)
        self._prefix_lengths = sorted({len(p) for p in self._prefixes})
        self._suffix_lengths = sorted({len(s) for s in self._suffixes})
        self._buckets: dict[tuple[str, int], list[str]] = {}
        for word in sorted(self._words):  # sorted: equally close candidates resolve the same way in every run
            if len(word) >= MIN_FUZZY_LENGTH:
                for length in range(len(word) - 1, len(word) + 2):
                    self._buckets.setdefault((word[0], length), []).append(word)

    def _pattern(self, raw_word: str) -> str:
        starts, ends = raw_word.startswith("*"), raw_word.endswith("*")
        core = fold(raw_word.strip("*"))
        if starts and ends:
            self._parts.append(core)
            return f"*{core}*"
        if ends:
            self._prefixes.add(core)
            return f"{core}*"
        if starts:
            self._suffixes.add(core)
            return f"*{core}"
        self._words.add(core)
        return core

    def _keys(self, token: str, parts: Iterable[str]) -> set[str]:
        keys = {token}
        size = len(token)
        for length in self._prefix_lengths:
            if length > size:
                break
            if token[:length] in self._prefixes:
                keys.add(token[:length] + "*")
        for length in self._suffix_lengths:
            if length > size:
                break
            if token[-length:] in self._suffixes:
                keys.add("*" + token[-length:])
        keys.update(f"*{part}*" for part in parts if part in token)
        if size >= MIN_FUZZY_LENGTH and token not in self._words and token not in self._plain and token.isalpha():
            candidates = self._buckets.get((token[0], size))
            if candidates:
                best = process.extractOne(
                    token, candidates, scorer=fuzz.ratio, processor=utils.default_process, score_cutoff=FUZZY_CUTOFF
                )
                if best is not None:
                    keys.add(best[0])
        return keys

    def known_words(self) -> frozenset[str]:
        """Whole words of the lexicon and the function words: real words, never typos of other words."""
        return frozenset(self._words) | self._plain

    def find(self, tokens: Sequence[str]) -> Found:
        """The concepts of the lexicon that the (folded) words mention."""
        joined = " ".join(tokens)
        parts = [part for part in self._parts if part in joined]
        keys = [self._keys(token, parts) for token in tokens]
        found = Found()
        seen: set[tuple[str, str, tuple[str, ...]]] = set()
        for position, token_keys in enumerate(keys):
            for key in token_keys:
                for term in self._index.get(key, ()):
                    if not self._rest_matches(term.patterns, keys, position):
                        continue
                    signature = (term.concept, term.language, term.patterns)
                    if signature in seen:
                        continue
                    seen.add(signature)
                    found.concepts[term.concept] = found.concepts.get(term.concept, 0) + 1
                    found.languages[term.language] = found.languages.get(term.language, 0) + len(term.patterns)
        return found

    @staticmethod
    def _rest_matches(patterns: tuple[str, ...], keys: list[set[str]], position: int) -> bool:
        at = position
        for pattern in patterns[1:]:
            for candidate in range(at + 1, min(len(keys), at + 2 + MAX_GAP)):
                if pattern in keys[candidate]:
                    at = candidate
                    break
            else:
                return False
        return True
