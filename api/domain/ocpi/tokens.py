"""OCPI tokens module, receiver interface (we are the CPO): eMSPs push their drivers' tokens to us.

`PUT|PATCH|GET /ocpi/cpo/2.2.1/tokens/{country_code}/{party_id}/{token_uid}[?type=RFID]`. The URL's country code
and party id must be the caller's own: a partner never writes or reads another party's tokens. Tokens are stored in
`ocpi_tokens` and read by the chargers' Authorize (see `roaming_authorisation.py`) and by commands that carry a
Token (START_SESSION, RESERVE_NOW).
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, get, patch, put
from litestar.params import FromPath, QueryParameter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import OcpiToken
from api.db.types import utc_now
from api.deps import DbSession
from api.domain.ocpi.auth import Caller, OcpiCaller
from api.domain.ocpi.envelope import OcpiError, OcpiStatus, ocpi_response
from api.domain.ocpi.lenient import Repairs, decode_lenient
from api.domain.ocpi.schemas import OcpiStruct

logger = logging.getLogger(__name__)

TokenType = Literal["AD_HOC_USER", "APP_USER", "OTHER", "RFID"]
WhitelistType = Literal["ALWAYS", "ALLOWED", "ALLOWED_OFFLINE", "NEVER"]
ProfileType = Literal["CHEAP", "FAST", "GREEN", "REGULAR"]
TOKEN_TYPES: tuple[str, ...] = ("AD_HOC_USER", "APP_USER", "OTHER", "RFID")

CountryCode = Annotated[str, msgspec.Meta(min_length=2, max_length=2)]
PartyId = Annotated[str, msgspec.Meta(min_length=3, max_length=3)]
CiString36 = Annotated[str, msgspec.Meta(min_length=1, max_length=36)]
String64 = Annotated[str, msgspec.Meta(max_length=64)]


class EnergyContract(OcpiStruct, kw_only=True):
    supplier_name: String64
    contract_id: String64 | None = None


class Token(OcpiStruct, kw_only=True):
    """The OCPI 2.2.1 Token object (mod_tokens)."""

    country_code: CountryCode
    party_id: PartyId
    uid: CiString36
    type: TokenType
    contract_id: CiString36
    visual_number: String64 | None = None
    issuer: String64
    group_id: CiString36 | None = None
    valid: bool
    whitelist: WhitelistType
    language: Annotated[str, msgspec.Meta(min_length=2, max_length=2)] | None = None
    default_profile_type: ProfileType | None = None
    energy_contract: EnergyContract | None = None
    last_updated: datetime


class TokenPatch(msgspec.Struct, kw_only=True):
    """A PATCH: only the fields to change, and `last_updated` (required by the spec)."""

    last_updated: datetime
    contract_id: CiString36 | None = None
    visual_number: String64 | None = None
    issuer: String64 | None = None
    group_id: CiString36 | None = None
    valid: bool | None = None
    whitelist: WhitelistType | None = None
    language: Annotated[str, msgspec.Meta(min_length=2, max_length=2)] | None = None
    default_profile_type: ProfileType | None = None
    energy_contract: EnergyContract | None = None


_PATCHABLE = tuple(name for name in TokenPatch.__struct_fields__ if name != "last_updated")
_REQUIRED = ("contract_id", "issuer", "valid", "whitelist")


def _utc(moment: datetime) -> datetime:
    """OCPI DateTimes are UTC; one without a zone is read as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def token_of(record: OcpiToken) -> Token:
    return Token(
        country_code=record.country_code,
        party_id=record.party_id,
        uid=record.uid,
        type=record.type,  # type: ignore[arg-type]
        contract_id=record.contract_id,
        visual_number=record.visual_number,
        issuer=record.issuer,
        group_id=record.group_id,
        valid=record.valid,
        whitelist=record.whitelist,  # type: ignore[arg-type]
        language=record.language,
        default_profile_type=record.default_profile_type,  # type: ignore[arg-type]
        energy_contract=msgspec.convert(record.energy_contract, EnergyContract) if record.energy_contract else None,
        last_updated=record.last_updated,
    )


def cdr_token_of(token: Token | OcpiToken) -> dict[str, str]:
    """The OCPI CdrToken a session and its CDR name the driver by."""
    return {
        "country_code": token.country_code,
        "party_id": token.party_id,
        "uid": token.uid,
        "type": token.type,
        "contract_id": token.contract_id,
    }


def read_token(raw: bytes | Any, *, where: str = "") -> Token:
    """A Token as received (leniently, each repair logged; OCPI 2001 when it cannot be read); codes are
    upper-cased, CiStrings being case-insensitive."""
    repairs = Repairs("Token")
    token = decode_lenient(raw, Token, repairs)
    repairs.log(where=where or "tokens", uid=token.uid)
    return msgspec.structs.replace(
        token,
        country_code=token.country_code.upper(),
        party_id=token.party_id.upper(),
        last_updated=_utc(token.last_updated),
    )


async def find_token(
    session: AsyncSession, country_code: str, party_id: str, uid: str, token_type: str
) -> OcpiToken | None:
    found: OcpiToken | None = (
        await session.execute(
            select(OcpiToken).where(
                OcpiToken.country_code == country_code.upper(),
                OcpiToken.party_id == party_id.upper(),
                OcpiToken.uid == uid,
                OcpiToken.type == token_type,
            )
        )
    ).scalar_one_or_none()
    return found


