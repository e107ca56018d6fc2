"""The uptime chart as SVG drawn on the server (no chart library, no CDN): one horizontal bar per item, worst
first, on a scale that starts low enough to show every bar, with the 97 % (NEVI) and 98 % (industry) lines."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final
from xml.sax.saxutils import escape

from api.domain.uptime.calculation import INDUSTRY_THRESHOLD, NEVI_THRESHOLD

WIDTH: Final = 760
LABEL_WIDTH: Final = 220
BAR_HEIGHT: Final = 18
GAP: Final = 6
TOP: Final = 48
BOTTOM: Final = 30
MAX_BARS: Final = 40
COLOURS: Final = {"ok": "#2e7d32", "industry": "#f9a825", "nevi": "#c62828", "none": "#9e9e9e"}


def _colour(value: float | None) -> str:
    if value is None:
        return COLOURS["none"]
    if value < NEVI_THRESHOLD:
        return COLOURS["nevi"]
    return COLOURS["industry"] if value < INDUSTRY_THRESHOLD else COLOURS["ok"]


def _text(value: str, limit: int = 32) -> str:
    return escape(value if len(value) <= limit else value[: limit - 1] + "…", {'"': "&quot;"})


def uptime_chart(title: str, bars: Sequence[tuple[str, float | None]]) -> str:
    """`bars`: (label, uptime %) in the order to draw them; None draws an empty row (no data yet)."""
    shown = list(bars[:MAX_BARS])
    values = [value for _, value in shown if value is not None]
    floor = min([NEVI_THRESHOLD - 2, *values])
    floor = max(0.0, math.floor(floor / 5) * 5 if floor < 90 else math.floor(floor))
    plot = WIDTH - LABEL_WIDTH - 60
    height = TOP + len(shown) * (BAR_HEIGHT + GAP) + BOTTOM

    def x(value: float) -> float:
        return LABEL_WIDTH + (max(value, floor) - floor) / (100 - floor) * plot

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-label="{_text(title, 120)}" font-family="system-ui, sans-serif" font-size="12">',
        f"<title>{_text(title, 120)}</title>",
        f'<text x="0" y="16" font-size="14" font-weight="600">{_text(title, 90)}</text>',
    ]
    for index, (label, value) in enumerate(shown):
        y = TOP + index * (BAR_HEIGHT + GAP)
        parts.append(f'<text x="{LABEL_WIDTH - 8}" y="{y + 13}" text-anchor="end">{_text(label)}</text>')
        if value is None:
            parts.append(f'<text x="{LABEL_WIDTH + 4}" y="{y + 13}" fill="{COLOURS["none"]}">no data</text>')
            continue
        parts.append(
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{x(value) - LABEL_WIDTH:.1f}" height="{BAR_HEIGHT}" '
            f'fill="{_colour(value)}"><title>{_text(label, 120)}: {value:.2f} %</title></rect>'
        )
        parts.append(f'<text x="{x(value) + 4:.1f}" y="{y + 13}">{value:.2f} %</text>')
    bottom = TOP + len(shown) * (BAR_HEIGHT + GAP)
    for value, name, colour in (
        (NEVI_THRESHOLD, "97 % NEVI", COLOURS["nevi"]),
        (INDUSTRY_THRESHOLD, "98 % industry", "#b17900"),
    ):
        parts.append(
            f'<line x1="{x(value):.1f}" y1="{TOP - 6}" x2="{x(value):.1f}" y2="{bottom}" stroke="{colour}" '
            f'stroke-width="1.5" stroke-dasharray="5 3"/>'
        )
        anchor = "end" if value == NEVI_THRESHOLD else "start"
        offset = -3 if value == NEVI_THRESHOLD else 3
        parts.append(
            f'<text x="{x(value) + offset:.1f}" y="{TOP - 10}" fill="{colour}" text-anchor="{anchor}">{name}</text>'
        )
    parts.append(f'<line x1="{LABEL_WIDTH}" y1="{bottom}" x2="{LABEL_WIDTH + plot}" y2="{bottom}" stroke="#555"/>')
    parts.extend(
        f'<text x="{x(tick):.1f}" y="{bottom + 16}" text-anchor="middle">{tick:g} %</text>'
        for tick in (floor, (floor + 100) / 2, 100.0)
    )
    if len(bars) > MAX_BARS:
        parts.append(
            f'<text x="{LABEL_WIDTH}" y="{bottom + 28}" fill="#555">the worst {MAX_BARS} of {len(bars)} shown</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
