"""Site-host agreements: listed for the sites an operator sees, written by admins only.

An agreement is checked as a whole whenever it is written: a percentage between 0 and 100, an amount per kWh with
its currency, `validTo` not before `validFrom`, and no overlap with another agreement of the same location (a
location has one host at a time, so a session is never shared twice).
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import HostAgreement, Location
from api.db.types import utc_now
from api.domain.operations.money.schemas import HostAgreementInput, HostAgreementPatch, HostAgreementView
from api.domain.operations.scope import SiteScope
from api.errors import Conflict, FieldError, InvalidInput, NotFound

MAX_PER_KWH = Decimal(100)


def decimal_text(value: Decimal) -> str:
    """'12.5' for 12.50, '10' for 10 (never '1E+1')."""
    return format(value.normalize(), "f")


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput([FieldError(field=field, message=message)])


def view_of(row: HostAgreement, location_name: str | None) -> HostAgreementView:
    return HostAgreementView(
        id=row.id,
        location_id=row.location_id,
        location_name=location_name,
        host_name=row.host_name,
        contact=row.contact,
        basis="percent" if row.basis == "percent" else "per_kwh",
        rate=Decimal(row.rate),
        currency=row.currency,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )


async def list_agreements(db: AsyncSession, scope: SiteScope, host: str | None = None) -> list[HostAgreementView]:
    """The agreements of the sites in `scope` (of one host when named), by host, location and start."""
    statement = (
        select(HostAgreement, Location.name)
        .join(Location, Location.id == HostAgreement.location_id)
        .where(scope.where(HostAgreement.location_id))
        .order_by(HostAgreement.host_name, Location.name, HostAgreement.valid_from)
    )
    rows = (await db.execute(statement)).all()
    wanted = host.strip().casefold() if host else None
    return [view_of(row, name) for row, name in rows if wanted is None or row.host_name.casefold() == wanted]


def _check_terms(basis: str, rate: Decimal, currency: str | None, valid_from: date, valid_to: date | None) -> None:
    if not rate.is_finite() or rate <= 0:
        raise _invalid("rate", "must be a positive decimal number")
    if basis == "percent":
        if rate > 100:
            raise _invalid("rate", "a percentage of net revenue is at most 100")
        if currency is not None:
            raise _invalid("currency", "a percentage is paid in the currency the sessions were billed in: leave it out")
    else:
        if currency is None:
            raise _invalid("currency", "an amount per kWh needs its currency, e.g. EUR")
        if rate > MAX_PER_KWH:
            raise _invalid("rate", "an amount per kWh is at most 100")
    if valid_to is not None and valid_to < valid_from:
        raise _invalid("validTo", "must be on or after `validFrom`")


async def _check_overlap(
    db: AsyncSession, location_id: uuid.UUID, valid_from: date, valid_to: date | None, itself: uuid.UUID | None
) -> None:
    """No two agreements of a location cover the same day."""
    others = (
        await db.execute(
            select(HostAgreement).where(HostAgreement.location_id == location_id, HostAgreement.id != itself)
            if itself is not None
            else select(HostAgreement).where(HostAgreement.location_id == location_id)
        )
    ).scalars()
    for other in others:
        other_ends_before = other.valid_to is not None and other.valid_to < valid_from
        starts_after = valid_to is not None and valid_to < other.valid_from
        if not (other_ends_before or starts_after):
            until = other.valid_to.isoformat() if other.valid_to else "open-ended"
            raise Conflict(
                f"This location already has an agreement with {other.host_name} from "
                f"{other.valid_from.isoformat()} to {until}; end that one first (agreements of a location never "
                "overlap)."
            )


async def create_agreement(db: AsyncSession, data: HostAgreementInput, actor_name: str) -> HostAgreementView:
    location = await db.get(Location, data.location_id)
    if location is None:
        raise _invalid("locationId", "no such location")
    currency = data.currency
    _check_terms(data.basis, data.rate, currency, data.valid_from, data.valid_to)
    await _check_overlap(db, data.location_id, data.valid_from, data.valid_to, None)
    now = utc_now()
    row = HostAgreement(
        location_id=data.location_id,
        host_name=data.host_name.strip(),
        contact=data.contact.strip(),
        basis=data.basis,
        rate=decimal_text(data.rate),
        currency=currency,
        valid_from=data.valid_from,
        valid_to=data.valid_to,
        updated_by=actor_name[:200],
        created_at=now,
        updated_at=now,
    )
    db.add(row)
    await db.commit()
    return view_of(row, location.name)


async def update_agreement(
    db: AsyncSession, agreement_id: uuid.UUID, patch: HostAgreementPatch, actor_name: str
) -> HostAgreementView:
    row = await db.get(HostAgreement, agreement_id)
    if row is None:
        raise NotFound("No such host agreement.")
    changes = {name: value for name, value in msgspec.structs.asdict(patch).items() if value is not msgspec.UNSET}
    basis = changes.get("basis", row.basis)
    rate = changes.get("rate", Decimal(row.rate))
    currency = changes.get("currency", row.currency)
    if "basis" in changes and basis == "percent" and "currency" not in changes:
        currency = None  # switching to a percentage drops the per-kWh currency
    valid_from = changes.get("valid_from", row.valid_from)
    valid_to = changes.get("valid_to", row.valid_to)
    _check_terms(basis, rate, currency, valid_from, valid_to)
    await _check_overlap(db, row.location_id, valid_from, valid_to, row.id)
    if "host_name" in changes:
        row.host_name = changes["host_name"].strip()
    if "contact" in changes:
        row.contact = changes["contact"].strip()
    row.basis = basis
    row.rate = decimal_text(Decimal(rate))
    row.currency = currency
    row.valid_from = valid_from
    row.valid_to = valid_to
    row.updated_by = actor_name[:200]
    row.updated_at = utc_now()
    await db.commit()
    location = await db.get(Location, row.location_id)
    return view_of(row, location.name if location else None)