async def store_token(session: AsyncSession, partner_id: uuid.UUID, token: Token) -> OcpiToken:
    """Insert or replace the token (flushed, not committed): pushed by PUT, or carried by a command."""
    record = await find_token(session, token.country_code, token.party_id, token.uid, token.type)
    if record is None:
        record = OcpiToken(
            id=uuid.uuid4(),
            partner_id=partner_id,
            country_code=token.country_code,
            party_id=token.party_id,
            uid=token.uid,
            type=token.type,
            created_at=utc_now(),
        )
        session.add(record)
    record.partner_id = partner_id
    record.contract_id = token.contract_id
    record.visual_number = token.visual_number
    record.issuer = token.issuer
    record.group_id = token.group_id
    record.valid = token.valid
    record.whitelist = token.whitelist
    record.language = token.language
    record.default_profile_type = token.default_profile_type
    record.energy_contract = msgspec.to_builtins(token.energy_contract) if token.energy_contract else None
    record.last_updated = token.last_updated
    await session.flush()
    return record


def _own_party(caller: OcpiCaller, country_code: str, party_id: str) -> None:
    """The URL names the caller's own party; another party's tokens are not the caller's to see or change."""
    if (country_code.upper(), party_id.upper()) != (caller.country_code.upper(), caller.party_id.upper()):
        raise OcpiError(
            OcpiStatus.INVALID_PARAMETERS,
            f"Tokens of {country_code}/{party_id} are not yours: you are {caller.country_code}/{caller.party_id}.",
            http_status=400,
        )


def _token_type(value: str) -> str:
    token_type = value.strip().upper() or "RFID"
    if token_type not in TOKEN_TYPES:
        raise OcpiError(OcpiStatus.INVALID_PARAMETERS, f"type must be one of {', '.join(TOKEN_TYPES)}", http_status=400)
    return token_type


async def _callers_token(
    session: AsyncSession, caller: OcpiCaller, country_code: str, party_id: str, uid: str, token_type: str
) -> OcpiToken:
    """The caller's own token named by the URL; 404 when we hold none, or only another partner's."""
    _own_party(caller, country_code, party_id)
    record = await find_token(session, country_code, party_id, uid.strip(), _token_type(token_type))
    if record is None or record.partner_id != caller.partner_id:
        raise OcpiError(OcpiStatus.UNKNOWN_TOKEN, f"No token {uid!r} of yours is known here.", http_status=404)
    return record


TypeParam = Annotated[str, QueryParameter(name="type", required=False)]


class TokensController(Controller):
    """The tokens receiver: what an eMSP pushes about its drivers' tokens."""

    path = "/tokens"
    tags = ["OCPI"]

    @get("/{country_code:str}/{party_id:str}/{token_uid:str}")
    async def get_token(
        self,
        db_session: DbSession,
        caller: Caller,
        country_code: FromPath[str],
        party_id: FromPath[str],
        token_uid: FromPath[str],
        token_type: TypeParam = "RFID",
    ) -> Response[Any]:
        """The token as we hold it, so the eMSP can check its push arrived."""
        record = await _callers_token(db_session, caller, country_code, party_id, token_uid, token_type)
        return ocpi_response(msgspec.to_builtins(token_of(record)))

    @put("/{country_code:str}/{party_id:str}/{token_uid:str}", status_code=200)
    async def put_token(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        caller: Caller,
        country_code: FromPath[str],
        party_id: FromPath[str],
        token_uid: FromPath[str],
        token_type: TypeParam = "RFID",
    ) -> Response[Any]:
        """A new or replaced token; the body's country, party, uid and type must be those of the URL."""
        _own_party(caller, country_code, party_id)
        wanted_type = _token_type(token_type)
        token = read_token(await request.body(), where=f"PUT tokens by {caller.country_code}/{caller.party_id}")
        url = (country_code.upper(), party_id.upper(), token_uid.strip(), wanted_type)
        if (token.country_code, token.party_id, token.uid, token.type) != url:
            raise OcpiError(
                OcpiStatus.INVALID_PARAMETERS,
                "The Token's country_code, party_id, uid and type must be those of the URL.",
                http_status=400,
            )
        await store_token(db_session, caller.partner_id, token)
        await db_session.commit()
        return ocpi_response(None)

    @patch("/{country_code:str}/{party_id:str}/{token_uid:str}", status_code=200)
    async def patch_token(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        caller: Caller,
        country_code: FromPath[str],
        party_id: FromPath[str],
        token_uid: FromPath[str],
        token_type: TypeParam = "RFID",
    ) -> Response[Any]:
        """Change some fields of a token we hold (e.g. `valid: false` for a lost card)."""
        _own_party(caller, country_code, party_id)
        body = await request.body()
        repairs = Repairs("Token (PATCH)")
        change = decode_lenient(body, TokenPatch, repairs)
        repairs.log(partner=f"{caller.country_code}/{caller.party_id}", uid=token_uid)
        record = await _callers_token(db_session, caller, country_code, party_id, token_uid, token_type)
        sent = {key.strip() for key in msgspec.json.decode(body)}  # decode_lenient read it: a JSON object
        for name in _PATCHABLE:
            if name in sent:
                value = getattr(change, name)
                if value is None and name in _REQUIRED:
                    raise OcpiError(OcpiStatus.INVALID_PARAMETERS, f"{name} cannot be removed.", http_status=400)
                setattr(record, name, msgspec.to_builtins(value) if isinstance(value, EnergyContract) else value)
        record.last_updated = _utc(change.last_updated)
        await db_session.commit()
        return ocpi_response(None)
