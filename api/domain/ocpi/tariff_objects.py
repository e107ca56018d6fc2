"""Our stored tariffs as OCPI 2.2.1 Tariff objects (mod_tariffs), with alternative texts in every language we
write price text in.

A stored tariff is already OCPI JSON checked by the pricing engine; what it may lack is filled here: the owning
party, `last_updated` (the stored one, in whole seconds), and `tariff_alt_text` (the price text drivers read before
starting, so the text partners show matches what is billed) when the tariff brings none.
"""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from pricing.errors import PricingError
from pricing.price_text import SUPPORTED_LANGUAGES, price_text
from pricing.tariff import DisplayText, Tariff, decode_tariff, encode_tariff

DISPLAY_TEXT_MAX = 512


class StoredTariff(msgspec.Struct, frozen=True):
    country_code: str
    party_id: str
    tariff_id: str
    document: str
    last_updated: datetime


def _whole_seconds(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0)


def alt_texts(tariff: Tariff) -> tuple[DisplayText, ...]:
    """One DisplayText per language we support, from the tariff's elements (prices including VAT)."""
    texts: list[DisplayText] = []
    for language in SUPPORTED_LANGUAGES:
        try:
            text = price_text(tariff, language)
        except PricingError:
            continue
        if text:
            texts.append(DisplayText(language=language, text=text[:DISPLAY_TEXT_MAX]))
    return tuple(texts)


def tariff_object(stored: StoredTariff) -> Tariff:
    """The OCPI Tariff we send for a stored one."""
    tariff = decode_tariff(stored.document)
    return msgspec.structs.replace(
        tariff,
        country_code=stored.country_code,
        party_id=stored.party_id,
        id=stored.tariff_id,
        tariff_alt_text=tariff.tariff_alt_text or alt_texts(tariff),
        start_date_time=_whole_seconds(tariff.start_date_time),
        end_date_time=_whole_seconds(tariff.end_date_time),
        last_updated=_whole_seconds(stored.last_updated),
    )


def tariff_json(stored: StoredTariff) -> msgspec.Raw:
    """The Tariff as OCPI JSON, amounts as JSON numbers (OCPI `number`), ready to embed in a response."""
    return msgspec.Raw(encode_tariff(tariff_object(stored)))
