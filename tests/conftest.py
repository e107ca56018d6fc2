"""Fixtures every test layer shares."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ocpi_fake_emsp import fake_emsp, ocpi_partner
from tests.support import SHARED_DIR, skip_or_fail

__all__ = ["fake_emsp", "ocpi_partner"]  # OCPI fixtures for every test layer (see tests/ocpi_fake_emsp.py)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The read-only reference data next to the repository (../shared)."""
    if not SHARED_DIR.is_dir():
        skip_or_fail("VOLTWAY_REQUIRE_SHARED", f"reference data folder {SHARED_DIR} is absent")
    return SHARED_DIR
