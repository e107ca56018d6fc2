"""Canned replies: the answers agents send most, in every language the assistant speaks, filled for a ticket.

The texts live in canned_replies.toml next to this module, so a support team edits them without touching code.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path
from typing import Final

from api.domain.support.schemas import CannedReply

LANGUAGES: Final = ("en", "de", "fr", "es", "nl")
FALLBACK: Final = "en"
PLACEHOLDERS: Final = ("driver_name", "charger", "amount", "ticket")
_PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")
_FILE: Final = Path(__file__).with_name("canned_replies.toml")


@cache
def _replies() -> dict[str, dict[str, str]]:
    data = tomllib.loads(_FILE.read_text(encoding="utf-8"))
    replies: dict[str, dict[str, str]] = {}
    for reply_id, entry in data.items():
        if not isinstance(entry, dict) or not isinstance(entry.get(FALLBACK), str):
            raise ValueError(f"{_FILE.name}: [{reply_id}] needs a title and at least an {FALLBACK} body")
        replies[reply_id] = {key: str(value) for key, value in entry.items()}
    return replies


def language_of(requested: str | None) -> str:
    """A supported language for `requested` (`de-AT` is German), English otherwise."""
    code = (requested or "").split("-")[0].split("_")[0].strip().lower()
    return code if code in LANGUAGES else FALLBACK


def canned_replies(language: str | None) -> list[CannedReply]:
    """Every canned reply in `language`, English where a translation is missing; placeholders left in."""
    wanted = language_of(language)
    return [
        CannedReply(
            id=reply_id,
            title=entry.get("title", reply_id),
            language=wanted if wanted in entry else FALLBACK,
            body=entry.get(wanted, entry[FALLBACK]),
        )
        for reply_id, entry in _replies().items()
    ]


def fill(text: str, values: dict[str, str | None]) -> str:
    """`text` with its placeholders filled; one without a value stays as it is, for the agent to complete."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1)) or m.group(0), text)


def rendered(language: str | None, values: dict[str, str | None]) -> list[CannedReply]:
    """The canned replies in the driver's language with the ticket's values filled in."""
    return [
        CannedReply(id=r.id, title=r.title, language=r.language, body=fill(r.body, values))
        for r in canned_replies(language)
    ]
