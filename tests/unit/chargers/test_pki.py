"""Our CA signs only CSRs that name the charger with a strong key, and the result chains to it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from api.domain.chargers.pki import CertificateAuthority, CsrRefused, check_csr
from ocpp_bridge.certificates import make_key_and_csr


def make_ca() -> CertificateAuthority:
    key = ec.generate_private_key(ec.SECP384R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Charger CA")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return CertificateAuthority(certificate, key, validity_days=90)


def csr_with(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, common_name: str) -> str:
    from cryptography.hazmat.primitives import serialization

    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM).decode()


def test_a_good_csr_is_signed_for_tls_client_use_and_chains_to_the_ca() -> None:
    ca = make_ca()
    _, csr_pem = make_key_and_csr("CP-1", "Voltway")
    csr = check_csr(csr_pem, "CP-1", "ChargingStationCertificate", "Voltway")
    signed = ca.sign(csr)
    [leaf] = x509.load_pem_x509_certificates(signed.chain_pem.encode())
    leaf.verify_directly_issued_by(ca.certificate)
    assert leaf.subject == csr.subject
    assert leaf.public_key() == csr.public_key()
    assert ExtendedKeyUsageOID.CLIENT_AUTH in leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert signed.serial_number == format(leaf.serial_number, "x")
    assert timedelta(days=89) < leaf.not_valid_after_utc - datetime.now(UTC) <= timedelta(days=90)


@pytest.mark.parametrize(
    ("key", "common_name", "reason"),
    [
        (ec.generate_private_key(ec.SECP256R1()), "CP-OTHER", "InvalidCN"),
        (rsa.generate_private_key(public_exponent=65537, key_size=1024), "CP-1", "InvalidKey"),  # noqa: S505 - the weak key refused
        (ec.generate_private_key(ec.SECP521R1()), "CP-1", "InvalidKey"),
    ],
)
def test_csrs_naming_another_charger_or_with_weak_keys_are_refused(key: object, common_name: str, reason: str) -> None:
    with pytest.raises(CsrRefused) as refused:
        check_csr(csr_with(key, common_name), "CP-1", "ChargingStationCertificate")  # type: ignore[arg-type]
    assert refused.value.reason_code == reason


def test_organisation_and_garbage() -> None:
    _, csr_pem = make_key_and_csr("CP-1", "Someone Else")
    with pytest.raises(CsrRefused):
        check_csr(csr_pem, "CP-1", "ChargingStationCertificate", "Voltway")
    with pytest.raises(CsrRefused):
        check_csr(
            "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n", "CP-1", "V2GCertificate"
        )
    # a V2G certificate's CN is the EVSE's, not the station's identity
    _, v2g = make_key_and_csr("DE*VWY*E1234")
    assert check_csr(v2g, "CP-1", "V2GCertificate")
