"""Storing OCPI tariffs and assigning them to connectors; the pricing engine reads them from here."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC

import msgspec
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Connector, Evse, Tariff
from api.db.types import utc_now
from api.domain.stations.store import bump_revision, touch_location
from pricing.errors import PricingInputError
from pricing.tariff import Tariff as OcpiTariff
from pricing.tariff import decode_tariff, encode_tariff


class TariffFileError(ValueError):
    """A tariff file that cannot be read at all."""


class TariffImportReport(msgspec.Struct):
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[str] = msgspec.field(default_factory=list)


def split_tariff_documents(data: bytes, source: str) -> list[bytes]:
    """A file may hold one Tariff, a list of them, or an OCPI response envelope with `data`."""
    try:
        parsed = msgspec.json.decode(data)
    except msgspec.DecodeError as exc:
        raise TariffFileError(f"{source}: not JSON ({exc})") from None
    if isinstance(parsed, dict) and "data" in parsed and "elements" not in parsed:
        parsed = parsed["data"]
    items = parsed if isinstance(parsed, list) else [parsed]
    if not all(isinstance(item, dict) for item in items):
        raise TariffFileError(f"{source}: expected an OCPI Tariff object, a list of them, or an envelope with data")
    return [msgspec.json.encode(item) for item in items]


def parse_tariff(document: bytes, *, country_code: str, party_id: str) -> OcpiTariff:
    """Validate with the pricing engine's model; the party defaults to ours when the document has none."""
    tariff = decode_tariff(document)
    return msgspec.structs.replace(
        tariff,
        country_code=tariff.country_code or country_code,
        party_id=tariff.party_id or party_id,
        last_updated=tariff.last_updated or utc_now(),
    )


class TariffStore:
    """Tariffs by (country_code, party_id, id), each stored as its OCPI JSON."""

    def __init__(self, country_code: str, party_id: str) -> None:
        self.country_code = country_code
        self.party_id = party_id

    async def save(self, session: AsyncSession, tariffs: Iterable[OcpiTariff], report: TariffImportReport) -> int:
        """Create or update; bumps the catalogue revision once when anything changed. Caller commits."""
        revision: int | None = None
        for tariff in tariffs:
            country_code = tariff.country_code or self.country_code
            party_id = tariff.party_id or self.party_id
            document = encode_tariff(tariff).decode()
            existing = (
                await session.execute(
                    select(Tariff).where(
                        Tariff.country_code == country_code, Tariff.party_id == party_id, Tariff.tariff_id == tariff.id
                    )
                )
            ).scalar_one_or_none()
            if existing is not None and existing.document == document:
                report.unchanged += 1
                continue
            if revision is None:
                revision = await bump_revision(session)
            last_updated = (tariff.last_updated or utc_now()).astimezone(UTC)
            if existing is None:
                session.add(
                    Tariff(
                        id=uuid.uuid4(),
                        country_code=country_code,
                        party_id=party_id,
                        tariff_id=tariff.id,
                        currency=tariff.currency,
                        document=document,
                        last_updated=last_updated,
                        revision=revision,
                    )
                )
                report.created += 1
            else:
                existing.document = document
                existing.currency = tariff.currency
                existing.last_updated = last_updated
                existing.revision = revision
                report.updated += 1
        await session.flush()
        return revision or 0

    async def import_documents(self, session: AsyncSession, documents: list[bytes], source: str) -> TariffImportReport:
        report = TariffImportReport()
        parsed: list[OcpiTariff] = []
        for index, document in enumerate(documents):
            try:
                parsed.append(parse_tariff(document, country_code=self.country_code, party_id=self.party_id))
            except PricingInputError as exc:
                report.rejected.append(f"{source}[{index}]: {exc}")
        await self.save(session, parsed, report)
        await session.commit()
        return report

    async def get(self, session: AsyncSession, tariff_id: str) -> Tariff | None:
        return (
            await session.execute(
                select(Tariff).where(
                    Tariff.country_code == self.country_code,
                    Tariff.party_id == self.party_id,
                    Tariff.tariff_id == tariff_id,
                )
            )
        ).scalar_one_or_none()

    async def list_all(self, session: AsyncSession) -> list[Tariff]:
        return list(
            (
                await session.execute(select(Tariff).order_by(Tariff.country_code, Tariff.party_id, Tariff.tariff_id))
            ).scalars()
        )

    async def assign(
        self,
        session: AsyncSession,
        tariff_id: str,
        location_id: uuid.UUID,
        *,
        evse_uid: str | None = None,
        connector_id: str | None = None,
    ) -> int:
        """Point connectors of a location (optionally one EVSE or one connector) at a tariff; returns how many."""
        query = select(Connector.id).join(Evse, Evse.id == Connector.evse_id).where(Evse.location_id == location_id)
        if evse_uid is not None:
            query = query.where(Evse.uid == evse_uid)
        if connector_id is not None:
            query = query.where(Connector.connector_id == connector_id)
        ids = list((await session.execute(query)).scalars())
        if not ids:
            return 0
        now = utc_now()
        revision = await bump_revision(session)
        await session.execute(
            update(Connector).where(Connector.id.in_(ids)).values(tariff_ids=[tariff_id], last_updated=now)
        )
        await session.execute(
            update(Evse)
            .where(Evse.id.in_(select(Connector.evse_id).where(Connector.id.in_(ids))))
            .values(last_updated=now)
        )
        await touch_location(session, location_id, revision, now)
        await session.commit()
        return len(ids)
