"""The safety net: spots danger (smoke, fire, burning smell, sparks, shock, bare or damaged wires, water in the
socket, an overheating plug, a person hurt) before and independently of intent ranking, in every language.

Word groups live in `knowledge/safety.toml`. A message raises the alarm when it has a word of an `alone` group
(unless it is about another device and nothing says the station or car is involved, or it is a "shock" about a
price), or words of both groups of a `pair` ("crackling" and "black"). Words of five letters or more also match
with one typo (same first letter; one swapped, missing or extra letter, or from seven letters one wrong letter);
words the caller knows to be ordinary (the lexicon's, the training seeds', and safety.toml's own `[ordinary]` list
of everyday words one letter from a danger word, "meeting" for "melting") are never taken for typos.
Diminutives count as their word ("schokje", "descarguita", "kortsluitinkje"); a shock word next to a battery and
no word of touching or feeling is a flat battery ("se me descargó la batería"), not a shock.
A hit always wins over every other intent: recall first, a false alarm costs one extra safety message.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources

from rapidfuzz.distance import OSA, Hamming

from chatbot.text import fold

MIN_FUZZY_LENGTH = 5
SUBSTITUTION_LENGTH = 7  # shorter words tolerate a swapped, missing or extra letter, not a wrong one


@dataclass(frozen=True, slots=True)
class SafetySignal:
    """Why the net fired: the groups found, e.g. ("noise", "black")."""

    groups: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Groups:
    words: dict[str, frozenset[str]]  # group -> single words
    prefixes: tuple[tuple[str, str], ...]  # (stem, group) for entries ending in *
    phrases: dict[str, tuple[str, ...]]  # group -> multi-word phrases (folded, space separated)


class SafetyNet:
    def __init__(self, data: Mapping[str, object] | None = None, known_words: Iterable[str] = ()) -> None:
        raw = data if data is not None else _load()
        signals = raw["signals"]
        groups = raw["groups"]
        if not isinstance(signals, dict) or not isinstance(groups, dict):
            raise TypeError("safety.toml needs [signals] and [groups]")
        self._alone: tuple[str, ...] = tuple(signals["alone"])
        self._pairs: tuple[tuple[str, str], ...] = tuple((a, b) for a, b in signals["pairs"])
        words: dict[str, set[str]] = {}
        phrases: dict[str, list[str]] = {}
        prefixes: list[tuple[str, str]] = []
        for group, entries in groups.items():
            for entry in entries:
                folded = fold(entry)
                if entry.endswith("*"):
                    prefixes.append((folded, group))
                elif " " in folded:
                    phrases.setdefault(group, []).append(folded)
                elif folded:
                    words.setdefault(group, set()).add(folded)
        self._groups = _Groups(
            {g: frozenset(w) for g, w in words.items()}, tuple(prefixes), {g: tuple(p) for g, p in phrases.items()}
        )
        alarm_groups = set(self._alone) | {g for pair in self._pairs for g in pair}
        self._signs = frozenset(alarm_groups)
        self._by_word: dict[str, set[str]] = {}
        for group, group_words in self._groups.words.items():
            for word in group_words:
                self._by_word.setdefault(word, set()).add(group)
        self._fuzzy_pool: dict[tuple[str, int], list[str]] = {}
        self._collapsed: dict[str, set[str]] = {}  # danger words with doubled letters made single ("rookk")
        for group in alarm_groups:
            for word in self._groups.words.get(group, ()):
                self._collapsed.setdefault(_collapse(word), set()).add(group)
                if len(word) >= MIN_FUZZY_LENGTH:
                    for length in range(len(word) - 1, len(word) + 2):
                        self._fuzzy_pool.setdefault((word[0], length), []).append(word)
        ordinary = raw.get("ordinary", {})
        never_typos = ordinary.get("words", []) if isinstance(ordinary, dict) else []
        self._known = (frozenset(known_words) | {fold(word) for word in never_typos}) - set(self._by_word)
        context = raw.get("context", [])
        if not isinstance(context, list):
            raise TypeError("safety.toml's [[context]] entries are tables")
        self._context = tuple(self._context_rule(entry) for entry in context)
        self._phrase_words = frozenset(
            word for group in self._groups.phrases.values() for p in group for word in p.split()
        )

    def check(self, text: str) -> SafetySignal | None:
        """The danger a message reports, or None."""
        tokens = self._literal(fold(text).split())
        found = self._found(tokens)
        if not found:
            return None
        alone = [g for g in self._alone if g in found]
        figurative = "not_shock" in found and "part" not in found  # "shocked by the bill", "the bill exploded"
        # "descarga" and "décharge" also mean a battery running flat: no shock unless someone felt or touched it.
        flat_battery = "battery" in found and "felt" not in found
        if figurative:
            alone = [g for g in alone if g not in {"shock", "bang"}]
        if flat_battery:
            alone = [g for g in alone if g != "shock"]
        # Pins and needles in the legs after a long drive: no shock unless a hand or finger touched something.
        stiff_legs = "legs" in found and "felt" not in found
        if alone and "other_device" in found and "ours" not in found:
            alone = []
        if alone:
            return SafetySignal(tuple(alone))
        for first, second in self._pairs:
            if first in found and second in found:
                if (
                    ("other_device" in found and "ours" not in found)
                    or ((figurative or flat_battery) and "shock_weak" in (first, second))
                    or (stiff_legs and {first, second} & {"tingle", "reaction"})
                ):
                    continue
                return SafetySignal((first, second))
        return None

    def has_signs(self, text: str) -> bool:
        """Whether the message has any word of a danger sign (a heat, a noise, a smell, a part of the station...),
        alone or not enough by itself: a model's danger call needs one ("traffic on the ring" is no danger)."""
        return bool(self._found(self._literal(fold(text).split())) & self._signs)

    def _found(self, tokens: Sequence[str]) -> set[str]:
        found: set[str] = set()
        tokens = [self._undiminished(token) for token in tokens]
        for token in tokens:
            groups = self._by_word.get(token)
            if groups:
                found |= groups
                continue
            stems = [group for stem, group in self._groups.prefixes if token.startswith(stem)]
            if stems:
                found.update(stems)
                continue
            if token not in self._known and _collapse(token) in self._collapsed:
                found |= self._collapsed[_collapse(token)]
                continue
            if len(token) >= MIN_FUZZY_LENGTH and token.isalpha() and token not in self._known:
                pool = self._fuzzy_pool.get((token[0], len(token)))
                for word in pool or ():
                    if _one_typo(token, word):
                        found |= self._by_word[word]
        joined = f" {' '.join(tokens)} "
        for group, phrases in self._groups.phrases.items():
            if group not in found and any(f" {phrase} " in joined for phrase in phrases):
                found.add(group)
        return found

    def _undiminished(self, token: str) -> str:
        """The danger word a diminutive is made from ("vonkje" vonk, "chispita" chispa, "descarguita" descarga,
        "kortsluitinkje" kortsluiting), else the token itself: a small shock is still a shock."""
        if token in self._by_word or token in self._phrase_words:
            return token
        for ending, replacements in _DIMINUTIVES:
            if token.endswith(ending) and len(token) - len(ending) >= 3:
                for replacement in replacements:
                    base = token[: -len(ending)] + replacement
                    if base in self._by_word or base in self._phrase_words:
                        return base
        return token

    def _context_rule(self, entry: object) -> _ContextRule:
        if not isinstance(entry, dict):
            raise TypeError("a safety.toml [[context]] entry is a table")
        words = set(self._groups.words.get(entry["group"], ())) if "group" in entry else set()
        words |= {fold(word) for word in entry.get("words", [])}

        def folded(key: str) -> frozenset[str]:
            return frozenset(fold(word) for word in entry.get(key, []))

        return _ContextRule(
            frozenset(words),
            folded("before"),
            folded("after"),
            folded("beside"),
            int(entry.get("reach", 1)),
            int(entry.get("reach_after", 1)),
        )

    def _literal(self, tokens: list[str]) -> list[str]:
        """The message without danger words that mean something else where they stand (safety.toml's [[context]]:
        a black screen, "contact the operator", a qualified sparky, freezing rain, a fondue) and without a car's
        shock absorbers. Any other danger word still counts ("the screen is fine but the plug is black")."""
        kept: list[str] = []
        for index, token in enumerate(tokens):
            if _shock_absorber(tokens, index) or any(rule.ordinary(tokens, index) for rule in self._context):
                continue
            kept.append(token)
        return kept


