"""The certificate commands of the registry (1.6 security extension, 2.0.1 blocks A and M): their requests and
results, and how each is phrased in either OCPP version. `commands.COMMANDS` lists them."""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET

from ocpp_bridge.certificates import CertificateHashData, hash_data_of_pem, load_certificates
from ocpp_bridge.errors import InvalidCommand
from ocpp_bridge.v16 import messages as v16
from ocpp_bridge.v201 import messages as v201


class _Request(msgspec.Struct, frozen=True, kw_only=True, tag_field="command"):
    """Tagged like every request of `commands.CommandRequest`, so they share its union."""


class _Result(msgspec.Struct, frozen=True, kw_only=True, tag_field="result"):
    """Tagged like every result of `commands.CommandResult`."""


class InstallCertificate(_Request, frozen=True, kw_only=True, tag="install-certificate"):
    """Install a root certificate (PEM): CSMSRootCertificate (1.6 CentralSystemRootCertificate),
    ManufacturerRootCertificate, and in 2.0.1 V2GRootCertificate or MORootCertificate."""

    certificate_type: str
    certificate: str


class GetInstalledCertificateIds(_Request, frozen=True, kw_only=True, tag="get-installed-certificate-ids"):
    """List the charger's installed certificates of the given types (1.6: exactly one type; 2.0.1: none = all)."""

    certificate_types: tuple[str, ...] = ()


class DeleteCertificate(_Request, frozen=True, kw_only=True, tag="delete-certificate"):
    """Delete an installed certificate, named by its PEM (hash data computed here) or by its hash data."""

    certificate: str | None = None
    hash_data: CertificateHashData | None = None


class CertificateSigned(_Request, frozen=True, kw_only=True, tag="certificate-signed"):
    """Send a signed certificate chain (PEM, leaf first); ``certificate_type`` is 2.0.1's."""

    certificate_chain: str
    certificate_type: str | None = None


class InstalledCertificate(msgspec.Struct, frozen=True, kw_only=True):
    """``certificate_type`` is None in 1.6, whose answer does not repeat the type asked for."""

    certificate_type: str | None
    hash_data: CertificateHashData
    child_certificates: tuple[CertificateHashData, ...] = ()


class InstalledCertificatesResult(_Result, frozen=True, kw_only=True, tag="installed-certificates"):
    status: str
    certificates: tuple[InstalledCertificate, ...] = ()
    reason: str | None = None


def _opt(value: Any) -> Any:
    return UNSET if value is None else value


def _unset_to_none(value: Any) -> Any:
    return None if value is UNSET else value


def _reason(status_info: v201.StatusInfoType | msgspec.UnsetType) -> str | None:
    return None if isinstance(status_info, msgspec.UnsetType) else status_info.reason_code


def certificate_signed_v16(req: CertificateSigned) -> tuple[str, msgspec.Struct]:
    return "CertificateSigned", v16.CertificateSignedRequest(certificate_chain=req.certificate_chain)


# 1.6 calls the CSMS root "CentralSystemRootCertificate", 2.0.1 "CSMSRootCertificate"
_V16_CERTIFICATE_TYPES = {
    "CSMSRootCertificate": "CentralSystemRootCertificate",
    "CentralSystemRootCertificate": "CentralSystemRootCertificate",
    "ManufacturerRootCertificate": "ManufacturerRootCertificate",
}
_V201_CERTIFICATE_TYPES = {"CentralSystemRootCertificate": "CSMSRootCertificate"}


def _certificate_type_v16(name: str) -> Any:
    if name not in _V16_CERTIFICATE_TYPES:
        msg = f"OCPP 1.6 knows the certificate types {sorted(set(_V16_CERTIFICATE_TYPES.values()))}, not {name!r}"
        raise InvalidCommand(msg)
    return _V16_CERTIFICATE_TYPES[name]


def _certificate_type_v201(name: str) -> Any:
    return _V201_CERTIFICATE_TYPES.get(name, name)


def _check_pem(pem: str) -> str:
    load_certificates(pem)  # raises InvalidCommand
    return pem


