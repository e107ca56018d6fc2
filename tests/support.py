"""Helpers shared by test modules (plain functions; fixtures live in conftest.py)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from api.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"
TEST_SECRET_KEY = "test-secret-key-that-is-long-enough-for-hs256"


def required(flag: str) -> bool:
    """CI sets VOLTWAY_REQUIRE_POSTGRES / VOLTWAY_REQUIRE_SHARED so a missing dependency fails instead of skipping."""
    return os.environ.get(flag) == "1"


def skip_or_fail(flag: str, reason: str) -> None:
    if required(flag):
        pytest.fail(f"{reason} ({flag}=1 makes this a failure)")
    pytest.skip(reason)


def make_settings(**overrides: Any) -> Settings:
    """Settings for tests: cheap password hashing and a fixed key; everything else as in production."""
    values: dict[str, Any] = {
        "env": "test",
        "secret_key": TEST_SECRET_KEY,
        "password_hash_time_cost": 1,
        "password_hash_memory_kib": 64,
    }
    values.update(overrides)
    return Settings(**values)
