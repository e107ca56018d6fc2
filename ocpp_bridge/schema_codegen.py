"""Generates msgspec Structs from the official OCPP JSON schemas shipped with the ``ocpp`` package.

Decoding into these Structs enforces what the schemas say (required fields, types, enums, lengths,
bounds, date-time format, unknown fields where the schema forbids them) at a fraction of the cost of
jsonschema. Run ``python -m ocpp_bridge.schema_codegen`` to rewrite ``ocpp_bridge/v16/messages.py`` and
``ocpp_bridge/v201/messages.py``.

One deliberate gap: ``multipleOf: 0.1`` on a few 1.6 charging-schedule numbers is not enforced, because a
binary float check would reject valid values such as 21.4.
"""

from __future__ import annotations

import json
import keyword
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ocpp

SCHEMA_ROOT = Path(ocpp.__file__).parent
PACKAGE_ROOT = Path(__file__).parent
VERSIONS = {"v16": "1.6", "v201": "2.0.1"}
LINE_LIMIT = 120
INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1
_RESERVED = {"type", "format", "id", "hash", "filter", "input", "min", "max", "list", "dict", "object"}

Schema = dict[str, Any]


def snake_case(name: str) -> str:
    """Python attribute name for a JSON property name."""
    name = name.replace("SoC", "Soc")
    name = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name)
    name = re.sub(r"(?<=[A-Z])([A-Z][a-z])", r"_\1", name)
    name = name.lower()
    if keyword.iskeyword(name) or name in _RESERVED:
        name += "_"
    return name


def camel_class(name: str) -> str:
    return name[:1].upper() + name[1:]


@dataclass
class _Module:
    version: str
    aliases: dict[str, str] = field(default_factory=dict)  # name -> code
    alias_keys: dict[str, str] = field(default_factory=dict)  # structural key -> name
    structs: dict[str, str] = field(default_factory=dict)
    struct_keys: dict[str, str] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    requests: dict[str, str] = field(default_factory=dict)
    responses: dict[str, str] = field(default_factory=dict)
    uses_datetime: bool = False
    uses_any: bool = False

    def alias(self, preferred: str, fallback: str, key: str, code_for: Any) -> str:
        if key in self.alias_keys:
            return self.alias_keys[key]
        name = preferred if preferred not in self.aliases and preferred not in self.structs else fallback
        n = 2
        base = name
        while name in self.aliases or name in self.structs:
            name = f"{base}{n}"
            n += 1
        self.alias_keys[key] = name
        self.aliases[name] = code_for(name)
        self.order.append(name)
        return name


