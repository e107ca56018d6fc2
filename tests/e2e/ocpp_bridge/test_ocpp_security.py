"""OCPP security over real sockets: TLS with client certificates (security profile 3), certificate commands on
the simulator of both versions, and the charger-initiated certificate messages reaching the backend."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidHandshake, InvalidStatus

from ocpp_bridge import commands, errors
from ocpp_bridge.certificates import hash_data
from ocpp_bridge.events import (
    CertificateSigningRequested,
    ChargerBooted,
    ContractCertificatesPresented,
    EvCertificateRequested,
)
from ocpp_bridge.server import CentralSystem
from ocpp_bridge.simulator import Simulation, SimulatorConfig
from tests.e2e.ocpp_bridge.backend_for_tests import TEST_PASSWORD, RecordingBackend, running_bridge
from tests.e2e.ocpp_bridge.ocpp_charger_for_tests import ScriptedCharger, basic_auth, charger
from tests.e2e.ocpp_bridge.pki_for_tests import TestCa, pem, write_pair

ORG = "Voltway Test CPO"


class Tls:
    """A server certificate and a client CA, both from one test CA, written to files."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.ca = TestCa()
        self.ca_path, _ = self.ca.write(folder, "ca")
        server, server_key = self.ca.issue("localhost", server=True)
        self.server_cert, self.server_key = write_pair(folder, "server", server, server_key)

    def client(self, common_name: str, organization: str | None = ORG, ca: TestCa | None = None) -> ssl.SSLContext:
        certificate, key = (ca or self.ca).issue(common_name, organization)
        cert_path, key_path = write_pair(self.folder, f"client-{common_name}-{id(certificate)}", certificate, key)
        context = ssl.create_default_context(cafile=str(self.ca_path))
        context.load_cert_chain(cert_path, key_path)
        return context

    def anonymous(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_path))

    def config(self) -> dict[str, Any]:
        return {
            "tls_cert_path": str(self.server_cert),
            "tls_key_path": str(self.server_key),
            "tls_client_ca_path": str(self.ca_path),
            "csms_organization": ORG,
        }


@contextlib.asynccontextmanager
async def tls_connection(
    bridge: CentralSystem, charger_id: str, context: ssl.SSLContext, password: str | None = None
) -> AsyncIterator[ClientConnection]:
    headers = {} if password is None else basic_auth(charger_id, password)
    async with connect(
        f"wss://127.0.0.1:{bridge.port}/ocpp/{charger_id}",
        subprotocols=["ocpp2.0.1"],  # type: ignore[list-item]
        additional_headers=headers,
        ssl=context,
        open_timeout=5,
    ) as websocket:
        yield websocket


async def boot(websocket: ClientConnection) -> dict[str, Any]:
    charger = ScriptedCharger(websocket, "2.0.1")
    try:
        return await charger.call(
            "BootNotification", {"chargingStation": {"model": "M", "vendorName": "V"}, "reason": "PowerUp"}
        )
    finally:
        await charger.close()


async def refused_status(bridge: CentralSystem, charger_id: str, context: ssl.SSLContext, **kw: Any) -> int:
    with pytest.raises(InvalidStatus) as refused:
        async with tls_connection(bridge, charger_id, context, **kw):
            pass
    return refused.value.response.status_code


