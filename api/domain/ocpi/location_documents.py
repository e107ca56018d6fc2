"""Our locations as stored OCPI documents: encoded once, with slots for what changes live.

Building 1,000 Location objects with their EVSEs and connectors is most of a crawl page's time, yet almost none
of it changes between two crawls. A document is the location's OCPI JSON with a slot for each EVSE's `status` and
`last_updated` and for the location's `last_updated` (the only values a StatusNotification or a charger going
silent moves); a page fills the slots from the live rows in one bytes-formatting operation per location.

Pure: objects in, bytes out. Which documents are current is the database's business (`locations.
ocpi_content_version`, moved by triggers; see the 0025 migration and `location_queries`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from api.domain.ocpi.envelope import encode
from api.domain.ocpi.location_objects import (
    EVSE_STATUSES,
    ConnectorRow,
    EvseRow,
    OcpiLocation,
)

# A slot while encoding: no stored text is a lone NUL character, and the encoder writes it as "\u0000".
_SLOT_VALUE = "\x00"
_SLOT_ENCODED = b'"\\u0000"'
_FILLER = b"%b"
_QUOTED_STATUS = {status: b'"' + status.encode() + b'"' for status in EVSE_STATUSES}
_UNKNOWN = _QUOTED_STATUS["UNKNOWN"]  # a stored status outside OCPI's list


class LocationDocument(msgspec.Struct, frozen=True):
    """`body`: the encoded Location with `%b` slots (and any other `%` doubled), ready for `body % values`;
    `evses`: per EVSE row of the location in uid order, (its id as text, its connectors' newest last_updated,
    or None when it has no connector and so is not in the body)."""

    body: bytes
    evses: tuple[tuple[str, str | None], ...]


def build_document(location: OcpiLocation, evses: Sequence[tuple[EvseRow, Sequence[ConnectorRow]]]) -> LocationDocument:
    """The document of `location` (as `location_object` built it from `evses`, the same rows in the same order)."""
    slotted = msgspec.structs.replace(
        location,
        evses=tuple(
            msgspec.structs.replace(evse, status=_SLOT_VALUE, last_updated=_SLOT_VALUE) for evse in location.evses
        ),
        last_updated=_SLOT_VALUE,
    )
    body = encode(slotted).replace(b"%", b"%%").replace(_SLOT_ENCODED, _FILLER)
    rows = tuple(
        (str(row.row_id), max((c.last_updated for c in connectors), default=None)) for row, connectors in evses
    )
    if body.count(_FILLER) != 2 * len(location.evses) + 1 or sum(1 for _, n in rows if n is not None) != len(
        location.evses
    ):
        raise ValueError(f"location {location.id!r}: its text holds a slot marker")
    return LocationDocument(body=body, evses=rows)


def fill_document(
    body: bytes, evses: Sequence[Sequence[Any]], live: dict[str, tuple[str, str]], location_last_updated: str
) -> bytes | None:
    """The location's OCPI JSON as of now, or None when its EVSEs are no longer those of the document (it is
    rebuilt then). `body` and `evses` as in `LocationDocument`; `live`: per EVSE id (as text), the status a
    partner sees and the EVSE's own last_updated."""
    if len(live) != len(evses):
        return None
    values: list[bytes] = []
    newest = location_last_updated
    for evse_id, connectors_newest in evses:
        found = live.get(evse_id)
        if found is None:
            return None
        status, stamp = found
        if connectors_newest is not None:
            if connectors_newest > stamp:
                stamp = connectors_newest
            values.append(_QUOTED_STATUS.get(status, _UNKNOWN))
            values.append(b'"' + stamp.encode() + b'"')
        if stamp > newest:
            newest = stamp
    values.append(b'"' + newest.encode() + b'"')
    return body % tuple(values)
