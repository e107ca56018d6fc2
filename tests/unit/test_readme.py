"""The README is the user's door: every setting the service reads is documented in its configuration table."""

from __future__ import annotations

import re

from tests.support import REPO_ROOT


def test_every_environment_variable_is_documented() -> None:
    source = (REPO_ROOT / "api" / "settings.py").read_text(encoding="utf-8")
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    read = set(re.findall(r'"(VOLTWAY_[A-Z0-9_]+)"', source))
    assert read, "settings.py reads no variables?"
    documented = set(re.findall(r"`(VOLTWAY_[A-Z0-9_]+)`", readme))
    assert read - documented == set()


def test_every_command_is_documented() -> None:
    from api.cli import build_parser

    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    parser = build_parser()
    commands = next(a.choices for a in parser._actions if isinstance(a.choices, dict))
    assert isinstance(commands, dict)
    missing = [name for name in commands if f"`voltway {name}" not in readme]
    assert missing == []


def test_example_commands_can_be_run_twice() -> None:
    """A fixed Idempotency-Key would answer a second run with the first, already finished session."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    commands = "\n".join(re.findall(r"```sh\n(.*?)```", readme, flags=re.DOTALL))
    keys = re.findall(r"Idempotency-Key: ([^\"'\s]+)", commands)
    assert keys, "the walk-through starts a session"
    assert all(key.startswith("$(") for key in keys), keys
