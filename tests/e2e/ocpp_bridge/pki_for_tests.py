"""A throw-away PKI made in the test: a root CA, server and charger certificates, and a real OCSP responder
(``openssl ocsp``) on a free port that knows which of our certificates are revoked."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import re
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

Key = ec.EllipticCurvePrivateKey


def _name(common_name: str, organization: str | None = None) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    return x509.Name(attributes)


def pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def key_pem(key: Key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


class Planned:
    """Serial and expiry of a certificate to be issued later (once the responder's URL is known)."""

    def __init__(self, common_name: str) -> None:
        self.common_name = common_name
        self.serial = x509.random_serial_number()
        self.not_after = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)


class TestCa:
    """A self-signed root CA that issues certificates."""

    __test__ = False

    def __init__(self, common_name: str = "Voltway Test Root", organization: str | None = "Voltway Test") -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(UTC)
        name = _name(common_name, organization)
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(hours=1))
            .not_valid_after(now + timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )

    def issue(
        self,
        common_name: str,
        organization: str | None = None,
        *,
        server: bool = False,
        planned: Planned | None = None,
        ocsp_url: str | None = None,
        extended_key_usage: x509.ObjectIdentifier | None = None,
    ) -> tuple[x509.Certificate, Key]:
        """A certificate for a new key; ``planned`` fixes its serial and expiry (announced to a responder before),
        ``ocsp_url`` names its OCSP responder (Authority Information Access)."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(UTC)
        planned = planned or Planned(common_name)
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name, organization))
            .issuer_name(self.certificate.subject)
            .public_key(key.public_key())
            .serial_number(planned.serial)
            .not_valid_before(now - timedelta(hours=1))
            .not_valid_after(planned.not_after)
            .add_extension(
                x509.ExtendedKeyUsage(
                    [
                        extended_key_usage
                        or (ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH)
                    ]
                ),
                critical=False,
            )
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
        )
        if ocsp_url is not None:
            builder = builder.add_extension(
                x509.AuthorityInformationAccess(
                    [
                        x509.AccessDescription(
                            AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url)
                        )
                    ]
                ),
                critical=False,
            )
        if server:
            builder = builder.add_extension(
                x509.SubjectAlternativeName(
                    [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
                ),
                critical=False,
            )
        return builder.sign(self.key, hashes.SHA256()), key

    def write(self, folder: Path, name: str) -> tuple[Path, Path]:
        """The CA's certificate and key as PEM files."""
        return write_pair(folder, name, self.certificate, self.key)


def write_pair(folder: Path, name: str, certificate: x509.Certificate, key: Key) -> tuple[Path, Path]:
    cert_path, key_path = folder / f"{name}.pem", folder / f"{name}.key"
    cert_path.write_text(pem(certificate))
    key_path.write_bytes(key_pem(key))
    return cert_path, key_path


needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command (OCSP responder)")


def _index_line(certificate: x509.Certificate | Planned, revoked_at: datetime | None) -> str:
    if isinstance(certificate, Planned):
        not_after, serial_number, subject = certificate.not_after, certificate.serial, f"/CN={certificate.common_name}"
    else:
        not_after, serial_number = certificate.not_valid_after_utc, certificate.serial_number
        subject = "/" + "/".join(attr.rfc4514_string() for attr in certificate.subject)
    expires = not_after.strftime("%y%m%d%H%M%SZ")
    revoked = "" if revoked_at is None else revoked_at.strftime("%y%m%d%H%M%SZ")
    serial = format(serial_number, "X")
    serial = serial if len(serial) % 2 == 0 else "0" + serial
    return "\t".join(("R" if revoked_at else "V", expires, revoked, serial, "unknown", subject)) + "\n"


@contextlib.asynccontextmanager
async def ocsp_responder(
    ca: TestCa,
    folder: Path,
    good: list[x509.Certificate | Planned],
    revoked: list[x509.Certificate | Planned],
) -> AsyncIterator[str]:
    """``openssl ocsp`` answering for ``ca``'s certificates; yields its URL."""
    index = folder / "index.txt"
    index.write_text(
        "".join(_index_line(c, None) for c in good)
        + "".join(_index_line(c, datetime.now(UTC) - timedelta(minutes=5)) for c in revoked)
    )
    cert_path, key_path = ca.write(folder, "ocsp-ca")
    process = await asyncio.create_subprocess_exec(
        "openssl", "ocsp", "-index", str(index), "-port", "0", "-rsigner", str(cert_path), "-rkey", str(key_path),
        "-CA", str(cert_path), "-ignore_err", "-nmin", "5",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        async with asyncio.timeout(10):
            line = (await process.stdout.readline()).decode()
        found = re.search(r"ACCEPT .*:(\d+)", line)
        assert found, f"openssl ocsp did not say where it listens: {line!r}"
        yield f"http://127.0.0.1:{found.group(1)}"
    finally:
        process.terminate()
        try:
            async with asyncio.timeout(10):
                await process.wait()
        except TimeoutError:
            process.kill()
            await process.wait()
