"""Comparing what we send with the OCPI 2.2.1 spec's JSON examples (../shared/specs/ocpi-2.2.1/examples)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

_JSON_TYPES = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number"}


def spec_example(shared_dir: Path, name: str) -> Any:
    """One of the spec's example files, decoded."""
    return json.loads((shared_dir / "specs" / "ocpi-2.2.1" / "examples" / name).read_text(encoding="utf-8"))


def shape_differences(ours: Any, example: Any, path: str = "$", *, optional: frozenset[str] = frozenset()) -> list[str]:
    """Where `ours` differs in shape from `example`: fields it lacks (unless named in `optional`) or has beyond the
    example, and values of another JSON type. Lists are compared item by item with the example's first item."""
    if example is None or ours is None:
        return []
    kind, expected = _JSON_TYPES.get(type(ours), "?"), _JSON_TYPES.get(type(example), "?")
    if kind != expected:
        return [f"{path}: {kind}, the example has {expected}"]
    if isinstance(ours, dict):
        problems = [f"{path}.{k}: not in the example" for k in ours.keys() - example.keys()]
        problems += [f"{path}.{k}: missing" for k in example.keys() - ours.keys() if k not in optional]
        for key in ours.keys() & example.keys():
            problems += shape_differences(ours[key], example[key], f"{path}.{key}", optional=optional)
        return problems
    if isinstance(ours, list) and example:
        return [
            p
            for i, item in enumerate(ours)
            for p in shape_differences(item, example[0], f"{path}[{i}]", optional=optional)
        ]
    return []