class _Generator:
    def __init__(self, version: str) -> None:
        self.module = _Module(version)

    def run(self) -> str:
        folder = SCHEMA_ROOT / self.module.version / "schemas"
        for path in sorted(folder.glob("*.json")):
            schema = json.loads(path.read_text(encoding="utf-8-sig"))
            stem = path.stem
            if stem.endswith("Response"):
                action, class_name = stem.removesuffix("Response"), stem
                target = self.module.responses
            else:
                action = stem.removesuffix("Request")
                class_name = action + "Request"
                target = self.module.requests
            name = self.struct(schema, class_name, action, schema.get("definitions", {}), exact=True)
            target[action] = name
        return self.render()

    # -- types -----------------------------------------------------------------------------------------

    def type_expr(self, node: Schema, prop: str, owner: str, action: str, defs: Schema) -> str:
        if "$ref" in node:
            def_name = node["$ref"].rsplit("/", 1)[-1]
            return self.named(defs[def_name], def_name, action, defs)
        kind = node.get("type")
        if "enum" in node:
            return self.enum(node, owner + camel_class(prop), action + owner + camel_class(prop))
        if kind == "object":
            return self.struct(node, camel_class(prop), action, defs)
        if kind == "array":
            item = self.type_expr(node.get("items", {}), prop, owner, action, defs)
            meta = self.meta(node, ("minItems", "min_length"), ("maxItems", "max_length"))
            if meta:
                return f"Annotated[list[{item}], msgspec.Meta({meta})]"
            return f"list[{item}]"
        if kind == "string":
            if node.get("format") == "date-time":
                self.module.uses_datetime = True
                return "datetime.datetime"
            if "maxLength" in node:
                limit = node["maxLength"]
                key = f"str<= {limit}"
                return self.module.alias(
                    f"String{limit}",
                    f"String{limit}",
                    key,
                    lambda n: f"{n} = Annotated[str, msgspec.Meta(max_length={limit})]",
                )
            return "str"
        if kind == "integer":
            # OCPP's integer is 32 bits: a bigger one is refused here rather than overflowing a float or a column.
            bounds = {"minimum": INT32_MIN, "maximum": INT32_MAX}
            bounds.update({k: int(v) for k, v in node.items() if k in {"minimum", "maximum"}})
            if bounds == {"minimum": INT32_MIN, "maximum": INT32_MAX}:
                return self.module.alias(
                    "Integer",
                    "Integer",
                    "int32",
                    lambda n: f"{n} = Annotated[int, msgspec.Meta(ge={INT32_MIN}, le={INT32_MAX})]",
                )
            meta = self.meta(bounds, ("minimum", "ge"), ("maximum", "le"))
            return f"Annotated[int, msgspec.Meta({meta})]"
        if kind == "number":
            meta = self.meta(node, ("minimum", "ge"), ("maximum", "le"))
            return f"Annotated[float, msgspec.Meta({meta})]" if meta else "float"
        if kind == "boolean":
            return "bool"
        if kind is None and not set(node) - {"description"}:
            self.module.uses_any = True
            return "Any"
        msg = f"unsupported schema node {node!r}"
        raise ValueError(msg)

    @staticmethod
    def meta(node: Schema, *pairs: tuple[str, str]) -> str:
        return ", ".join(f"{py}={node[js]!r}" for js, py in pairs if js in node)

    def named(self, node: Schema, def_name: str, action: str, defs: Schema) -> str:
        if "enum" in node:
            return self.enum(node, def_name, action + def_name)
        if node.get("type") == "object":
            return self.struct(node, def_name, action, defs)
        return self.type_expr(node, def_name, "", action, defs)

    def enum(self, node: Schema, preferred: str, fallback: str) -> str:
        values = list(node["enum"])
        key = "enum:" + json.dumps(values)

        def code(name: str) -> str:
            inner = ", ".join(json.dumps(v) for v in values)
            line = f"{name} = Literal[{inner}]"
            if len(line) <= LINE_LIMIT:
                return line
            body = "".join(f"    {json.dumps(v)},\n" for v in values)
            return f"{name} = Literal[\n{body}]"

        return self.module.alias(preferred, fallback, key, code)

    def struct(self, node: Schema, preferred: str, action: str, defs: Schema, *, exact: bool = False) -> str:
        fallback = action + preferred
        fields: list[tuple[str, str, str, bool]] = []
        required = set(node.get("required", []))
        for prop, sub in node.get("properties", {}).items():
            texpr = self.type_expr(sub, prop, preferred, action, defs)
            fields.append((prop, snake_case(prop), texpr, prop in required))
        forbid = node.get("additionalProperties") is False
        key = "struct:" + json.dumps([fields, forbid])
        if key in self.module.struct_keys and not exact:
            return self.module.struct_keys[key]
        name = preferred
        if name in self.module.structs or name in self.module.aliases:
            name = fallback
        base, n = name, 2
        while name in self.module.structs or name in self.module.aliases:
            name = f"{base}{n}"
            n += 1
        if not exact:
            self.module.struct_keys[key] = name
        options = ", forbid_unknown_fields=True" if forbid else ""
        lines = [f"class {name}(msgspec.Struct, kw_only=True{options}):"]
        if not fields:
            lines.append("    pass")
        for prop, attr, texpr, is_required in fields:
            lines.extend(self.field_lines(prop, attr, texpr, is_required))
        self.module.structs[name] = "\n".join(lines)
        self.module.order.append(name)
        return name

    @staticmethod
    def field_lines(prop: str, attr: str, texpr: str, is_required: bool) -> list[str]:
        annotation = texpr if is_required else f"{texpr} | UnsetType"
        args = [] if is_required else ["default=UNSET"]
        if attr != prop:
            args.append(f"name={json.dumps(prop)}")
        if not args:
            return [f"    {attr}: {annotation}"]
        if is_required and attr != prop:
            value = f"msgspec.field({', '.join(args)})"
        elif not is_required and attr == prop:
            value = "UNSET"
        else:
            value = f"msgspec.field({', '.join(args)})"
        line = f"    {attr}: {annotation} = {value}"
        if len(line) <= LINE_LIMIT:
            return [line]
        inner = ", ".join(args)
        return [f"    {attr}: {annotation} = msgspec.field(", f"        {inner}", "    )"]

    # -- output ----------------------------------------------------------------------------------------

    def render(self) -> str:
        mod = self.module
        label = VERSIONS[mod.version]
        out = [
            f'"""OCPP {label} message payloads as msgspec Structs, generated from the official JSON schemas.',
            "",
            "Do not edit: run ``python -m ocpp_bridge.schema_codegen`` to regenerate.",
            '"""',
            "",
        ]
        if mod.uses_datetime:
            out.append("import datetime")
        out += [
            "from typing import Annotated, Any, Literal" if mod.uses_any else "from typing import Annotated, Literal",
            "",
            "import msgspec",
            "from msgspec import UNSET, UnsetType",
        ]
        previous_is_alias = True  # one blank line after the imports, as isort wants before an assignment
        for name in mod.order:
            if name in mod.aliases:
                out.append("" if previous_is_alias else "\n")
                out.append(mod.aliases[name])
                previous_is_alias = True
            else:
                out += ["", "", mod.structs[name]]
                previous_is_alias = False
        out += ["", "", "REQUESTS: dict[str, type[msgspec.Struct]] = {"]
        out.extend(f'    "{action}": {name},' for action, name in sorted(mod.requests.items()))
        out += ["}", "RESPONSES: dict[str, type[msgspec.Struct]] = {"]
        out.extend(f'    "{action}": {name},' for action, name in sorted(mod.responses.items()))
        out += ["}", ""]
        return _ruff_format("\n".join(out))


def _ruff_format(text: str) -> str:
    """Formats like the rest of the code base so the committed modules pass ``ruff format --check``."""
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        return text
    done = subprocess.run(  # noqa: S603 - fixed argument list, no shell
        [ruff, "format", "--stdin-filename", str(PACKAGE_ROOT / "generated.py"), "-"],
        input=text,
        capture_output=True,
        text=True,
        check=True,
        cwd=PACKAGE_ROOT.parent,
    )
    return done.stdout


def generate(version: str) -> str:
    """Source text of the messages module for ``version`` (``v16`` or ``v201``)."""
    return _Generator(version).run()


def target_path(version: str) -> Path:
    return PACKAGE_ROOT / version / "messages.py"


def main() -> None:
    for version in VERSIONS:
        target_path(version).write_text(generate(version), encoding="utf-8")


if __name__ == "__main__":
    main()