@dataclass(frozen=True, slots=True)
class _ContextRule:
    """Danger `words` that are ordinary with a word of `before` just before them, of `after` just after, or of
    `beside` within `reach` words before or `reach_after` words after."""

    words: frozenset[str]
    before: frozenset[str]
    after: frozenset[str]
    beside: frozenset[str]
    reach: int
    reach_after: int = 1

    def ordinary(self, tokens: Sequence[str], index: int) -> bool:
        if tokens[index] not in self.words:
            return False
        previous = tokens[index - 1] if index else ""
        following = tokens[index + 1] if index + 1 < len(tokens) else ""
        return (
            previous in self.before
            or following in self.after
            or not self.beside.isdisjoint(tokens[index + 1 : index + 1 + self.reach_after])
            or not self.beside.isdisjoint(tokens[max(0, index - self.reach) : index])
        )


# Diminutive endings (Dutch, German, Spanish, French) and what the plain word ends with instead.
_DIMINUTIVES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("inkje", ("ing",)),
    ("inkjes", ("ing",)),
    ("etjes", ("",)),
    ("etje", ("",)),
    ("tjes", ("",)),
    ("tje", ("",)),
    ("jes", ("",)),
    ("je", ("",)),
    ("chen", ("",)),
    ("lein", ("",)),
    ("guita", ("ga",)),
    ("guito", ("go",)),
    ("quita", ("ca",)),
    ("quito", ("co",)),
    ("cita", ("",)),
    ("cito", ("",)),
    ("ita", ("a",)),
    ("ito", ("o",)),
    ("illa", ("a",)),
    ("illo", ("o",)),
    ("ette", ("e", "")),
)


def _collapse(word: str) -> str:
    return re.sub(r"(.)\1+", r"\1", word)


def _one_typo(token: str, word: str) -> bool:
    if OSA.distance(token, word, score_cutoff=1) > 1:
        return False
    return len(token) != len(word) or len(word) >= SUBSTITUTION_LENGTH or Hamming.distance(token, word) > 1


@functools.cache
def _load() -> dict[str, object]:
    raw = resources.files("chatbot.knowledge").joinpath("safety.toml").read_text(encoding="utf-8")
    return tomllib.loads(raw)


def _shock_absorber(tokens: Sequence[str], index: int) -> bool:
    """The "shock" of a car's shock absorbers (typos too: "absrobers"), a garage matter."""
    token = tokens[index]
    return token.startswith("shock") and index + 1 < len(tokens) and tokens[index + 1].startswith("abs")