def install_v16(req: InstallCertificate) -> tuple[str, msgspec.Struct]:
    return "InstallCertificate", v16.InstallCertificateRequest(
        certificate_type=_certificate_type_v16(req.certificate_type), certificate=_check_pem(req.certificate)
    )


def install_v201(req: InstallCertificate) -> tuple[str, msgspec.Struct]:
    return "InstallCertificate", v201.InstallCertificateRequest(
        certificate_type=_certificate_type_v201(req.certificate_type), certificate=_check_pem(req.certificate)
    )


def installed_ids_v16(req: GetInstalledCertificateIds) -> tuple[str, msgspec.Struct]:
    if len(req.certificate_types) != 1:
        msg = "OCPP 1.6 lists one certificate type at a time: give exactly one in certificateTypes"
        raise InvalidCommand(msg)
    return "GetInstalledCertificateIds", v16.GetInstalledCertificateIdsRequest(
        certificate_type=_certificate_type_v16(req.certificate_types[0])
    )


def installed_ids_v201(req: GetInstalledCertificateIds) -> tuple[str, msgspec.Struct]:
    types = [_certificate_type_v201(name) for name in req.certificate_types]
    return "GetInstalledCertificateIds", v201.GetInstalledCertificateIdsRequest(certificate_type=types or UNSET)


def _hash_data(data: Any) -> CertificateHashData:
    return CertificateHashData(
        hash_algorithm=data.hash_algorithm,
        issuer_name_hash=data.issuer_name_hash,
        issuer_key_hash=data.issuer_key_hash,
        serial_number=data.serial_number,
    )


def installed_ids_result_v16(resp: v16.GetInstalledCertificateIdsResponse) -> InstalledCertificatesResult:
    return InstalledCertificatesResult(
        status=resp.status,
        certificates=tuple(
            InstalledCertificate(certificate_type=None, hash_data=_hash_data(item))
            for item in _unset_to_none(resp.certificate_hash_data) or ()
        ),
    )


def installed_ids_result_v201(resp: v201.GetInstalledCertificateIdsResponse) -> InstalledCertificatesResult:
    return InstalledCertificatesResult(
        status=resp.status,
        reason=_reason(resp.status_info),
        certificates=tuple(
            InstalledCertificate(
                certificate_type=item.certificate_type,
                hash_data=_hash_data(item.certificate_hash_data),
                child_certificates=tuple(_hash_data(c) for c in _unset_to_none(item.child_certificate_hash_data) or ()),
            )
            for item in _unset_to_none(resp.certificate_hash_data_chain) or ()
        ),
    )


def _hash_data_to_delete(req: DeleteCertificate) -> CertificateHashData:
    if (req.certificate is None) == (req.hash_data is None):
        msg = "name the certificate to delete by either its PEM (certificate) or its hashData"
        raise InvalidCommand(msg)
    return req.hash_data if req.hash_data is not None else hash_data_of_pem(req.certificate or "")


def delete_v16(req: DeleteCertificate) -> tuple[str, msgspec.Struct]:
    data = _hash_data_to_delete(req)
    return "DeleteCertificate", v16.DeleteCertificateRequest(
        certificate_hash_data=v16.CertificateHashDataType(
            hash_algorithm=data.hash_algorithm,
            issuer_name_hash=data.issuer_name_hash,
            issuer_key_hash=data.issuer_key_hash,
            serial_number=data.serial_number,
        )
    )


def delete_v201(req: DeleteCertificate) -> tuple[str, msgspec.Struct]:
    data = _hash_data_to_delete(req)
    return "DeleteCertificate", v201.DeleteCertificateRequest(
        certificate_hash_data=v201.CertificateHashDataType(
            hash_algorithm=data.hash_algorithm,
            issuer_name_hash=data.issuer_name_hash,
            issuer_key_hash=data.issuer_key_hash,
            serial_number=data.serial_number,
        )
    )


def certificate_signed_v201(req: CertificateSigned) -> tuple[str, msgspec.Struct]:
    return "CertificateSigned", v201.CertificateSignedRequest(
        certificate_chain=req.certificate_chain,
        certificate_type=_opt(req.certificate_type),
    )
