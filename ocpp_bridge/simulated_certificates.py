"""What a simulated charger keeps of certificates: the roots the central system installed, its own key and the
certificate signed for it, answered the way a 1.6 (security extension) or 2.0.1 charging station answers."""

from __future__ import annotations

import ssl
import tempfile
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ocpp_bridge.certificates import CertificateHashData, hash_data, load_certificates, make_key_and_csr
from ocpp_bridge.errors import InvalidCommand

# 1.6 names the CSMS root differently; the store keeps 2.0.1 names
_V16_TO_V201 = {"CentralSystemRootCertificate": "CSMSRootCertificate"}


def _hash_json(data: CertificateHashData) -> dict[str, str]:
    return {
        "hashAlgorithm": data.hash_algorithm,
        "issuerNameHash": data.issuer_name_hash,
        "issuerKeyHash": data.issuer_key_hash,
        "serialNumber": data.serial_number,
    }


class SimulatedCertificates:
    """Installed root certificates by type, and the charger's key pair with its signed certificate chain."""

    def __init__(self, charger_id: str, *, v16: bool, organization: str | None = None) -> None:
        self.charger_id = charger_id
        self.v16 = v16
        self.organization = organization
        self.installed: list[tuple[str, x509.Certificate]] = []
        self.pending_key: bytes | None = None  # PEM of the key whose CSR was sent
        self.key_pem: bytes | None = None
        self.certificate_chain: str | None = None  # as received with CertificateSigned

    def new_csr(self) -> str:
        """A fresh key (kept until its certificate arrives) and a CSR for it naming the charger as CN."""
        self.pending_key, csr = make_key_and_csr(self.charger_id, self.organization)
        return csr

    def sign_certificate_request(self) -> dict[str, Any]:
        csr = self.new_csr()
        return {"csr": csr} if self.v16 else {"csr": csr, "certificateType": "ChargingStationCertificate"}

    def install(self, payload: dict[str, Any]) -> dict[str, Any]:
        kind = _V16_TO_V201.get(payload["certificateType"], payload["certificateType"])
        try:
            [certificate, *_] = load_certificates(payload["certificate"])
        except InvalidCommand:
            return {"status": "Rejected"}
        if certificate.subject != certificate.issuer:  # roots only
            return {"status": "Rejected"}
        self.installed = [(k, c) for k, c in self.installed if c != certificate]
        self.installed.append((kind, certificate))
        return {"status": "Accepted"}

    def installed_ids(self, payload: dict[str, Any]) -> dict[str, Any]:
        if self.v16:
            wanted = {_V16_TO_V201.get(payload["certificateType"], payload["certificateType"])}
        else:
            wanted = set(payload.get("certificateType") or ()) or {kind for kind, _ in self.installed}
        found = [(kind, hash_data(c)) for kind, c in self.installed if kind in wanted]
        if not found:
            return {"status": "NotFound"}
        if self.v16:
            return {"status": "Accepted", "certificateHashData": [_hash_json(data) for _, data in found]}
        return {
            "status": "Accepted",
            "certificateHashDataChain": [
                {"certificateType": kind, "certificateHashData": _hash_json(data)} for kind, data in found
            ],
        }

    def delete(self, payload: dict[str, Any]) -> dict[str, Any]:
        given = payload["certificateHashData"]
        target = CertificateHashData(
            hash_algorithm=given["hashAlgorithm"],
            issuer_name_hash=given["issuerNameHash"],
            issuer_key_hash=given["issuerKeyHash"],
            serial_number=given["serialNumber"],
        )
        kept = [
            (kind, c)
            for kind, c in self.installed
            if not hash_data(c, algorithm=target.hash_algorithm).same_certificate(target)
        ]
        if len(kept) == len(self.installed):
            return {"status": "NotFound"}
        self.installed = kept
        return {"status": "Accepted"}

    def certificate_signed(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Accepted when the chain's leaf certifies the key of the CSR sent last."""
        if self.pending_key is None:
            return {"status": "Rejected"}
        try:
            [leaf, *_] = load_certificates(payload["certificateChain"])
        except InvalidCommand:
            return {"status": "Rejected"}
        key = serialization.load_pem_private_key(self.pending_key, password=None)
        public = serialization.PublicFormat.SubjectPublicKeyInfo
        if leaf.public_key().public_bytes(serialization.Encoding.PEM, public) != key.public_key().public_bytes(
            serialization.Encoding.PEM, public
        ):
            return {"status": "Rejected"}
        self.key_pem, self.pending_key = self.pending_key, None
        self.certificate_chain = payload["certificateChain"]
        return {"status": "Accepted"}

    def load_into(self, context: ssl.SSLContext) -> None:
        """Present the signed certificate and its key from now on (``ssl`` reads them from files only)."""
        if self.key_pem is None or self.certificate_chain is None:
            return
        with tempfile.TemporaryDirectory(prefix="voltway-sim-") as folder:
            cert_path, key_path = Path(folder, "cert.pem"), Path(folder, "key.pem")
            cert_path.write_text(self.certificate_chain)
            key_path.touch(mode=0o600)
            key_path.write_bytes(self.key_pem)
            context.load_cert_chain(cert_path, key_path)
