"""Wire base Structs: camelCase for the driver app API; OCPI shapes use snake_case Structs of their own."""

from __future__ import annotations

from typing import Annotated

import msgspec

# A string a person typed as prose (a chat message, a problem report): it may keep tabs and line breaks,
# which every other string refuses along with all other control characters (see api.request_decoding).
FreeText = Annotated[str, msgspec.Meta(pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$", extra={"free_text": True})]

# What Python's str.strip() removes, spelled out so that the API document's (ECMA) reading of a pattern is the
# server's: `\s` differs between the two.
SPACE = r"\t-\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_ADDRESS_PART = rf"[^@{SPACE}\x00-\x1f\x7f\ufeff]+"
# An email address as the server takes it: one @, a dot in the domain, no spaces or controls inside; spaces around
# it are trimmed. Register, sign-in, password reset, a new address and guest receipts all use this one rule.
Email = Annotated[
    str,
    msgspec.Meta(
        min_length=3,
        max_length=320,
        pattern=rf"^ *{_ADDRESS_PART}@{_ADDRESS_PART}\.{_ADDRESS_PART} *$",
        description="Email address",
        examples=["driver@example.com"],
    ),
]


class AppStruct(msgspec.Struct, rename="camel", kw_only=True):
    """Base of every JSON body of the app API (`/v1`): fields are snake_case in Python, camelCase on the wire."""


class FrozenAppStruct(msgspec.Struct, rename="camel", kw_only=True, frozen=True):
    """Immutable app API value."""
