"""How a delivery is signed, and how a receiver checks it.

The signature is `sha256=<hex HMAC-SHA256>` computed with the target's secret over the bytes
`<X-Voltway-Timestamp>.<body>`: the timestamp (Unix seconds, as sent in its header), one ASCII dot, then the raw
request body exactly as received. Signing the timestamp with the body lets a receiver refuse an old request
replayed later (`verify_signature` allows five minutes either way by default).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from typing import Final

DELIVERY_ID: Final = "X-Voltway-Delivery-Id"
DELIVERY_KIND: Final = "X-Voltway-Delivery-Kind"
TIMESTAMP: Final = "X-Voltway-Timestamp"
SIGNATURE: Final = "X-Voltway-Signature"
DEFAULT_TOLERANCE_SECONDS: Final = 300


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Voltway-Signature value for `body` sent at `timestamp`."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """True when `headers` (any letter case) carry a valid signature of `body` made with `secret`, sent within
    `tolerance_seconds` of `now` (the receiver's clock)."""
    lowered = {name.lower(): value for name, value in headers.items()}
    timestamp = lowered.get(TIMESTAMP.lower(), "")
    signature = lowered.get(SIGNATURE.lower(), "")
    if not timestamp.isdigit() or not signature:
        return False
    moment = time.time() if now is None else now
    if abs(moment - int(timestamp)) > tolerance_seconds:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)
