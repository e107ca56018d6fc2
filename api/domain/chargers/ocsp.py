"""OCSP look-ups for chargers (ISO 15118 certificates): GetCertificateStatus and Authorize with contract certificates.

Chargers name a certificate by its CertID fields and the responder URL; we ask that responder over HTTP (RFC 6960
POST) with a short timeout, and remember each answer until its nextUpdate (at most ``max_age`` seconds) so a busy
site does not ask the responder once per plug-in.
"""

from __future__ import annotations

import itertools
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Literal

import httpx
import msgspec
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID

from ocpp_bridge.certificates import hash_data
from ocpp_bridge.events import ContractCertificateStatus, OcspRequestData

logger = logging.getLogger(__name__)

CertificateState = Literal["good", "revoked", "unknown"]
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "SHA256": hashes.SHA256,
    "SHA384": hashes.SHA384,
    "SHA512": hashes.SHA512,
}
_STATES: dict[ocsp.OCSPCertStatus, CertificateState] = {
    ocsp.OCSPCertStatus.GOOD: "good",
    ocsp.OCSPCertStatus.REVOKED: "revoked",
    ocsp.OCSPCertStatus.UNKNOWN: "unknown",
}


class OcspUnavailable(Exception):
    """The responder could not be asked, or gave no usable answer."""


class OcspAnswer(msgspec.Struct, frozen=True):
    der: bytes  # the whole OCSPResponse, as the responder sent it
    state: CertificateState


def ocsp_request(data: OcspRequestData) -> bytes:
    """The DER OCSPRequest for a certificate named by its CertID fields."""
    algorithm = _HASHES.get(data.hash_algorithm)
    if algorithm is None:
        raise OcspUnavailable(f"unsupported hash algorithm {data.hash_algorithm!r}")
    try:
        request = (
            ocsp.OCSPRequestBuilder()
            .add_certificate_by_hash(
                bytes.fromhex(data.issuer_name_hash),
                bytes.fromhex(data.issuer_key_hash),
                int(data.serial_number, 16),
                algorithm(),
            )
            .build()
        )
    except ValueError as exc:
        raise OcspUnavailable(f"malformed certificate hash data: {exc}") from None
    return request.public_bytes(serialization.Encoding.DER)


