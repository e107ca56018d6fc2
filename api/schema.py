"""Wire base Structs: camelCase for the driver app API; OCPI shapes use snake_case Structs of their own."""

from __future__ import annotations

from typing import Annotated

import msgspec

# A string a person typed as prose (a chat message, a problem report): it may keep tabs and line breaks,
# which every other string refuses along with all other control characters (see api.request_decoding).
FreeText = Annotated[str, msgspec.Meta(extra={"free_text": True})]


class AppStruct(msgspec.Struct, rename="camel", kw_only=True):
    """Base of every JSON body of the app API (`/v1`): fields are snake_case in Python, camelCase on the wire."""


class FrozenAppStruct(msgspec.Struct, rename="camel", kw_only=True, frozen=True):
    """Immutable app API value."""
