"""OCPI partners: the platforms (eMSPs, hubs) that exchanged credentials with us, and how to reach them.

Tokens we issue (A for the handshake, C afterwards) are kept only as SHA-256 hashes: a stolen database does not
let anyone call us. The token we send to a partner (B) must be readable, so it is stored encrypted
(see `api.domain.ocpi.token_vault`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, LargeBinary, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base
from api.db.types import UTCDateTime, utc_now

PARTNER_STATUSES = ("pending", "registered", "suspended", "unregistered", "revoked")


class OcpiPartner(Base):
    """One partner role (country code, party id, role), e.g. NL/ABC/EMSP.

    `status`: `pending` (token A issued, handshake not done), `registered`, `suspended` (it answered our pushes
    with 401), `unregistered` (a credentials DELETE from either side) or `revoked` (by an operator).
    `endpoints` is the partner's module list for `version`: [{"identifier", "role", "url"}].
    """

    __tablename__ = "ocpi_partners"
    __table_args__ = (UniqueConstraint("country_code", "party_id", "role"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    country_code: Mapped[str] = mapped_column(String(2))
    party_id: Mapped[str] = mapped_column(String(3))
    role: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    token_a_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_c_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_b_encrypted: Mapped[str | None] = mapped_column(Text)
    versions_url: Mapped[str | None] = mapped_column(String(2000))
    version: Mapped[str | None] = mapped_column(String(16))
    endpoints: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    roles: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)  # the roles of its credentials object
    registered_by: Mapped[str | None] = mapped_column(String(8))  # "partner" or "us": who started the handshake
    registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class OcpiLocationDocument(Base):
    """One of our locations as OCPI JSON, encoded once, with slots for what changes live (EVSE status and the
    `last_updated` stamps it moves): a page of a partner's crawl fills the slots instead of building 1,000
    objects. `content_version` is the location's `ocpi_content_version` the document was built from."""

    __tablename__ = "ocpi_location_documents"

    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"), primary_key=True)
    content_version: Mapped[int] = mapped_column(BigInteger)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    # per EVSE in uid order: [its id as the database driver gives it, its connectors' newest last_updated or None
    # when it has no connector (left out of the body, but its stamp still counts for the location's)]
    evses: Mapped[list[list[Any]]] = mapped_column(JSON)
