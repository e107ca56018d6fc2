"""The OCPI 2.2.1 object tables read from the spec text in ../shared, to check what we send against them.

Each `_object_` / `_class_` table gives a field's type, its maximum length (`string(45)`, `CiString(36)`) and its
cardinality (1 required, ? optional, * list, + non-empty list); each `_enum_` table gives the allowed values.
`problems(value, "Location")` lists every breach: missing required fields, fields the spec does not define,
strings too long, values outside an enum, wrong JSON types.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import msgspec

from tests.support import SHARED_DIR, skip_or_fail

SPEC_DIR = SHARED_DIR / "specs" / "ocpi-2.2.1"
_HEADING = re.compile(r"^=+ _?([A-Za-z]+)_? _?(object|class|enum|type)_?\s*$", re.IGNORECASE)
_FIELD = re.compile(r"^\|\s*([a-z_0-9]+)\s*\|(.+?)\|\s*([1?*+])\s*\|")
_ENUM = re.compile(r"^\|\s*([A-Za-z0-9_]+)\s*\|")
_TYPE = re.compile(r"(?:<<[^,>]+,\s*([A-Za-z0-9_]+)>>|([A-Za-z]+))\s*(?:\((\d+)\))?")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z?$")


class Field(msgspec.Struct, frozen=True):
    name: str
    type: str
    max_length: int | None
    cardinality: str


class SpecTables(msgspec.Struct, frozen=True):
    objects: dict[str, dict[str, Field]]
    enums: dict[str, frozenset[str]]


@cache
def spec_tables(spec_dir: Path = SPEC_DIR) -> SpecTables:
    if not spec_dir.is_dir():
        skip_or_fail("VOLTWAY_REQUIRE_SHARED", f"the OCPI 2.2.1 spec text {spec_dir} is absent")
    objects: dict[str, dict[str, Field]] = {}
    enums: dict[str, frozenset[str]] = {}
    for path in sorted(spec_dir.glob("*.asciidoc")):
        current: tuple[str, str] | None = None
        in_table = False
        values: set[str] = set()
        fields: dict[str, Field] = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            heading = _HEADING.match(line.strip())
            if heading:
                current, in_table, values, fields = (heading.group(1), heading.group(2).lower()), False, set(), {}
                continue
            if current is None:
                continue
            if line.strip() == "|===":
                if in_table:  # end of the table that follows the heading
                    name, kind = current
                    if kind == "enum" and values:
                        enums.setdefault(name, frozenset(values))
                    elif kind in ("object", "class") and fields:
                        objects.setdefault(name, fields)
                    current = None
                in_table = not in_table
                continue
            if not in_table:
                continue
            if current[1] == "enum":
                match = _ENUM.match(line)
                if match and match.group(1) != "Value":
                    values.add(match.group(1))
                continue
            match = _FIELD.match(line)
            if match:
                type_match = _TYPE.search(match.group(2).strip())
                type_name = (type_match.group(1) or type_match.group(2)) if type_match else "string"
                length = int(type_match.group(3)) if type_match and type_match.group(3) else None
                fields[match.group(1)] = Field(match.group(1), type_name, length, match.group(3))
    return SpecTables(objects=objects, enums=enums)


def _check_scalar(value: Any, field: Field, where: str, tables: SpecTables) -> list[str]:
    kind = field.type
    if kind in tables.objects:
        return problems(value, kind, where, tables)
    if kind in tables.enums:
        return [] if value in tables.enums[kind] else [f"{where}: {value!r} is not a {kind}"]
    if kind in ("string", "CiString", "URL"):
        if not isinstance(value, str):
            return [f"{where}: expected a string, got {value!r}"]
        if field.max_length is not None and len(value) > field.max_length:
            return [f"{where}: {len(value)} characters, the spec allows {field.max_length}"]
        return []
    if kind == "DateTime":
        stamp = isinstance(value, str) and len(value) <= 25 and _DATETIME.match(value) is not None
        return [] if stamp else [f"{where}: {value!r} is not an OCPI DateTime"]
    if kind == "boolean":
        return [] if isinstance(value, bool) else [f"{where}: expected a boolean, got {value!r}"]
    if kind == "int":
        return [] if isinstance(value, int) and not isinstance(value, bool) else [f"{where}: expected an int"]
    if kind in ("number", "decimal"):
        number = isinstance(value, int | float) and not isinstance(value, bool)
        return [] if number else [f"{where}: expected a JSON number, got {value!r}"]
    return []


def problems(value: Any, object_name: str, where: str = "$", tables: SpecTables | None = None) -> list[str]:
    """Every way `value` (decoded JSON) breaks the spec's definition of `object_name`."""
    tables = tables or spec_tables()
    definition = tables.objects[object_name]
    if not isinstance(value, dict):
        return [f"{where}: expected a {object_name} object, got {value!r}"]
    found = [f"{where}.{name}: not a field of {object_name}" for name in value if name not in definition]
    for field in definition.values():
        path = f"{where}.{field.name}"
        if field.name not in value or value[field.name] is None:
            if field.cardinality in ("1", "+"):
                found.append(f"{path}: required by {object_name}, missing")
            continue
        item = value[field.name]
        if field.cardinality in ("*", "+"):
            if not isinstance(item, list):
                found.append(f"{path}: expected a list")
                continue
            if field.cardinality == "+" and not item:
                found.append(f"{path}: must hold at least one")
            for index, element in enumerate(item):
                found.extend(_check_scalar(element, field, f"{path}[{index}]", tables))
        else:
            found.extend(_check_scalar(item, field, path, tables))
    return found
