"""Links that open the printable revenue-share statements in a browser tab, where no bearer token is sent.

Like the receipts' print links: nothing is stored. The link carries who asked (the staff member's user id), when it
expires and an HMAC of both and of the period and host under the service's secret key; opening it shows what that
person may see at that moment (their sites now, and only while their account is still staff).
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import date, datetime, timedelta
from typing import Final
from urllib.parse import urlencode

from api.errors import NotFound

PRINT_LINK_MINUTES: Final = 10
PRINT_PATH: Final = "/v1/revenue-share/print"


def _signature(secret_key: str, user_id: uuid.UUID, first: date, last: date, host: str, expires: int) -> str:
    key = hashlib.sha256(b"voltway-revenue-share-link:" + secret_key.encode()).digest()
    message = f"{user_id}:{first.isoformat()}:{last.isoformat()}:{host}:{expires}"
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def print_url(secret_key: str, user_id: uuid.UUID, first: date, last: date, host: str | None, now: datetime) -> str:
    """The printable statements of this period (and host), for this user, for `PRINT_LINK_MINUTES` minutes."""
    expires = int((now + timedelta(minutes=PRINT_LINK_MINUTES)).timestamp())
    host_text = host.strip() if host else ""
    token = f"{user_id}.{expires}.{_signature(secret_key, user_id, first, last, host_text, expires)}"
    query = {"from": first.isoformat(), "to": last.isoformat(), "token": token}
    if host_text:
        query["host"] = host_text
    return f"{PRINT_PATH}?{urlencode(query)}"


def check_print_token(
    secret_key: str, token: str, first: date, last: date, host: str | None, now: datetime
) -> uuid.UUID:
    """The user the link was made for; NotFound unless it was made by `print_url` for this query and is current."""
    invalid = NotFound("No such statement, or the link is not valid.")
    user_text, _, rest = token.partition(".")
    moment_text, _, signature = rest.partition(".")
    if not moment_text.isdigit() or len(moment_text) > 12:
        raise invalid
    try:
        user_id = uuid.UUID(user_text)
    except ValueError:
        raise invalid from None
    expected = _signature(secret_key, user_id, first, last, host.strip() if host else "", int(moment_text))
    if not hmac.compare_digest(signature, expected):
        raise invalid
    if int(moment_text) < now.timestamp():
        raise NotFound("This print link has expired: open the statements from the console again.")
    return user_id
