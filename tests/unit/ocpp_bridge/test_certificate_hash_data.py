"""OCPP certificate hash data (CertificateHashDataType) computed by the spec's rules, checked independently."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from ocpp_bridge import commands, errors
from ocpp_bridge.certificates import CertificateHashData, hash_data, hash_data_of_pem, make_key_and_csr

NOW = datetime.now(UTC)


def certificate(
    subject: str,
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey,
    serial: int,
    issuer: tuple[str, object] | None = None,
) -> x509.Certificate:
    issuer_name, issuer_key = issuer or (subject, key)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name)]))
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(NOW - timedelta(hours=1))
        .not_valid_after(NOW + timedelta(days=1))
        .sign(issuer_key, hashes.SHA256())  # type: ignore[arg-type]
    )


def test_hash_data_of_an_ec_root_follows_the_ocsp_cert_id_rules() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    root = certificate("Root", key, serial=0x00ABCDEF)
    data = hash_data(root)
    issuer_der = root.issuer.public_bytes()
    point = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    assert data == CertificateHashData(
        hash_algorithm="SHA256",
        issuer_name_hash=hashlib.sha256(issuer_der).hexdigest(),
        issuer_key_hash=hashlib.sha256(point).hexdigest(),  # the subjectPublicKey bits, not the whole SPKI
        serial_number="abcdef",  # hexadecimal without leading zeroes
    )


def test_hash_data_of_a_leaf_names_its_issuer_and_other_algorithms() -> None:
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root = certificate("RSA Root", root_key, serial=7)
    leaf = certificate("CP-1", ec.generate_private_key(ec.SECP256R1()), serial=0x0100, issuer=("RSA Root", root_key))
    rsa_bits = root_key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    data = hash_data(leaf, root, "SHA384")
    assert data.hash_algorithm == "SHA384"
    assert data.issuer_key_hash == hashlib.sha384(rsa_bits).hexdigest()
    assert data.issuer_name_hash == hashlib.sha384(root.subject.public_bytes()).hexdigest()
    assert data.serial_number == "100"
    chain = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (leaf, root))
    assert hash_data_of_pem(chain) == hash_data(leaf, root)


def test_same_certificate_ignores_hex_case_and_leading_zeroes() -> None:
    ours = CertificateHashData(issuer_name_hash="ab", issuer_key_hash="cd", serial_number="abc")
    theirs = CertificateHashData(issuer_name_hash="AB", issuer_key_hash="CD", serial_number="0ABC")
    assert ours.same_certificate(theirs)
    assert not ours.same_certificate(
        CertificateHashData(issuer_name_hash="ab", issuer_key_hash="cd", serial_number="abd")
    )


def test_delete_certificate_sends_the_hash_data_of_a_pem_in_both_versions() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    root = certificate("Root", key, serial=42)
    text = root.public_bytes(serialization.Encoding.PEM).decode()
    request = commands.DeleteCertificate(certificate=text)
    spec = commands.spec_for(request)
    for version in ("1.6", "2.0.1"):
        action, payload = spec.translate(request, version)
        assert action == "DeleteCertificate"
        sent = payload.certificate_hash_data  # type: ignore[attr-defined]
        assert (sent.issuer_name_hash, sent.serial_number) == (hash_data(root).issuer_name_hash, "2a")
    with pytest.raises(errors.InvalidCommand):
        spec.translate(commands.DeleteCertificate(), "2.0.1")
    with pytest.raises(errors.InvalidCommand):
        spec.translate(commands.DeleteCertificate(certificate="not a certificate"), "1.6")


def test_installed_certificate_ids_in_1_6_ask_one_type() -> None:
    spec = commands.COMMANDS["get-installed-certificate-ids"]
    with pytest.raises(errors.InvalidCommand):
        spec.translate(commands.GetInstalledCertificateIds(), "1.6")
    _, payload = spec.translate(commands.GetInstalledCertificateIds(certificate_types=("CSMSRootCertificate",)), "1.6")
    assert payload.certificate_type == "CentralSystemRootCertificate"  # type: ignore[attr-defined]
    _, payload = spec.translate(commands.GetInstalledCertificateIds(), "2.0.1")
    assert payload.certificate_type is msgspec_unset()  # type: ignore[attr-defined]


def msgspec_unset() -> object:
    import msgspec

    return msgspec.UNSET


def test_a_charger_csr_names_its_identity() -> None:
    key_pem, csr_pem = make_key_and_csr("CP-7", "Voltway")
    csr = x509.load_pem_x509_csr(csr_pem.encode())
    assert csr.is_signature_valid
    assert csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "CP-7"
    assert csr.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "Voltway"
    assert b"PRIVATE KEY" in key_pem


def test_certificate_commands_and_results_cross_the_relay_unchanged() -> None:
    data = CertificateHashData(issuer_name_hash="aa", issuer_key_hash="bb", serial_number="1f")
    requests: list[commands.CommandRequest] = [
        commands.InstallCertificate(certificate_type="V2GRootCertificate", certificate="PEM"),
        commands.GetInstalledCertificateIds(certificate_types=("CSMSRootCertificate", "MORootCertificate")),
        commands.DeleteCertificate(hash_data=data),
        commands.CertificateSigned(certificate_chain="PEM", certificate_type="V2GCertificate"),
    ]
    for request in requests:
        assert commands.decode_request(commands.encode_request(request)) == request
    result = commands.InstalledCertificatesResult(
        status="Accepted",
        certificates=(commands.InstalledCertificate(certificate_type="CSMSRootCertificate", hash_data=data),),
    )
    assert commands.decode_result(commands.encode_result(result)) == result
