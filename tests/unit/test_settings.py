"""Configuration from the environment: defaults, validation and the development secret key."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from api.settings import DEFAULT_DATABASE_URL, SettingsError, load_settings

KEY = "k" * 40


def test_defaults(tmp_path: Path) -> None:
    settings = load_settings({"VOLTWAY_DATA_DIR": str(tmp_path), "VOLTWAY_SECRET_KEY": KEY})
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert (settings.host, settings.port, settings.workers) == ("127.0.0.1", 8000, 1)
    assert settings.env == "development"
    assert settings.base_url == "http://127.0.0.1:8000"
    assert settings.cors_origins == ()
    assert settings.is_sqlite


def test_every_variable_is_read(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "VOLTWAY_ENV": "production",
            "VOLTWAY_DATABASE_URL": "postgresql+asyncpg://voltway@db/voltway",
            "VOLTWAY_DATA_DIR": str(tmp_path),
            "VOLTWAY_SECRET_KEY": KEY,
            "VOLTWAY_LOG_LEVEL": "debug",
            "VOLTWAY_LOG_FORMAT": "JSON",
            "VOLTWAY_CORS_ORIGINS": "https://a.example, https://b.example",
            "VOLTWAY_HOST": "0.0.0.0",
            "VOLTWAY_PORT": "9100",
            "VOLTWAY_WORKERS": "4",
            "VOLTWAY_PUBLIC_URL": "https://api.example.com/",
            "VOLTWAY_SMTP_URL": "smtp+starttls://u:p@mail.example.com",
            "VOLTWAY_MAIL_FROM": "Ops <ops@example.com>",
            "VOLTWAY_ACCESS_TOKEN_TTL": "600",
            "VOLTWAY_REFRESH_TOKEN_TTL": "86400",
            "VOLTWAY_RATE_LIMIT_PER_MINUTE": "0",
            "VOLTWAY_LOGIN_ATTEMPTS_PER_IP_PER_MINUTE": "7",
            "VOLTWAY_LOGIN_FAILURES_PER_ACCOUNT": "3",
            "VOLTWAY_LOGIN_FAILURE_WINDOW": "60",
            "VOLTWAY_PASSWORD_HASH_TIME_COST": "2",
            "VOLTWAY_PASSWORD_HASH_MEMORY_KIB": "1024",
            "VOLTWAY_MAX_ACTIVE_SESSIONS_PER_DRIVER": "3",
            "VOLTWAY_METRICS_TOKEN": "scrape-token-of-the-prometheus",
            "VOLTWAY_TRUSTED_PROXIES": "10.0.0.5, 10.0.1.0/24",
        }
    )
    assert settings.env == "production"
    assert settings.metrics_token == "scrape-token-of-the-prometheus"
    assert settings.trusted_proxies == ("10.0.0.5/32", "10.0.1.0/24")
    assert not settings.is_sqlite
    assert settings.log_level == "DEBUG"
    assert settings.log_format == "json"
    assert settings.cors_origins == ("https://a.example", "https://b.example")
    assert (settings.host, settings.port, settings.workers) == ("0.0.0.0", 9100, 4)
    assert settings.base_url == "https://api.example.com"
    assert settings.smtp_url.startswith("smtp+starttls://")
    assert settings.mail_from == "Ops <ops@example.com>"
    assert (settings.access_token_ttl_seconds, settings.refresh_token_ttl_seconds) == (600, 86400)
    assert settings.rate_limit_per_minute == 0
    assert settings.login_attempts_per_ip_per_minute == 7
    assert (settings.login_failures_per_account, settings.login_failure_window_seconds) == (3, 60)
    assert (settings.password_hash_time_cost, settings.password_hash_memory_kib) == (2, 1024)
    assert settings.max_active_sessions_per_driver == 3
    assert load_settings({"VOLTWAY_DATA_DIR": str(tmp_path)}).max_active_sessions_per_driver == 1


def test_development_generates_and_keeps_a_secret_key(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    first = load_settings({"VOLTWAY_DATA_DIR": str(tmp_path)})
    assert len(first.secret_key) >= 32
    assert "VOLTWAY_SECRET_KEY is not set" in caplog.text
    assert first.secret_key not in caplog.text
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    second = load_settings({"VOLTWAY_DATA_DIR": str(tmp_path)})
    assert second.secret_key == first.secret_key


def test_production_refuses_to_start_without_a_metrics_token(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="VOLTWAY_METRICS_TOKEN must be set when VOLTWAY_ENV=production"):
        load_settings({"VOLTWAY_ENV": "production", "VOLTWAY_DATA_DIR": str(tmp_path), "VOLTWAY_SECRET_KEY": KEY})


def test_trusted_proxies_must_be_addresses(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="VOLTWAY_TRUSTED_PROXIES must list IP addresses or networks"):
        load_settings(
            {"VOLTWAY_DATA_DIR": str(tmp_path), "VOLTWAY_SECRET_KEY": KEY, "VOLTWAY_TRUSTED_PROXIES": "proxy"}
        )


def test_production_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="VOLTWAY_SECRET_KEY must be set when VOLTWAY_ENV=production"):
        load_settings({"VOLTWAY_ENV": "production", "VOLTWAY_DATA_DIR": str(tmp_path)})
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("VOLTWAY_PORT", "eighty", "VOLTWAY_PORT must be a whole number"),
        ("VOLTWAY_WORKERS", "0", "VOLTWAY_WORKERS must be at least 1"),
        ("VOLTWAY_ENV", "staging", "VOLTWAY_ENV must be development, test or production"),
        ("VOLTWAY_LOG_LEVEL", "loud", "VOLTWAY_LOG_LEVEL must be"),
        ("VOLTWAY_LOG_FORMAT", "xml", "VOLTWAY_LOG_FORMAT must be auto, json or text, got 'xml'"),
        ("VOLTWAY_DATABASE_URL", "mysql://x", "VOLTWAY_DATABASE_URL must start with"),
        ("VOLTWAY_SECRET_KEY", "short", "at least 32 characters"),
        ("VOLTWAY_PAYMENT_HOLD_CAPS", "EUR:75", "must look like EUR=75"),
        ("VOLTWAY_PAYMENT_HOLD_CAPS", "EUR=0", "the cap for EUR must be a positive amount"),
        ("VOLTWAY_IDLE_FEE_PER_MINUTE", "forty cents", "VOLTWAY_IDLE_FEE_PER_MINUTE must be a decimal amount"),
        ("VOLTWAY_IDLE_FEE_CAP", "-1", "VOLTWAY_IDLE_FEE_CAP must be an amount that is not negative"),
        ("VOLTWAY_NOTIFICATION_PROVIDER", "pigeon", "VOLTWAY_NOTIFICATION_PROVIDER must be log or webhook"),
        ("VOLTWAY_NOTIFICATION_PROVIDER", "webhook", "VOLTWAY_NOTIFICATION_WEBHOOK_URL must be an http"),
        ("VOLTWAY_SESSION_START_TIMEOUT", "1", "VOLTWAY_SESSION_START_TIMEOUT must be at least 5"),
        ("VOLTWAY_OCPI_BASE_URL", "ocpi.example.com", "VOLTWAY_OCPI_BASE_URL must be an http"),
        ("VOLTWAY_OCPI_PAGE_LIMIT", "0", "VOLTWAY_OCPI_PAGE_LIMIT must be at least 1"),
        ("VOLTWAY_OCPI_TIMEOUT", "soon", "VOLTWAY_OCPI_TIMEOUT must be a whole number"),
    ],
)
def test_bad_values_name_the_variable(tmp_path: Path, name: str, value: str, message: str) -> None:
    environ = {"VOLTWAY_DATA_DIR": str(tmp_path), "VOLTWAY_SECRET_KEY": KEY, name: value}
    with pytest.raises(SettingsError, match=message):
        load_settings(environ)


def test_session_and_payment_settings(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "VOLTWAY_DATA_DIR": str(tmp_path),
            "VOLTWAY_SECRET_KEY": KEY,
            "VOLTWAY_PAYMENT_HOLD_CAPS": "eur=50, GBP=40.5",
            "VOLTWAY_IDLE_FEE_PER_MINUTE": "0.40",
            "VOLTWAY_IDLE_FEE_CAP": "12",
        }
    )
    assert dict(settings.payment_hold_caps) == {"EUR": Decimal(50), "GBP": Decimal("40.5")}
    assert settings.idle_fee_per_minute == Decimal("0.40")
    assert settings.idle_fee_cap == Decimal(12)
    assert settings.idle_fee_grace_minutes == 15


def test_ocpi_settings(tmp_path: Path) -> None:
    defaults = load_settings({"VOLTWAY_DATA_DIR": str(tmp_path), "VOLTWAY_SECRET_KEY": KEY})
    assert (defaults.ocpi_base_url, defaults.ocpi_page_limit, defaults.ocpi_timeout_seconds) == ("", 1000, 15.0)
    assert defaults.ocpi_token_key == ""  # derived from the secret key
    settings = load_settings(
        {
            "VOLTWAY_DATA_DIR": str(tmp_path),
            "VOLTWAY_SECRET_KEY": KEY,
            "VOLTWAY_OCPI_BASE_URL": "https://ocpi.example.com/",
            "VOLTWAY_OCPI_PAGE_LIMIT": "200",
            "VOLTWAY_OCPI_TIMEOUT": "5",
            "VOLTWAY_OCPI_TOKEN_KEY": " a passphrase ",
        }
    )
    assert settings.ocpi_base_url == "https://ocpi.example.com"
    assert (settings.ocpi_page_limit, settings.ocpi_timeout_seconds) == (200, 5.0)
    assert settings.ocpi_token_key == "a passphrase"


def test_open_data_feed_settings(tmp_path: Path) -> None:
    base = {"VOLTWAY_DATA_DIR": str(tmp_path), "VOLTWAY_SECRET_KEY": KEY}
    defaults = load_settings(base)
    assert (defaults.open_data_feed, defaults.open_data_requests_per_minute, defaults.open_data_max_age_seconds) == (
        False,
        60,
        60,
    )
    chosen = load_settings(
        {
            **base,
            "VOLTWAY_OPEN_DATA_FEED": "on",
            "VOLTWAY_OPEN_DATA_REQUESTS_PER_MINUTE": "10",
            "VOLTWAY_OPEN_DATA_MAX_AGE": "300",
        }
    )
    assert (chosen.open_data_feed, chosen.open_data_requests_per_minute, chosen.open_data_max_age_seconds) == (
        True,
        10,
        300,
    )
    with pytest.raises(SettingsError, match="VOLTWAY_OPEN_DATA_FEED must be true or false, got 'maybe'"):
        load_settings({**base, "VOLTWAY_OPEN_DATA_FEED": "maybe"})
    with pytest.raises(SettingsError, match="VOLTWAY_OPEN_DATA_REQUESTS_PER_MINUTE must be a whole number"):
        load_settings({**base, "VOLTWAY_OPEN_DATA_REQUESTS_PER_MINUTE": "lots"})
