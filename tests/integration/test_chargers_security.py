"""OCPP security on the database backend (SQLite and PostgreSQL) over real websockets: CSRs signed by our CA and
delivered with CertificateSigned, OCSP look-ups against a real responder, security events stored and shown, and
security profiles set by operators."""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.x509 import ocsp
from cryptography.x509.oid import NameOID

from api.db.engine import create_engine, create_session_factory
from api.domain.chargers.backend import CsmsService
from api.domain.chargers.certificates import list_issued_certificates, set_security_profile
from api.domain.chargers.meter_writer import MeterSampleWriter
from api.domain.chargers.pki import CertificateAuthority
from api.domain.chargers.provisioning import add_charger, add_token
from api.domain.chargers.security_events import list_security_events
from api.domain.drivers.commands import add_user
from ocpp_bridge import commands
from ocpp_bridge.certificates import hash_data, make_key_and_csr
from ocpp_bridge.config import BridgeConfig
from ocpp_bridge.server import CentralSystem
from ocpp_bridge.simulator import Simulation, SimulatorConfig
from tests.e2e.ocpp_bridge.ocpp_charger_for_tests import charger
from tests.e2e.ocpp_bridge.pki_for_tests import Planned, TestCa, needs_openssl, ocsp_responder, pem, write_pair
from tests.integration.conftest import ClientFactory
from tests.integration.test_sessions import served_app
from tests.support import database_session, make_settings, wait_for

CHARGER = "SIM-00001"
SECRET = "a-long-charger-secret"
PASSWORD = "correct horse battery"


class Site:
    def __init__(self, central: CentralSystem, csms: CsmsService, ca: TestCa, database_url: str) -> None:
        self.central = central
        self.csms = csms
        self.ca = ca
        self.database_url = database_url

    async def station_id(self) -> Any:
        ref = await self.csms.directory.require(CHARGER)
        return ref.station_id


@pytest.fixture
async def site(database_url: str) -> AsyncIterator[Site]:
    engine = create_engine(database_url)
    factory = create_session_factory(engine)
    async with factory() as session:
        await add_charger(session, ocpp_id=CHARGER, password=SECRET, country_code="NL", party_id="VWY", evses=1)
        await add_token(session, "EMAID-GOOD", driver_email=None, token_type="eMAID")
        await session.commit()
    ca = TestCa("Voltway Charger CA")
    csms = CsmsService(factory, heartbeat_interval=120, meter_writer=MeterSampleWriter(factory, flush_seconds=60))
    csms.security.authority = CertificateAuthority(ca.certificate, ca.key, validity_days=30)
    await csms.start()
    central = CentralSystem(csms, BridgeConfig(host="127.0.0.1", port=0, ping_interval=None, command_timeout=5.0))
    csms.security.send_command = central.send_command
    try:
        async with central:
            yield Site(central, csms, ca, database_url)
    finally:
        await csms.stop()
        await engine.dispose()


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_the_simulator_gets_a_certificate_signed_by_our_ca(site: Site, version: str) -> None:
    simulation = Simulation(
        SimulatorConfig(
            url=f"ws://127.0.0.1:{site.central.port}/ocpp",
            chargers=1,
            ocpp_version=version,  # type: ignore[arg-type]
            password=SECRET,
            duration=None,
            arrival_rate=0.0,
            fault_rate=0.0,
            disconnect_rate=0.0,
        )
    )
    running = asyncio.create_task(simulation.run())
    [simulated] = simulation.chargers
    try:
        await wait_for(lambda: _true(simulated.booted), "the simulated charger's boot")
        if version == "2.0.1":
            triggered = await site.central.send_command(
                CHARGER, commands.TriggerMessage(message="SignChargingStationCertificate")
            )
            assert triggered == commands.StatusResult(status="Accepted")
        else:  # the 1.6 security extension asks with ExtendedTriggerMessage
            triggered = await site.central.send_command(
                CHARGER, commands.ExtendedTriggerMessage(message="SignChargePointCertificate")
            )
            assert triggered == commands.StatusResult(status="Accepted")
        chain = await wait_for(lambda: _true(simulated.certificates.certificate_chain), "CertificateSigned")
    finally:
        simulation.request_stop()
        await running
    [leaf] = x509.load_pem_x509_certificates(chain.encode())  # our CA is a root: the chain is the leaf alone
    leaf.verify_directly_issued_by(site.ca.certificate)
    assert leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == CHARGER

    async def delivered() -> list[Any]:
        async with database_session(site.database_url) as session:
            issued = await list_issued_certificates(session, await site.station_id())
        return [c for c in issued if c.delivery_status == "Accepted"]

    [issued] = await wait_for(delivered, "the issued certificate's delivery")
    assert issued.serial_number == format(leaf.serial_number, "x")
    assert issued.certificate_type == "ChargingStationCertificate"
    assert issued.not_after == leaf.not_valid_after_utc


