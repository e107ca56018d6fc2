"""OCPI 2.2.1 object tables read from the spec text (../shared/specs/ocpi-2.2.1), to check the Session and CDR
objects we send: every required field present, no field the table lacks, strings within their maximum length,
enums within their values, nested objects checked by their own tables."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_ROW = re.compile(r"^\|\s*(?P<name>[a-z_0-9]+)\s*\|(?P<type>[^|]+)\|\s*(?P<card>[1?*+])\s*\|")
_LINK = re.compile(r"<<[^,>]*,(?P<label>[^>]+)>>")
_LENGTH = re.compile(r"\((?P<n>\d+)\)")


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # the spec's type label, e.g. CiString, DateTime, CdrToken
    length: int | None
    required: bool
    many: bool


def _table(text: str, anchor: str) -> dict[str, Field]:
    start = text.index(f"[[{anchor}]]")
    opened = text.index("|===", start)
    closed = text.index("|===", opened + 4)
    fields: dict[str, Field] = {}
    for line in text[opened:closed].splitlines():
        match = _ROW.match(line.strip())
        if match is None:
            continue
        raw_type = match["type"].strip()
        label_match = _LINK.search(raw_type)
        label = label_match["label"].strip() if label_match else raw_type
        length = _LENGTH.search(raw_type.split(">>")[-1])
        card = match["card"]
        fields[match["name"]] = Field(
            match["name"], label, int(length["n"]) if length else None, card in "1+", card in "*+"
        )
    return fields


def _enum(text: str, anchor: str) -> set[str]:
    start = text.index(f"[[{anchor}]]")
    opened = text.index("|===", start)
    closed = text.index("|===", opened + 4)
    values = set()
    for line in text[opened:closed].splitlines()[1:]:
        match = re.match(r"^\|\s*([A-Z_0-9]+)\s*\|", line.strip())
        if match:
            values.add(match[1])
    return values


class OcpiObjects:
    """The tables of the objects sessions and CDRs are made of."""

    def __init__(self, spec_dir: Path) -> None:
        cdrs = (spec_dir / "mod_cdrs.asciidoc").read_text()
        sessions = (spec_dir / "mod_sessions.asciidoc").read_text()
        types = (spec_dir / "types.asciidoc").read_text()
        tariffs = (spec_dir / "mod_tariffs.asciidoc").read_text()
        self.objects: dict[str, dict[str, Field]] = {
            "Session": _table(sessions, "mod_sessions_session_object"),
            "CDR": _table(cdrs, "mod_cdrs_cdr_object"),
            "CdrLocation": _table(cdrs, "mod_cdrs_cdr_location_class"),
            "CdrToken": _table(cdrs, "mod_cdrs_cdr_token_object"),
            "ChargingPeriod": _table(cdrs, "mod_cdrs_chargingperiod_class"),
            "CdrDimension": _table(cdrs, "mod_cdrs_cdrdimension_class"),
            "Price": _table(types, "types_price_class"),
            "GeoLocation": _table((spec_dir / "mod_locations.asciidoc").read_text(), "mod_locations_geolocation_class"),
            "Tariff": _table(tariffs, "mod_tariffs_tariff_object"),
        }
        self.enums = {
            "SessionStatus": _enum(sessions, "mod_sessions_sessionstatus_enum"),
            "AuthMethod": _enum(cdrs, "mod_cdrs_authmethod_enum"),
            "CdrDimensionType": _enum(cdrs, "mod_cdrs_cdrdimensiontype_enum"),
        }

    def problems(self, kind: str, value: Any, where: str = "") -> list[str]:
        """What is wrong with `value` as an OCPI `kind` (empty when nothing)."""
        table = self.objects[kind]
        if not isinstance(value, dict):
            return [f"{where or kind}: not an object"]
        found = [f"{where}{name}: not in the {kind} table" for name in value if name not in table]
        for name, spec in table.items():
            path = f"{where}{name}"
            if name not in value:
                if spec.required:
                    found.append(f"{path}: required")
                continue
            items = value[name] if spec.many else [value[name]]
            if spec.many and not isinstance(items, list):
                found.append(f"{path}: not a list")
                continue
            for index, item in enumerate(items):
                at = f"{path}[{index}]." if spec.many else f"{path}."
                found.extend(self._check(spec, item, at))
        return found

    def _check(self, spec: Field, item: Any, at: str) -> list[str]:
        label = spec.type
        if label in self.objects:
            return self.problems(label, item, at)
        if label in self.enums:
            return [] if item in self.enums[label] else [f"{at[:-1]}: {item!r} is not a {label}"]
        if label in ("CiString", "string", "DateTime"):
            if not isinstance(item, str):
                return [f"{at[:-1]}: not a string"]
            if spec.length is not None and len(item) > spec.length:
                return [f"{at[:-1]}: longer than {spec.length}"]
            if label == "DateTime" and not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z?", item):
                return [f"{at[:-1]}: {item!r} is not an OCPI DateTime"]
        if label == "number" and (isinstance(item, bool) or not isinstance(item, int | float)):
            return [f"{at[:-1]}: not a number"]
        return []
