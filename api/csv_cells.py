"""Text for CSV exports that spreadsheets open: a cell starting like a formula is kept as text."""

from __future__ import annotations

from typing import Final

FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


def text_cell(text: str) -> str:
    """Names come from imports, operators and hosts: one that starts like a formula gets a leading apostrophe, so a
    spreadsheet shows it instead of running it."""
    return f"'{text}" if text.startswith(FORMULA_START) else text