async def _true(value: Any) -> Any:
    return value


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_csrs_that_do_not_name_the_charger_are_refused(site: Site, version: str) -> None:
    async with charger(site.central.port, CHARGER, version, password=SECRET) as station:
        station.answers["CertificateSigned"] = {"status": "Accepted"}
        extra = {} if version == "1.6" else {"certificateType": "ChargingStationCertificate"}
        _, foreign_csr = make_key_and_csr("SOMEONE-ELSE")
        refused = await station.call("SignCertificate", {"csr": foreign_csr, **extra})
        assert refused["status"] == "Rejected"
        garbage = await station.call("SignCertificate", {"csr": "not a CSR", **extra})
        assert garbage["status"] == "Rejected"

        _, csr = make_key_and_csr(CHARGER)
        assert await station.call("SignCertificate", {"csr": csr, **extra}) == {"status": "Accepted"}

        async def signed() -> list[Any]:
            return [payload for action, payload in station.received_commands if action == "CertificateSigned"]

        [delivery] = await wait_for(signed, "CertificateSigned")  # checked against the official schema
        [leaf] = x509.load_pem_x509_certificates(delivery["certificateChain"].encode())
        leaf.verify_directly_issued_by(site.ca.certificate)
        assert ("certificateType" in delivery) == (version == "2.0.1")


