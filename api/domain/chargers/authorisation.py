"""The central system's verdicts on id tokens: validity, expiry, groups, and who may stop whose transaction.

A token belongs to at most one group (OCPP 2.0.1 groupIdToken, 1.6 parentIdTag). Every answer about a token in a
group names the group, so a charger can itself let a card of the same group end a transaction it did not start.
Tokens of the 2.0.1 master pass group (AuthCtrlr.MasterPassGroupId) may stop any transaction and start none.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from ocpp_bridge.events import IdTokenInfo

UNAUTHORISED_STOP = "UnauthorisedStop"  # charger_log kind: a transaction ended by a card not entitled to end it


class TokenRecord(msgspec.Struct, frozen=True):
    """What the `id_tokens` table says about one token."""

    status: str
    user_id: uuid.UUID | None
    expires_at: datetime | None = None
    group_id: str | None = None


class TokenVerdict(msgspec.Struct, frozen=True):
    info: IdTokenInfo
    user_id: uuid.UUID | None = None
    group_id: str | None = None


UNKNOWN = TokenVerdict(IdTokenInfo(status="Invalid"))


def verdict(record: TokenRecord | None, now: datetime) -> TokenVerdict:
    """Accepted, Blocked, Expired or Invalid; the expiry goes with it so the charger's cache lets go in time."""
    if record is None:
        return UNKNOWN
    if record.status != "Accepted":
        status = "Expired" if record.status == "Expired" else "Blocked"
    elif record.expires_at is not None and record.expires_at <= now:
        status = "Expired"
    else:
        status = "Accepted"
    info = IdTokenInfo(
        status=status,  # type: ignore[arg-type]
        expiry_date=record.expires_at if status == "Accepted" else None,
        parent_id_token=record.group_id,
    )
    return TokenVerdict(info, record.user_id, record.group_id)


def is_master_pass(group_id: str | None, master_pass_group_id: str) -> bool:
    return bool(master_pass_group_id) and group_id == master_pass_group_id


def start_verdict(token: TokenVerdict, master_pass_group_id: str) -> TokenVerdict:
    """A master pass starts nothing (OCPP 2.0.1 C16.FR.02)."""
    if token.info.status == "Accepted" and is_master_pass(token.group_id, master_pass_group_id):
        return msgspec.structs.replace(token, info=msgspec.structs.replace(token.info, status="Invalid"))
    return token


def stop_verdict(
    stopper_uid: str,
    stopper: TokenVerdict,
    starter_uid: str | None,
    starter_group_id: str | None,
    master_pass_group_id: str,
) -> TokenVerdict:
    """May `stopper` end the transaction `starter_uid` started? The starter itself, a card of the starter's group
    and a master pass may; any other valid card is answered Invalid (the transaction is not its to end)."""
    if stopper.info.status != "Accepted" or starter_uid is None or stopper_uid == starter_uid:
        return stopper
    if is_master_pass(stopper.group_id, master_pass_group_id):
        return stopper
    if starter_group_id is not None and stopper.group_id == starter_group_id:
        return stopper
    return msgspec.structs.replace(stopper, info=msgspec.structs.replace(stopper.info, status="Invalid"))
