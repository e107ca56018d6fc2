"""Folding a message into comparable words: lower case, no accents, contractions joined, digits apart."""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz import utils

# English contractions keep their letters together ("won't" -> "wont"); other apostrophes (French elision
# "l'appli", "s'est") separate words.
_QUOTES = "'\u2019`"
_CONTRACTION = re.compile(rf"(?<=[a-z])[{_QUOTES}](?=(?:t|s|m|re|ll|ve|d)\b)")
_APOSTROPHE = re.compile(rf"[{_QUOTES}]")
_DIGITS_APART = re.compile(r"(?<=\d)(?=[^\d\s])|(?<=[^\d\s])(?=\d)")


def fold(text: str) -> str:
    """Lower-cased, accent-free text with only letters, digits and single spaces."""
    lowered = text.lower().replace("ß", "ss")
    decomposed = unicodedata.normalize("NFKD", lowered)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    plain = _APOSTROPHE.sub(" ", _CONTRACTION.sub("", plain))
    processed: str = utils.default_process(plain)
    return " ".join(_DIGITS_APART.sub(" ", processed).split())


def words(text: str) -> list[str]:
    return fold(text).split()
