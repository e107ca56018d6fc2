"""The intents the assistant recognises; API clients rely on these exact names."""

from __future__ import annotations

from typing import Final

INTENTS: Final = (
    "session_wont_start",
    "cable_stuck",
    "charging_slow",
    "charging_stopped",
    "charger_offline",
    "payment_failed",
    "billing_dispute",
    "pricing_info",
    "idle_fee",
    "find_charger",
    "receipt",
    "rfid_card",
    "account_access",
    "safety_hazard",
    "reservation",
    "human_agent",
    "greeting",
    "thanks",
    "goodbye",
    "out_of_scope",
)
OUT_OF_SCOPE: Final = "out_of_scope"
SMALL_TALK: Final = frozenset({"greeting", "thanks", "goodbye"})
# Intents that never take part in a clarifying question: they are acted on at once.
DECISIVE: Final = frozenset({"safety_hazard", "human_agent", OUT_OF_SCOPE})
LANGUAGES: Final = ("en", "de", "fr", "es", "nl")