async def test_security_events_are_stored_and_shown_to_operators(
    site: Site, client_factory: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    async with charger(site.central.port, CHARGER, "2.0.1", password=SECRET) as station:
        for kind, stamp in (
            ("StartupOfTheDevice", "2026-12-01T10:00:00Z"),
            ("InvalidMessages", "2026-12-01T11:00:00Z"),
        ):
            payload = {"type": kind, "timestamp": stamp, "techInfo": f"{kind} details"}
            assert await station.call("SecurityEventNotification", payload, message_id=f"sec-{kind}") == {}
        # a replay of the same message after a reconnect is stored once
        replay = {"type": "InvalidMessages", "timestamp": "2026-12-01T11:00:00Z"}
        await station.call("SecurityEventNotification", replay, message_id="sec-InvalidMessages")
    async with charger(site.central.port, CHARGER, "1.6", password=SECRET) as station:  # the 1.6 security extension
        tamper = {"type": "TamperDetectionActivated", "timestamp": "2026-12-01T12:00:00Z"}
        assert await station.call("SecurityEventNotification", tamper) == {}
    assert any("critical security event StartupOfTheDevice" in r.getMessage() for r in caplog.records)

    client = await client_factory()
    await add_user(
        make_settings(database_url=site.database_url), email="ops@example.com", password=PASSWORD, role="admin",
        name="Ops",
    )  # fmt: skip
    tokens = (await client.post("/v1/auth/login", json={"email": "ops@example.com", "password": PASSWORD})).json()
    admin = {"Authorization": f"Bearer {tokens['accessToken']}"}
    listed = await client.get(f"/v1/admin/chargers/{CHARGER}/security-events", headers=admin)
    assert listed.status_code == 200
    assert [(e["kind"], e["critical"], e["techInfo"]) for e in listed.json()] == [
        ("TamperDetectionActivated", True, None),
        ("InvalidMessages", False, "InvalidMessages details"),
        ("StartupOfTheDevice", True, "StartupOfTheDevice details"),
    ]
    assert listed.json()[2]["timestamp"].startswith("2026-12-01T10:00:00")
    assert (await client.get("/v1/admin/chargers/NOPE/security-events", headers=admin)).status_code == 404

    # the security profile an operator sets is the one the bridge asks for
    profile = f"/v1/admin/chargers/{CHARGER}/security-profile"
    assert (await client.get(profile, headers=admin)).json() == {"securityProfile": None}
    changed = await client.put(profile, json={"securityProfile": 3}, headers=admin)
    assert changed.json() == {"securityProfile": 3}
    assert (await client.put(profile, json={"securityProfile": 4}, headers=admin)).status_code == 422
    assert (await client.get(profile, headers=admin)).json() == {"securityProfile": 3}
    site.csms.security.forget_profile(CHARGER)
    assert await site.csms.security_profile(CHARGER) == 3
    assert await site.csms.security_profile("NOPE") is None
    issued = await client.get(f"/v1/admin/chargers/{CHARGER}/certificates", headers=admin)
    assert issued.status_code == 200
    assert issued.json() == []
    async with database_session(site.database_url) as session:
        assert len(await list_security_events(session, await site.station_id())) == 3


@needs_openssl
async def test_certificate_status_and_contract_authorisation_by_ocsp(site: Site, tmp_path: Path) -> None:
    mo = TestCa("MO Sub-CA")
    good, _ = mo.issue("EMAID-GOOD")
    revoked, _ = mo.issue("EMAID-REVOKED")
    async with (
        ocsp_responder(mo, tmp_path, good=[good], revoked=[revoked]) as url,
        charger(site.central.port, CHARGER, "2.0.1", password=SECRET) as station,
    ):

        def request_data(certificate: x509.Certificate) -> dict[str, str]:
            data = hash_data(certificate, mo.certificate)
            return {
                "hashAlgorithm": data.hash_algorithm,
                "issuerNameHash": data.issuer_name_hash,
                "issuerKeyHash": data.issuer_key_hash,
                "serialNumber": data.serial_number,
                "responderURL": url,
            }

        for certificate, expected in ((good, ocsp.OCSPCertStatus.GOOD), (revoked, ocsp.OCSPCertStatus.REVOKED)):
            answer = await station.call("GetCertificateStatus", {"ocspRequestData": request_data(certificate)})
            assert answer["status"] == "Accepted"
            response = ocsp.load_der_ocsp_response(base64.b64decode(answer["ocspResult"]))
            assert response.certificate_status == expected
            assert response.serial_number == certificate.serial_number

        refused = await station.call(
            "Authorize",
            {
                "idToken": {"idToken": "EMAID-GOOD", "type": "eMAID"},
                "iso15118CertificateHashData": [request_data(revoked)],
            },
        )
        assert refused == {"idTokenInfo": {"status": "Invalid"}, "certificateStatus": "CertificateRevoked"}
        accepted = await station.call(
            "Authorize",
            {
                "idToken": {"idToken": "EMAID-GOOD", "type": "eMAID"},
                "iso15118CertificateHashData": [request_data(good)],
            },
        )
        assert accepted["idTokenInfo"]["status"] == "Accepted"
        assert accepted["certificateStatus"] == "Accepted"

        # an unreachable responder: GetCertificateStatus fails, the contract is judged on the id token alone
        gone = {**request_data(good), "serialNumber": "abc", "responderURL": "http://127.0.0.1:9/ocsp"}
        assert (await station.call("GetCertificateStatus", {"ocspRequestData": gone}))["status"] == "Failed"
        unchecked = await station.call(
            "Authorize", {"idToken": {"idToken": "EMAID-GOOD", "type": "eMAID"}, "iso15118CertificateHashData": [gone]}
        )
        assert unchecked["certificateStatus"] == "NoCertificateAvailable"

        ev = await station.call(
            "Get15118EVCertificate",
            {"iso15118SchemaVersion": "urn:iso:15118:2:2013:MsgDef", "action": "Install", "exiRequest": "AAAA"},
        )
        assert ev["status"] == "Failed"
        assert ev["statusInfo"]["reasonCode"] == "NoContractPool"


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_operators_manage_a_chargers_certificates_through_the_app(
    database_url: str, tmp_path: Path, version: str
) -> None:
    """The whole app served: settings name the CA, the admin API installs a root, reads back what the charger holds
    and sees the certificate issued for the CSR the charger sends."""
    async with database_session(database_url) as session:
        await add_charger(session, ocpp_id=CHARGER, password=SECRET, country_code="NL", party_id="VWY", evses=1)
        await session.commit()
    await add_user(
        make_settings(database_url=database_url), email="ops@example.com", password=PASSWORD, role="admin", name="Ops"
    )
    ca = TestCa("App Charger CA")
    ca_cert, ca_key = ca.write(tmp_path, "charger-ca")
    async with (
        served_app(database_url, ocpp_ca_cert=str(ca_cert), ocpp_ca_key=str(ca_key)) as (
            _,
            api,
            ocpp_url,
        ),
        httpx.AsyncClient(base_url=api, timeout=10) as client,
    ):
        login = {"email": "ops@example.com", "password": PASSWORD}
        tokens = (await client.post("/v1/auth/login", json=login)).json()
        admin = {"Authorization": f"Bearer {tokens['accessToken']}"}
        base = f"/v1/admin/chargers/{CHARGER}"
        assert (await client.post(f"{base}/installed-certificates", headers=admin)).status_code == 409  # offline

        simulation = Simulation(
            SimulatorConfig(
                url=ocpp_url,
                chargers=1,
                ocpp_version=version,  # type: ignore[arg-type]
                password=SECRET,
                duration=None,
                arrival_rate=0.0,
                fault_rate=0.0,
                disconnect_rate=0.0,
            )
        )
        running = asyncio.create_task(simulation.run())
        [simulated] = simulation.chargers
        try:
            await wait_for(lambda: _true(simulated.booted), "the simulated charger's boot")
            root = TestCa("CSMS Root")
            body = {"certificate_type": "CSMSRootCertificate", "certificate": pem(root.certificate)}
            installed = await client.post(f"{base}/commands/install-certificate", json=body, headers=admin)
            assert installed.json()["status"] == "Accepted"

            held = await client.post(f"{base}/installed-certificates", headers=admin)
            assert held.status_code == 200
            expected = hash_data(root.certificate)
            kind = "CentralSystemRootCertificate" if version == "1.6" else "CSMSRootCertificate"
            assert [(c["certificateType"], c["serialNumber"], c["issuerKeyHash"]) for c in held.json()] == [
                (kind, expected.serial_number, expected.issuer_key_hash)
            ]
            assert (await client.get(f"{base}/installed-certificates", headers=admin)).json() == held.json()

            if version == "2.0.1":
                trigger = {"message": "SignChargingStationCertificate"}
                triggered = await client.post(f"{base}/commands/trigger-message", json=trigger, headers=admin)
                assert triggered.json()["status"] == "Accepted"
            else:
                simulated.request_certificate()

            async def delivered() -> list[Any]:
                issued = (await client.get(f"{base}/certificates", headers=admin)).json()
                return [c for c in issued if c["deliveryStatus"] == "Accepted"]

            [issued] = await wait_for(delivered, "the certificate issued by the configured CA")
        finally:
            simulation.request_stop()
            await running
    leaf = x509.load_pem_x509_certificate(issued["certificate"].encode())
    leaf.verify_directly_issued_by(ca.certificate)
    assert simulated.certificates.certificate_chain == issued["certificate"]


@needs_openssl
async def test_a_contract_certificate_chain_sent_as_pem_is_checked_by_the_responder_it_names(
    site: Site, tmp_path: Path
) -> None:
    mo = TestCa("MO Sub-CA")
    good_plan, revoked_plan = Planned("EMAID-GOOD"), Planned("EMAID-REVOKED")
    async with (
        ocsp_responder(mo, tmp_path, good=[good_plan], revoked=[revoked_plan]) as url,
        charger(site.central.port, CHARGER, "2.0.1", password=SECRET) as station,
    ):
        good, _ = mo.issue("EMAID-GOOD", planned=good_plan, ocsp_url=url)
        revoked, _ = mo.issue("EMAID-REVOKED", planned=revoked_plan, ocsp_url=url)
        token = {"idToken": "EMAID-GOOD", "type": "eMAID"}

        async def authorize(*chain: x509.Certificate) -> dict[str, Any]:
            return await station.call("Authorize", {"idToken": token, "certificate": "".join(pem(c) for c in chain)})

        assert await authorize(revoked, mo.certificate) == {
            "idTokenInfo": {"status": "Invalid"},
            "certificateStatus": "CertificateRevoked",
        }
        accepted = await authorize(good, mo.certificate)
        assert (accepted["idTokenInfo"]["status"], accepted["certificateStatus"]) == ("Accepted", "Accepted")
        alone = await authorize(good)  # without its issuer the chain cannot be checked
        assert alone == {"idTokenInfo": {"status": "Invalid"}, "certificateStatus": "CertChainError"}
        stranger = TestCa("Another MO")
        assert (await authorize(good, stranger.certificate))["certificateStatus"] == "CertChainError"


async def test_a_charger_moves_to_security_profile_3_with_the_certificate_we_signed(
    database_url: str, tmp_path: Path
) -> None:
    """Profile 2 (password over TLS) -> SignCertificate -> CertificateSigned -> profile 3: after a reset the charger
    is admitted by the certificate our CA signed, which the TLS server asks for."""
    engine = create_engine(database_url)
    factory = create_session_factory(engine)
    async with factory() as session:
        await add_charger(session, ocpp_id=CHARGER, password=SECRET, country_code="NL", party_id="VWY", evses=1)
        await session.commit()
    ca = TestCa("Voltway Charger CA")
    ca_path, _ = ca.write(tmp_path, "ca")
    server, server_key = ca.issue("localhost", server=True)
    server_cert, server_key_path = write_pair(tmp_path, "server", server, server_key)
    csms = CsmsService(factory, heartbeat_interval=120, meter_writer=MeterSampleWriter(factory, flush_seconds=60))
    csms.security.authority = CertificateAuthority(ca.certificate, ca.key)
    await csms.start()
    config = BridgeConfig(
        host="127.0.0.1", port=0, ping_interval=None, command_timeout=5.0, tls_cert_path=str(server_cert),
        tls_key_path=str(server_key_path), tls_client_ca_path=str(ca_path),
    )  # fmt: skip
    central = CentralSystem(csms, config)
    csms.security.send_command = central.send_command
    try:
        async with central:
            simulation = Simulation(
                SimulatorConfig(
                    url=f"wss://127.0.0.1:{central.port}/ocpp",
                    chargers=1,
                    ocpp_version="2.0.1",
                    password=SECRET,
                    duration=None,
                    arrival_rate=0.0,
                    fault_rate=0.0,
                    disconnect_rate=0.0,
                    tls_ca=str(ca_path),
                    speed=600.0,  # the pause offline after the reset is short
                )
            )
            running = asyncio.create_task(simulation.run())
            [simulated] = simulation.chargers
            try:
                await wait_for(lambda: _true(simulated.booted), "the boot on security profile 2")
                trigger = commands.TriggerMessage(message="SignChargingStationCertificate")
                await central.send_command(CHARGER, trigger)
                await wait_for(lambda: _true(simulated.certificates.key_pem), "the signed certificate")

                async with factory() as session:
                    await set_security_profile(session, (await csms.directory.require(CHARGER)).station_id, 3)
                    await session.commit()
                csms.security.forget_profile(CHARGER)
                assert await central.send_command(CHARGER, commands.Reset()) == commands.StatusResult(status="Accepted")
                await wait_for(lambda: _true(simulated.report.boots >= 2), "the boot on security profile 3")
            finally:
                simulation.request_stop()
                await running
            assert simulated.report.connections == 2  # no refused attempt in between
    finally:
        await csms.stop()
        await engine.dispose()
