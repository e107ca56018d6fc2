"""Delivery signatures as a receiver checks them, and the retry schedule."""

from __future__ import annotations

import hashlib
import hmac
import time

from api.deliveries.signing import sign, verify_signature
from api.deliveries.worker import retry_delay

SECRET = "receiver-secret-0123456789"
BODY = b'{"number":"T-000042"}'


def headers_for(body: bytes, secret: str = SECRET, at: float | None = None) -> dict[str, str]:
    timestamp = str(int(time.time() if at is None else at))
    return {"X-Voltway-Timestamp": timestamp, "X-Voltway-Signature": sign(secret, timestamp, body)}


def test_the_signature_is_an_hmac_of_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), b"1765000000." + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, "1765000000", BODY) == f"sha256={expected}"


def test_a_receiver_accepts_only_the_body_signed_with_its_secret_recently() -> None:
    assert verify_signature(SECRET, headers_for(BODY), BODY)
    lowered = {name.lower(): value for name, value in headers_for(BODY).items()}
    assert verify_signature(SECRET, lowered, BODY)
    assert not verify_signature(SECRET, headers_for(BODY), BODY.replace(b"42", b"43"))
    assert not verify_signature(SECRET, headers_for(BODY, secret="another-secret-entirely"), BODY)
    assert not verify_signature(SECRET, headers_for(BODY, at=time.time() - 3600), BODY)
    assert not verify_signature(SECRET, {}, BODY)


def test_retries_back_off_exponentially_with_jitter_up_to_the_cap() -> None:
    assert [retry_delay(n, 10, 600, lambda: 1.0) for n in (1, 2, 3, 7, 30)] == [10, 20, 40, 600, 600]
    assert [retry_delay(n, 10, 600, lambda: 0.0) for n in (1, 2, 3)] == [5, 10, 20]
