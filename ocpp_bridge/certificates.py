"""Certificate identities as OCPP names them (CertificateHashDataType), and the charger-side key and CSR making.

OCPP identifies an installed certificate by the fields of an OCSP CertID (RFC 6960): a hash of the DER issuer
name, a hash of the issuer's public key (the subjectPublicKey bit string), and the serial number as hexadecimal
without leading zeroes. Both the central system (to delete what it installed) and the simulated charger (to list
what it holds) compute them here, so the two always agree.
"""

from __future__ import annotations

from typing import Literal

import msgspec
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from cryptography.x509.oid import NameOID

from ocpp_bridge.errors import InvalidCommand

HashAlgorithm = Literal["SHA256", "SHA384", "SHA512"]
_ALGORITHMS: dict[str, type[hashes.HashAlgorithm]] = {
    "SHA256": hashes.SHA256,
    "SHA384": hashes.SHA384,
    "SHA512": hashes.SHA512,
}


class CertificateHashData(msgspec.Struct, frozen=True, kw_only=True):
    """One certificate as OCPP identifies it (1.6 security extension and 2.0.1 CertificateHashDataType)."""

    hash_algorithm: HashAlgorithm = "SHA256"
    issuer_name_hash: str
    issuer_key_hash: str
    serial_number: str

    def same_certificate(self, other: CertificateHashData) -> bool:
        """Hex case and leading zeroes of the serial number differ between implementations."""
        return (
            self.hash_algorithm == other.hash_algorithm
            and self.issuer_name_hash.lower() == other.issuer_name_hash.lower()
            and self.issuer_key_hash.lower() == other.issuer_key_hash.lower()
            and self.serial_number.lower().lstrip("0") == other.serial_number.lower().lstrip("0")
        )


def load_certificates(pem: str | bytes) -> list[x509.Certificate]:
    """Every certificate of a PEM text (a chain or a single one); InvalidCommand when there is none."""
    data = pem.encode() if isinstance(pem, str) else pem
    try:
        found = x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        msg = f"not a PEM certificate: {exc}"
        raise InvalidCommand(msg) from None
    return found


def hash_data(
    certificate: x509.Certificate, issuer: x509.Certificate | None = None, algorithm: HashAlgorithm = "SHA256"
) -> CertificateHashData:
    """The hash data of ``certificate``; ``issuer`` defaults to the certificate itself (a self-signed root)."""
    request = (
        ocsp.OCSPRequestBuilder().add_certificate(certificate, issuer or certificate, _ALGORITHMS[algorithm]()).build()
    )
    return CertificateHashData(
        hash_algorithm=algorithm,
        issuer_name_hash=request.issuer_name_hash.hex(),
        issuer_key_hash=request.issuer_key_hash.hex(),
        serial_number=format(certificate.serial_number, "x"),
    )


def hash_data_of_pem(pem: str | bytes, algorithm: HashAlgorithm = "SHA256") -> CertificateHashData:
    """The hash data of the first certificate of a PEM chain, its issuer being the next one (or itself)."""
    chain = load_certificates(pem)
    return hash_data(chain[0], chain[1] if len(chain) > 1 else None, algorithm)


def common_name(name: x509.Name) -> str | None:
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else None


def organization(name: x509.Name) -> str | None:
    values = name.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    return str(values[0].value) if values else None


def make_key_and_csr(identity: str, organization_name: str | None = None) -> tuple[bytes, str]:
    """A new P-256 key (PEM) and a CSR for it naming ``identity`` as CN, as a charging station makes them."""
    key = ec.generate_private_key(ec.SECP256R1())
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, identity)]
    if organization_name:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization_name))
    csr = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(attributes)).sign(key, hashes.SHA256())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return key_pem, csr.public_bytes(serialization.Encoding.PEM).decode()
