"""The fixed list of problems a driver can report about a station, shown to support agents."""

from __future__ import annotations

REPORT_CATEGORIES: dict[str, str] = {
    "not_operational": "The charger does not work",
    "equipment_problem": "Damaged or faulty equipment (cable, connector, screen)",
    "not_installed": "The charger is not fully installed yet",
    "not_compatible": "The connector does not fit or work with my car",
    "access_card_required": "It needs another card, fob or app",
    "no_equipment": "There is no charger at this place",
    "occupied_by_ev": "The spot is taken by another electric car",
    "blocked_by_non_ev": "The spot is blocked by a car that is not charging",
    "not_accessible": "Not accessible (locked gate, site closed)",
    "not_found": "Could not find the charger (wrong or missing details)",
    "wrong_price": "The price shown is wrong",
    "other": "Something else",
}
