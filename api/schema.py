"""Wire base Structs: camelCase for the driver app API; OCPI shapes use snake_case Structs of their own."""

from __future__ import annotations

import msgspec


class AppStruct(msgspec.Struct, rename="camel", kw_only=True):
    """Base of every JSON body of the app API (`/v1`): fields are snake_case in Python, camelCase on the wire."""


class FrozenAppStruct(msgspec.Struct, rename="camel", kw_only=True, frozen=True):
    """Immutable app API value."""
