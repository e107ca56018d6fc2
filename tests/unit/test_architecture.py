"""The dependency rules of ARCHITECTURE.md, checked on the source: pure packages stay pure, nothing imports api."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from tests.support import REPO_ROOT

OURS = {"api", "pricing", "chatbot", "ocpp_bridge"}

# What each package may import besides the standard library.
ALLOWED: dict[str, set[str]] = {
    "pricing": {"msgspec", "babel"},
    # numpy, scikit-learn (and its scipy): the offline intent model
    "chatbot": {"pricing", "msgspec", "rapidfuzz", "yaml", "numpy", "sklearn", "scipy"},
    "ocpp_bridge": {"ocpp", "websockets", "msgspec", "cryptography"},
}


def imports_of(path: Path) -> set[str]:
    """Top-level names of every absolute import in a module (relative imports stay inside the package)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def package_modules(package: str) -> list[Path]:
    return sorted((REPO_ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_it_may(package: str) -> None:
    violations = []
    for module in package_modules(package):
        for name in imports_of(module) - {package}:
            if name in sys.stdlib_module_names:
                continue
            if name not in ALLOWED[package]:
                violations.append(f"{module.relative_to(REPO_ROOT)} imports {name}")
    assert violations == []


def test_nothing_imports_api() -> None:
    violations = [
        f"{module.relative_to(REPO_ROOT)} imports api"
        for package in OURS - {"api"}
        for module in package_modules(package)
        if "api" in imports_of(module)
    ]
    assert violations == []


def test_every_package_says_what_it_owns() -> None:
    for package in OURS:
        docstring = ast.get_docstring(ast.parse((REPO_ROOT / package / "__init__.py").read_text(encoding="utf-8")))
        assert docstring, f"{package}/__init__.py needs a module docstring"


def test_only_settings_reads_the_environment() -> None:
    offenders = []
    for package in OURS:
        for module in package_modules(package):
            if module == REPO_ROOT / "api" / "settings.py":
                continue
            source = module.read_text(encoding="utf-8")
            if "os.environ" in source or "os.getenv" in source or "getenv(" in source:
                offenders.append(str(module.relative_to(REPO_ROOT)))
    assert offenders == []


def test_the_checker_sees_forbidden_edges(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import sqlalchemy.orm\nfrom api.settings import Settings\nfrom . import sibling\n")
    assert imports_of(module) == {"sqlalchemy", "api"}