class OcspClient:
    """Asks OCSP responders, with a cache keyed by the certificate and the responder."""

    def __init__(
        self,
        *,
        timeout: float = 3.0,
        max_age: float = 300.0,
        max_entries: int = 10_000,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.timeout = timeout
        self.max_age = max_age
        self.max_entries = max_entries
        self._transport = transport
        self._cache: dict[tuple[str, ...], tuple[float, OcspAnswer]] = {}

    async def status(self, data: OcspRequestData) -> OcspAnswer:
        key = (
            data.hash_algorithm,
            data.issuer_name_hash.lower(),
            data.issuer_key_hash.lower(),
            data.serial_number.lower().lstrip("0"),
            data.responder_url,
        )
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        answer, lifetime = await self._ask(data)
        if len(self._cache) >= self.max_entries:
            self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
            if len(self._cache) >= self.max_entries:
                self._cache.clear()
        self._cache[key] = (now + lifetime, answer)
        return answer

    async def _ask(self, data: OcspRequestData) -> tuple[OcspAnswer, float]:
        if not data.responder_url.startswith(("http://", "https://")):
            raise OcspUnavailable(f"the responder URL must be http(s), got {data.responder_url!r}")
        body = ocsp_request(data)
        try:
            async with httpx.AsyncClient(timeout=self.timeout, transport=self._transport) as client:
                reply = await client.post(
                    data.responder_url, content=body, headers={"Content-Type": "application/ocsp-request"}
                )
        except httpx.HTTPError as exc:
            raise OcspUnavailable(f"OCSP responder {data.responder_url} unreachable: {exc}") from None
        if reply.status_code != httpx.codes.OK:
            raise OcspUnavailable(f"OCSP responder answered HTTP {reply.status_code}")
        try:
            response = ocsp.load_der_ocsp_response(reply.content)
        except ValueError as exc:
            raise OcspUnavailable(f"OCSP responder sent no OCSP response: {exc}") from None
        if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
            raise OcspUnavailable(f"OCSP responder refused: {response.response_status.name}")
        check_response(response, data)
        state = _STATES[response.certificate_status]
        lifetime = self.max_age
        if response.next_update_utc is not None:
            lifetime = max(0.0, min(lifetime, response.next_update_utc.timestamp() - time.time()))
        return OcspAnswer(der=reply.content, state=state), lifetime


def check_response(response: ocsp.OCSPResponse, data: OcspRequestData, now: datetime | None = None) -> None:
    """OcspUnavailable unless the response is about the certificate asked for, current, and signed by its issuer
    or by an OCSP signer the issuer named (RFC 6960 4.2.2.2) whose certificate the response carries."""
    algorithm = _HASHES[data.hash_algorithm]()
    same = (
        response.serial_number == int(data.serial_number, 16)
        and response.issuer_name_hash.hex() == data.issuer_name_hash.lower()
        and response.issuer_key_hash.hex() == data.issuer_key_hash.lower()
    )
    if not same:
        raise OcspUnavailable("the OCSP response is about another certificate")
    now = now or datetime.now(UTC)
    if response.this_update_utc > now + CLOCK_SKEW or (
        response.next_update_utc is not None and response.next_update_utc < now - CLOCK_SKEW
    ):
        raise OcspUnavailable("the OCSP response is not current")
    signer = _signer(response)
    if signer is None:
        raise OcspUnavailable("the OCSP response does not carry its signer's certificate")
    try:
        _verify(signer.public_key(), response.signature, response.tbs_response_bytes, response.signature_hash_algorithm)
    except (InvalidSignature, TypeError, ValueError):
        raise OcspUnavailable("the OCSP response's signature does not verify") from None
    if _key_hash(signer, algorithm) == data.issuer_key_hash.lower():
        return  # signed by the issuer itself
    try:
        usages = list(signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    except x509.ExtensionNotFound:
        usages = []
    issuer_name_hash = hashes.Hash(algorithm)
    issuer_name_hash.update(signer.issuer.public_bytes())
    if (
        ExtendedKeyUsageOID.OCSP_SIGNING in usages
        and issuer_name_hash.finalize().hex() == data.issuer_name_hash.lower()
    ):
        return  # a responder the issuer delegated
    raise OcspUnavailable("the OCSP response is signed by neither the issuer nor its OCSP signer")


CLOCK_SKEW = timedelta(minutes=5)


def _signer(response: ocsp.OCSPResponse) -> x509.Certificate | None:
    for certificate in response.certificates:
        if response.responder_name is not None and certificate.subject == response.responder_name:
            return certificate
        by_key = response.responder_key_hash
        if by_key is not None and _key_hash(certificate, hashes.SHA1()) == by_key.hex():  # noqa: S303 - RFC 6960 byKey
            return certificate
    return None


def _key_hash(certificate: x509.Certificate, algorithm: hashes.HashAlgorithm) -> str:
    """The hash of the subjectPublicKey bits, as a CertID's issuerKeyHash (and a ResponderID byKey) take it."""
    request = ocsp.OCSPRequestBuilder().add_certificate(certificate, certificate, algorithm).build()
    return request.issuer_key_hash.hex()


def _verify(key: object, signature: bytes, data: bytes, algorithm: hashes.HashAlgorithm | None) -> None:
    if isinstance(key, ec.EllipticCurvePublicKey) and algorithm is not None:
        key.verify(signature, data, ec.ECDSA(algorithm))
    elif isinstance(key, rsa.RSAPublicKey) and algorithm is not None:
        key.verify(signature, data, padding.PKCS1v15(), algorithm)
    elif isinstance(key, ed25519.Ed25519PublicKey):
        key.verify(signature, data)
    else:
        raise TypeError("unsupported OCSP signature")


class ChainProblem(Exception):
    """A PEM contract certificate chain that cannot be checked; ``status`` is the 2.0.1 certificateStatus."""

    def __init__(self, status: ContractCertificateStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


def request_data_of_chain(pem: str, now: datetime | None = None) -> list[OcspRequestData]:
    """The OCSP request data of every certificate of a PEM chain (leaf first) that names an OCSP responder, each
    with the next certificate as its issuer; ChainProblem when a certificate has expired or the chain is broken."""
    try:
        chain = x509.load_pem_x509_certificates(pem.encode())
    except ValueError:
        raise ChainProblem("CertChainError", "not a PEM certificate chain") from None
    if len(chain) < 2:
        raise ChainProblem("CertChainError", "the chain lacks the issuer of the contract certificate")
    now = now or datetime.now(UTC)
    found = []
    for certificate, issuer in itertools.pairwise(chain):
        if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
            raise ChainProblem("CertificateExpired", f"{certificate.subject.rfc4514_string()} is not valid now")
        try:
            certificate.verify_directly_issued_by(issuer)
        except (ValueError, TypeError, InvalidSignature):
            raise ChainProblem("CertChainError", "a certificate is not signed by the next one") from None
        url = _ocsp_url(certificate)
        if url is None:
            continue
        data = hash_data(certificate, issuer)
        found.append(
            OcspRequestData(
                hash_algorithm=data.hash_algorithm,
                issuer_name_hash=data.issuer_name_hash,
                issuer_key_hash=data.issuer_key_hash,
                serial_number=data.serial_number,
                responder_url=url,
            )
        )
    return found


def _ocsp_url(certificate: x509.Certificate) -> str | None:
    try:
        access = certificate.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        return None
    for description in access:
        if description.access_method == AuthorityInformationAccessOID.OCSP:
            return str(description.access_location.value)
    return None
