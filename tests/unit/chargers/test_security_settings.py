"""OCPP security settings: read from the environment, checked together, and handed to the bridge."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.domain.chargers.runtime import bridge_config
from api.settings import SettingsError, load_settings

KEY = "k" * 40


def test_client_certificates_and_ca_settings_reach_the_bridge(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "VOLTWAY_DATA_DIR": str(tmp_path),
            "VOLTWAY_SECRET_KEY": KEY,
            "VOLTWAY_OCPP_TLS_CERT": "/etc/voltway/server.pem",
            "VOLTWAY_OCPP_TLS_KEY": "/etc/voltway/server.key",
            "VOLTWAY_OCPP_TLS_CLIENT_CA": "/etc/voltway/chargers-ca.pem",
            "VOLTWAY_OCPP_CSMS_ORGANIZATION": "Voltway CPO",
            "VOLTWAY_OCPP_CA_CERT": "/etc/voltway/ca.pem",
            "VOLTWAY_OCPP_CA_KEY": "/etc/voltway/ca.key",
            "VOLTWAY_OCPP_CERTIFICATE_VALIDITY_DAYS": "90",
            "VOLTWAY_OCPP_OCSP_TIMEOUT": "2",
        }
    )
    config = bridge_config(settings)
    assert config.tls_client_ca_path == "/etc/voltway/chargers-ca.pem"
    assert config.csms_organization == "Voltway CPO"
    assert (settings.ocpp_certificate_validity_days, settings.ocpp_ocsp_timeout_seconds) == (90, 2.0)
    plain = bridge_config(load_settings({"VOLTWAY_DATA_DIR": str(tmp_path), "VOLTWAY_SECRET_KEY": KEY}))
    assert (plain.tls_client_ca_path, plain.csms_organization) == (None, None)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"VOLTWAY_OCPP_TLS_CLIENT_CA": "ca.pem"}, "VOLTWAY_OCPP_TLS_CLIENT_CA .* needs VOLTWAY_OCPP_TLS_CERT"),
        ({"VOLTWAY_OCPP_CA_CERT": "ca.pem"}, "VOLTWAY_OCPP_CA_CERT and VOLTWAY_OCPP_CA_KEY must be set together"),
        ({"VOLTWAY_OCPP_CERTIFICATE_VALIDITY_DAYS": "0"}, "must be at least 1"),
    ],
)
def test_incomplete_security_settings_are_refused(tmp_path: Path, environ: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings({"VOLTWAY_DATA_DIR": str(tmp_path), "VOLTWAY_SECRET_KEY": KEY, **environ})