async def test_security_profile_3_admits_a_charger_by_its_certificate_alone(tmp_path: Path) -> None:
    tls = Tls(tmp_path)
    backend = RecordingBackend({"CP-3": None, "CP-2": TEST_PASSWORD})
    backend.security_profiles = {"CP-3": 3, "CP-2": 2}
    async with running_bridge(backend, **tls.config()) as (bridge, _):
        async with tls_connection(bridge, "CP-3", tls.client("CP-3")) as websocket:
            assert (await boot(websocket))["status"] == "Accepted"
        await backend.wait_for(ChargerBooted, lambda e: e.charger_id == "CP-3")

        # refused: a certificate naming another charger, another organisation, or none at all
        assert await refused_status(bridge, "CP-3", tls.client("CP-9")) == 401
        assert await refused_status(bridge, "CP-3", tls.client("CP-3", organization="Someone Else")) == 401
        assert await refused_status(bridge, "CP-3", tls.anonymous()) == 401
        assert await refused_status(bridge, "CP-3", tls.anonymous(), password="guess") == 401

        # a certificate from a CA we do not trust fails the TLS handshake itself
        with pytest.raises((ssl.SSLError, ConnectionError, InvalidHandshake)):
            async with tls_connection(bridge, "CP-3", tls.client("CP-3", ca=TestCa("Rogue Root"))) as websocket:
                await boot(websocket)

        # a profile 2 charger keeps its password, with or without a certificate
        async with tls_connection(bridge, "CP-2", tls.anonymous(), password=TEST_PASSWORD) as websocket:
            assert (await boot(websocket))["status"] == "Accepted"
        assert await refused_status(bridge, "CP-2", tls.anonymous()) == 401
        assert await refused_status(bridge, "CP-2", tls.client("CP-2")) == 401  # no password: not profile 3


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_simulated_charger_installs_lists_and_deletes_root_certificates(version: str) -> None:
    ca, other = TestCa("CSMS Root"), TestCa("Manufacturer Root")
    async with running_bridge(RecordingBackend(accept_prefix="SIM-", prefix_password="pw")) as (bridge, backend):
        simulation = Simulation(sim_config(bridge, version))
        running = asyncio.create_task(simulation.run())
        try:
            await backend.wait_for(ChargerBooted)
            target = "SIM-00001"
            for root, kind in ((ca, "CSMSRootCertificate"), (other, "ManufacturerRootCertificate")):
                installed = await bridge.send_command(
                    target, commands.InstallCertificate(certificate_type=kind, certificate=pem(root.certificate))
                )
                assert installed == commands.StatusResult(status="Accepted")

            listed = await bridge.send_command(
                target, commands.GetInstalledCertificateIds(certificate_types=("CSMSRootCertificate",))
            )
            assert isinstance(listed, commands.InstalledCertificatesResult)
            assert listed.status == "Accepted"
            assert [c.hash_data for c in listed.certificates] == [hash_data(ca.certificate)]
            if version == "2.0.1":
                assert [c.certificate_type for c in listed.certificates] == ["CSMSRootCertificate"]

            deleted = await bridge.send_command(target, commands.DeleteCertificate(certificate=pem(ca.certificate)))
            assert deleted == commands.StatusResult(status="Accepted")
            again = await bridge.send_command(target, commands.DeleteCertificate(certificate=pem(ca.certificate)))
            assert again == commands.StatusResult(status="NotFound")
            listed = await bridge.send_command(
                target, commands.GetInstalledCertificateIds(certificate_types=("CSMSRootCertificate",))
            )
            assert listed == commands.InstalledCertificatesResult(status="NotFound")
            left = await bridge.send_command(
                target, commands.GetInstalledCertificateIds(certificate_types=("ManufacturerRootCertificate",))
            )
            assert isinstance(left, commands.InstalledCertificatesResult)
            assert [c.hash_data for c in left.certificates] == [hash_data(other.certificate)]
        finally:
            simulation.request_stop()
            await running


def sim_config(bridge: CentralSystem, version: str) -> SimulatorConfig:
    return SimulatorConfig(
        url=f"ws://127.0.0.1:{bridge.port}/ocpp",
        chargers=1,
        ocpp_version=version,  # type: ignore[arg-type]
        password="pw",
        duration=None,
        arrival_rate=0.0,
        fault_rate=0.0,
        disconnect_rate=0.0,
    )


async def test_certificate_commands_validate_against_the_official_schemas() -> None:
    """The scripted charger checks every command with the ocpp library's own schemas."""
    ca = TestCa()
    async with (
        running_bridge() as (bridge, _),
        charger(bridge.port, "CP-16", "1.6") as old,
        charger(bridge.port, "CP-201", "2.0.1") as new,
    ):
        old.answers |= {
            "InstallCertificate": {"status": "Accepted"},
            "DeleteCertificate": {"status": "NotFound"},
            "CertificateSigned": {"status": "Accepted"},
        }
        new.answers |= {
            "InstallCertificate": {"status": "Accepted"},
            "DeleteCertificate": {"status": "Accepted"},
            "CertificateSigned": {"status": "Rejected"},
            "GetInstalledCertificateIds": {"status": "NotFound"},
        }
        install_16 = commands.InstallCertificate(
            certificate_type="CSMSRootCertificate", certificate=pem(ca.certificate)
        )
        assert (await bridge.send_command("CP-16", install_16)).status == "Accepted"  # type: ignore[union-attr]
        assert old.received_commands[-1][1]["certificateType"] == "CentralSystemRootCertificate"
        assert (await bridge.send_command("CP-201", install_16)).status == "Accepted"  # type: ignore[union-attr]
        assert new.received_commands[-1][1]["certificateType"] == "CSMSRootCertificate"
        v2g = commands.InstallCertificate(certificate_type="V2GRootCertificate", certificate=pem(ca.certificate))
        with pytest.raises(errors.InvalidCommand, match=r"1\.6 knows the certificate types"):
            await bridge.send_command("CP-16", v2g)
        delete = commands.DeleteCertificate(certificate=pem(ca.certificate))
        assert (await bridge.send_command("CP-16", delete)).status == "NotFound"  # type: ignore[union-attr]
        sent = old.received_commands[-1][1]["certificateHashData"]
        assert sent["serialNumber"] == format(ca.certificate.serial_number, "x")
        signed = commands.CertificateSigned(certificate_chain=pem(ca.certificate), certificate_type="V2GCertificate")
        assert (await bridge.send_command("CP-201", signed)).status == "Rejected"  # type: ignore[union-attr]
        assert new.received_commands[-1] == (
            "CertificateSigned",
            {"certificateChain": pem(ca.certificate), "certificateType": "V2GCertificate"},
        )
        listed = await bridge.send_command("CP-201", commands.GetInstalledCertificateIds())
        assert listed == commands.InstalledCertificatesResult(status="NotFound")


