"""Only an OCSP answer about the certificate asked for, current, and signed by its issuer (or the OCSP signer the
issuer named) decides a contract certificate's status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from api.domain.chargers.ocsp import OcspUnavailable, check_response
from ocpp_bridge.certificates import hash_data
from ocpp_bridge.events import OcspRequestData
from tests.e2e.ocpp_bridge.pki_for_tests import TestCa

NOW = datetime.now(UTC)


def request_data(certificate: x509.Certificate, issuer: x509.Certificate) -> OcspRequestData:
    data = hash_data(certificate, issuer)
    return OcspRequestData(
        hash_algorithm="SHA256",
        issuer_name_hash=data.issuer_name_hash,
        issuer_key_hash=data.issuer_key_hash,
        serial_number=data.serial_number,
        responder_url="http://ocsp.example",
    )


def answer(
    certificate: x509.Certificate,
    issuer: x509.Certificate,
    signer: x509.Certificate,
    signer_key: object,
    *,
    next_update: datetime | None = None,
) -> ocsp.OCSPResponse:
    response = (
        ocsp.OCSPResponseBuilder()
        .add_response(
            cert=certificate,
            issuer=issuer,
            algorithm=hashes.SHA256(),
            cert_status=ocsp.OCSPCertStatus.GOOD,
            this_update=NOW - timedelta(minutes=1),
            next_update=next_update or NOW + timedelta(hours=1),
            revocation_time=None,
            revocation_reason=None,
        )
        .responder_id(ocsp.OCSPResponderEncoding.HASH, signer)
        .certificates([signer])
        .sign(signer_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    return ocsp.load_der_ocsp_response(response.public_bytes(serialization.Encoding.DER))


def test_an_answer_signed_by_the_issuer_is_believed() -> None:
    mo = TestCa("MO")
    leaf, _ = mo.issue("EMAID-1")
    check_response(answer(leaf, mo.certificate, mo.certificate, mo.key), request_data(leaf, mo.certificate))


def test_an_answer_signed_by_a_delegated_ocsp_signer_is_believed() -> None:
    mo = TestCa("MO")
    leaf, _ = mo.issue("EMAID-1")
    delegate, delegate_key = mo.issue("MO OCSP", extended_key_usage=ExtendedKeyUsageOID.OCSP_SIGNING)
    check_response(answer(leaf, mo.certificate, delegate, delegate_key), request_data(leaf, mo.certificate))


def test_forged_stale_or_misdirected_answers_are_not_believed() -> None:
    mo, forger = TestCa("MO"), TestCa("Forger")
    leaf, _ = mo.issue("EMAID-1")
    other, _ = mo.issue("EMAID-2")
    asked = request_data(leaf, mo.certificate)
    with pytest.raises(OcspUnavailable, match="neither the issuer"):
        check_response(answer(leaf, mo.certificate, forger.certificate, forger.key), asked)
    with pytest.raises(OcspUnavailable, match="another certificate"):
        check_response(answer(other, mo.certificate, mo.certificate, mo.key), asked)
    stale = answer(leaf, mo.certificate, mo.certificate, mo.key, next_update=NOW - timedelta(hours=1))
    with pytest.raises(OcspUnavailable, match="not current"):
        check_response(stale, asked)
