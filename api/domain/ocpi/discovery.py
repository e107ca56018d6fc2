"""Finding a partner's modules: its versions list, the 2.2.1 version details, the endpoints in it.

Used in both handshake directions. Failures are the spec's handshake errors: 3001 when the partner's API cannot be
used, 3002 when it does not offer 2.2.1, 3003 when it lists no endpoints.
"""

from __future__ import annotations

import logging

import msgspec

from api.domain.ocpi.client import OcpiClient, OcpiReply, OcpiUnreachable
from api.domain.ocpi.envelope import OcpiError, OcpiStatus
from api.domain.ocpi.lenient import Repairs, decode_lenient
from api.domain.ocpi.schemas import OCPI_VERSION, Endpoint, Version, VersionDetails

logger = logging.getLogger(__name__)


class Discovery(msgspec.Struct, frozen=True):
    version: str
    details_url: str
    endpoints: list[Endpoint]

    def endpoint(self, identifier: str, role: str | None = None) -> str | None:
        for endpoint in self.endpoints:
            if endpoint.identifier == identifier and (role is None or endpoint.role == role):
                return endpoint.url
        return None


async def _get(client: OcpiClient, url: str, token: str, what: str) -> OcpiReply:
    try:
        reply = await client.request("GET", url, token=token)
    except OcpiUnreachable as exc:
        raise OcpiError(OcpiStatus.UNABLE_TO_USE_CLIENT_API, f"could not reach {what} at {url}: {exc}") from None
    if not reply.ok:
        raise OcpiError(OcpiStatus.UNABLE_TO_USE_CLIENT_API, f"{what} at {url} answered {reply.describe()}")
    return reply


async def discover(client: OcpiClient, versions_url: str, token: str) -> Discovery:
    """The partner's 2.2.1 endpoints, read with `token` from its versions URL (or straight from a details URL)."""
    reply = await _get(client, versions_url, token, "the versions endpoint")
    if isinstance(reply.data, dict) and "endpoints" in reply.data:
        repairs = Repairs("version details")
        details = decode_lenient(reply.data, VersionDetails, repairs)
        repairs.log(url=versions_url)
        details_url = versions_url
    else:
        repairs = Repairs("versions")
        versions = decode_lenient(reply.data if reply.data is not None else [], list[Version], repairs)
        repairs.log(url=versions_url)
        chosen = next((v for v in versions if v.version == OCPI_VERSION), None)
        if chosen is None:
            offered = ", ".join(v.version for v in versions) or "none"
            raise OcpiError(
                OcpiStatus.UNSUPPORTED_VERSION,
                f"no common OCPI version: {versions_url} offers {offered}; we speak 2.2.1",
            )
        details_url = chosen.url
        reply = await _get(client, details_url, token, "the version details")
        repairs = Repairs("version details")
        details = decode_lenient(reply.data, VersionDetails, repairs)
        repairs.log(url=details_url)
    if details.version != OCPI_VERSION:
        raise OcpiError(OcpiStatus.UNSUPPORTED_VERSION, f"{details_url} describes version {details.version}, not 2.2.1")
    if not details.endpoints:
        raise OcpiError(OcpiStatus.NO_MATCHING_ENDPOINTS, f"{details_url} lists no endpoints")
    return Discovery(version=details.version, details_url=details_url, endpoints=details.endpoints)