async def test_charger_certificate_messages_reach_the_backend() -> None:
    async with (
        running_bridge() as (bridge, backend),
        charger(bridge.port, "CP-16", "1.6") as old,
        charger(bridge.port, "CP-201", "2.0.1") as new,
    ):
        assert await old.call("SignCertificate", {"csr": "-----BEGIN CERTIFICATE REQUEST-----"}) == {
            "status": "Accepted"
        }
        [signing] = await backend.wait_for(CertificateSigningRequested, lambda e: e.charger_id == "CP-16")
        assert signing.certificate_type is None
        answer = await new.call("SignCertificate", {"csr": "x", "certificateType": "V2GCertificate"})
        assert answer == {"status": "Accepted"}
        ev = await new.call("Get15118EVCertificate", {"iso15118SchemaVersion": "urn:iso:15118:2:2013:MsgDef",
                                                      "action": "Install", "exiRequest": "AAAA"})  # fmt: skip
        assert ev["status"] == "Failed"
        await backend.wait_for(EvCertificateRequested)
        hashes = {"hashAlgorithm": "SHA256", "issuerNameHash": "aa", "issuerKeyHash": "bb", "serialNumber": "1",
                  "responderURL": "http://ocsp.example"}  # fmt: skip
        status = await new.call("GetCertificateStatus", {"ocspRequestData": hashes})
        assert status["status"] == "Failed"
        backend.contract_status = "CertificateRevoked"
        token = {"idToken": "EMAID-1", "type": "eMAID"}
        refused = await new.call("Authorize", {"idToken": token, "iso15118CertificateHashData": [hashes]})
        assert refused == {"idTokenInfo": {"status": "Invalid"}, "certificateStatus": "CertificateRevoked"}
        backend.contract_status = "Accepted"
        accepted = await new.call("Authorize", {"idToken": token, "iso15118CertificateHashData": [hashes]})
        assert accepted == {"idTokenInfo": {"status": "Accepted"}, "certificateStatus": "Accepted"}
        [presented, *_] = await backend.wait_for(ContractCertificatesPresented)
        assert presented.certificates[0].responder_url == "http://ocsp.example"


def test_hash_data_names_the_certificate_by_its_issuer() -> None:
    ca = TestCa()
    leaf, _ = ca.issue("CP-1")
    assert hash_data(leaf, ca.certificate).issuer_name_hash == hash_data(ca.certificate).issuer_name_hash
    assert hash_data(leaf, ca.certificate).issuer_key_hash == hash_data(ca.certificate).issuer_key_hash
    assert isinstance(leaf, x509.Certificate)


async def test_the_simulator_connects_with_its_client_certificate(tmp_path: Path) -> None:
    tls = Tls(tmp_path)
    certificate, key = tls.ca.issue("SIM-00001", ORG)
    cert_path, key_path = write_pair(tmp_path, "sim", certificate, key)
    backend = RecordingBackend({"SIM-00001": None})
    backend.security_profiles = {"SIM-00001": 3}
    async with running_bridge(backend, **tls.config()) as (bridge, _):
        config = SimulatorConfig(
            url=f"wss://127.0.0.1:{bridge.port}/ocpp",
            chargers=1,
            ocpp_version="2.0.1",
            duration=None,
            arrival_rate=0.0,
            fault_rate=0.0,
            disconnect_rate=0.0,
            tls_ca=str(tls.ca_path),
            tls_client_cert=str(cert_path),
            tls_client_key=str(key_path),
        )
        simulation = Simulation(config)
        running = asyncio.create_task(simulation.run())
        try:
            [booted] = await backend.wait_for(ChargerBooted)
            assert booted.charger_id == "SIM-00001"
        finally:
            simulation.request_stop()
            report = await running
        assert report.connections >= 1
