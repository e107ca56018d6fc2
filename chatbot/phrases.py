"""What the dialogue recognises itself: follow-ups to the current topic, unreadable text, a missing charge card.

These depend on the conversation, not on the words alone, so they sit beside the intent rules rather than in
them: "still nothing" means "go on with what we were doing", whatever a fresh classification would say.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources

from chatbot.intents import LANGUAGES, OUT_OF_SCOPE
from chatbot.knowledge_base import KnowledgeBase
from chatbot.recognizer import Classification
from chatbot.text import fold, words

# a follow-up phrase in a message this short continues the topic even if its words suggest another intent
FOLLOWUP_MAX_WORDS = 4


@dataclass(frozen=True, slots=True)
class Cues:
    followup: bool  # the driver says the last advice did not help
    unreadable: bool  # nothing in it we can read: keyboard mash, stray symbols
    no_card: bool  # the driver has no charge card with them and asks how to charge


Index = dict[str, tuple[tuple[str, ...], ...]]  # first word -> the phrases starting with it


def _index(table: dict[str, list[str]], extra: dict[str, list[str]] | None = None) -> Index:
    by_first: dict[str, set[tuple[str, ...]]] = {}
    for language in LANGUAGES:
        for phrase in [*table.get(language, ()), *(extra or {}).get(language, ())]:
            folded = tuple(fold(phrase).split())
            if folded:
                by_first.setdefault(folded[0], set()).add(folded)
    return {first: tuple(sorted(phrases)) for first, phrases in by_first.items()}


def _has(tokens: list[str], index: Index) -> bool:
    for i, token in enumerate(tokens):
        for phrase in index.get(token, ()):
            if tuple(tokens[i : i + len(phrase)]) == phrase:
                return True
    return False


class Phrases:
    def __init__(self, knowledge: KnowledgeBase) -> None:
        data = tomllib.loads(resources.files("chatbot.knowledge").joinpath("dialogue.toml").read_text("utf-8"))
        # the "Still not working" quick reply is a follow-up in every language
        quick_reply = {language: [knowledge.text("qr_still", language)] for language in LANGUAGES}
        self.followup = _index(data["followup"], quick_reply)
        self.card = _index(data["card"])
        self.card_missing = _index(data["card_missing"])
        self.known_words = frozenset().union(*knowledge.function_words.values())

    def read(self, text: str, result: Classification) -> Cues:
        tokens = words(text)
        followup = _has(tokens, self.followup) and (result.intent == OUT_OF_SCOPE or len(tokens) <= FOLLOWUP_MAX_WORDS)
        unreadable = (
            result.intent == OUT_OF_SCOPE
            and not result.concepts
            and not any(token in self.known_words or token.isdigit() for token in tokens)
            and not followup
        )
        no_card = _has(tokens, self.card) and _has(tokens, self.card_missing)
        return Cues(followup=followup, unreadable=unreadable, no_card=no_card)
