"""Our certificate authority for chargers: checks the CSRs they send (SignCertificate) and signs them.

The CA certificate and key come from ``VOLTWAY_OCPP_CA_CERT`` / ``VOLTWAY_OCPP_CA_KEY`` (PEM files). A CSR is
signed only when its signature verifies, its key is strong enough (RSA of 2048 bits or more, or ECDSA on P-256 or
P-384, as OCPP's security profiles require), and for a charging station certificate its CN is the charger's
identity (OCPP 2.0.1 A00.FR.507; the 1.6 whitepaper names the serial number the same way) and its O our
organisation when one is configured.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from ocpp_bridge.certificates import common_name, organization

CHARGING_STATION_CERTIFICATE = "ChargingStationCertificate"
V2G_CERTIFICATE = "V2GCertificate"
MIN_RSA_BITS = 2048
ALLOWED_CURVES = ("secp256r1", "secp384r1")
BACKDATE = timedelta(minutes=5)  # chargers' clocks run a little behind


class CsrRefused(Exception):
    """The CSR cannot be signed; the message says why, the reason code is 2.0.1's StatusInfo reasonCode."""

    def __init__(self, message: str, reason_code: str = "InvalidCSR") -> None:
        super().__init__(message)
        self.reason_code = reason_code


class SignedCertificate(msgspec.Struct, frozen=True, kw_only=True):
    serial_number: str  # hex without leading zeroes, as OCPP hash data names it
    subject: str
    not_before: datetime
    not_after: datetime
    certificate_pem: str
    chain_pem: str  # leaf first, then the CA when it is not a self-signed root (chargers hold the root)


def check_csr(
    csr_pem: str, charger_id: str, certificate_type: str, organization_name: str | None = None
) -> x509.CertificateSigningRequest:
    """The parsed CSR when it may be signed for ``charger_id``; CsrRefused otherwise."""
    try:
        csr = x509.load_pem_x509_csr(csr_pem.encode())
    except ValueError as exc:
        raise CsrRefused(f"not a PEM certificate signing request: {exc}") from None
    if not csr.is_signature_valid:
        raise CsrRefused("the CSR's signature does not verify", "InvalidSignature")
    key = csr.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            raise CsrRefused(f"RSA keys need {MIN_RSA_BITS} bits or more, got {key.key_size}", "InvalidKey")
    elif isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.name not in ALLOWED_CURVES:
            raise CsrRefused(f"EC keys must be on {' or '.join(ALLOWED_CURVES)}, got {key.curve.name}", "InvalidKey")
    else:
        raise CsrRefused("OCPP security profiles use RSA or ECDSA keys", "InvalidKey")
    if certificate_type == CHARGING_STATION_CERTIFICATE:
        cn = common_name(csr.subject)
        if cn != charger_id:
            raise CsrRefused(f"the CSR's CN must be the charger's identity {charger_id!r}, got {cn!r}", "InvalidCN")
        if organization_name and organization(csr.subject) != organization_name:
            raise CsrRefused(f"the CSR's O must be {organization_name!r}", "InvalidOrganization")
    return csr


class CertificateAuthority:
    """Signs chargers' CSRs with the configured CA certificate and key."""

    def __init__(self, certificate: x509.Certificate, key: object, validity_days: int = 365) -> None:
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            msg = "the CA key must be an RSA or EC private key"
            raise ValueError(msg)
        self.certificate = certificate
        self.key = key
        self.validity = timedelta(days=validity_days)

    @classmethod
    def from_files(cls, cert_path: str, key_path: str, validity_days: int = 365) -> CertificateAuthority:
        certificate = x509.load_pem_x509_certificate(Path(cert_path).read_bytes())
        key = serialization.load_pem_private_key(Path(key_path).read_bytes(), password=None)
        return cls(certificate, key, validity_days)

    @property
    def is_root(self) -> bool:
        return self.certificate.subject == self.certificate.issuer

    def sign(self, csr: x509.CertificateSigningRequest, now: datetime | None = None) -> SignedCertificate:
        """A certificate for a checked CSR: its subject and key, our CA as issuer, usable as a TLS client and
        server certificate (a charger's certificate serves both in ISO 15118 and OCPP)."""
        now = now or datetime.now(UTC)
        not_before = now - BACKDATE
        not_after = min(now + self.validity, self.certificate.not_valid_after_utc)
        builder = (
            x509.CertificateBuilder()
            .subject_name(csr.subject)
            .issuer_name(self.certificate.subject)
            .public_key(csr.public_key())
            .serial_number(secrets.randbits(127) | 1 << 126)
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=isinstance(csr.public_key(), rsa.RSAPublicKey),
                    data_encipherment=False,
                    key_agreement=isinstance(csr.public_key(), ec.EllipticCurvePublicKey),
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH]),
                critical=False,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(csr.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
        )
        certificate = builder.sign(self.key, hashes.SHA256())
        pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
        chain = pem if self.is_root else pem + self.certificate.public_bytes(serialization.Encoding.PEM).decode()
        return SignedCertificate(
            serial_number=format(certificate.serial_number, "x"),
            subject=certificate.subject.rfc4514_string()[:255],
            not_before=not_before,
            not_after=not_after,
            certificate_pem=pem,
            chain_pem=chain,
        )
