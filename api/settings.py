"""Runtime configuration: the only module that reads environment variables.

Every setting has a default that suits the embedded, single-process deployment; each is documented in
the README's configuration table. Code elsewhere receives a `Settings` value and never looks at the
environment, so tests build their own settings without touching `os.environ`.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import secrets
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Literal

import msgspec

from api.domain.operations.alerts.timing import AlertTimingError, parse_timing
from api.domain.support.sla import SlaConfigError, build_policy

logger = logging.getLogger(__name__)

Environment = Literal["development", "test", "production"]

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./voltway.db"
MIN_SECRET_KEY_LENGTH = 32
MIN_METRICS_TOKEN_LENGTH = 16
SECRET_KEY_FILE = "secret_key"
DEFAULT_DEMO_CHARGER_PASSWORD = "voltway-demo-charger"  # development only; the demo seed refuses production
DEFAULT_MAIL_FROM = "Voltway <no-reply@voltway.localhost>"
DEFAULT_HOLD_CAPS = (
    ("EUR", Decimal(75)),
    ("GBP", Decimal(65)),
    ("USD", Decimal(80)),
    ("CHF", Decimal(75)),
    ("DKK", Decimal(560)),
    ("NOK", Decimal(850)),
    ("SEK", Decimal(850)),
    ("PLN", Decimal(320)),
)
DEFAULT_STRIPE_API_BASE = "https://api.stripe.com"

PaymentProviderName = Literal["none", "stripe"]
LogFormat = Literal["auto", "json", "text"]


class SettingsError(Exception):
    """A setting is missing or malformed; the message names the variable."""


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """All runtime configuration of one Voltway process."""

    env: Environment = "development"
    database_url: str = DEFAULT_DATABASE_URL
    data_dir: Path = Path(".voltway")
    secret_key: str = ""
    log_level: str = "INFO"
    log_format: LogFormat = "auto"
    cors_origins: tuple[str, ...] = ()
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    public_url: str = ""
    smtp_url: str = ""
    mail_from: str = DEFAULT_MAIL_FROM
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    rate_limit_per_minute: int = 1200
    login_attempts_per_ip_per_minute: int = 60
    login_failures_per_account: int = 10
    login_failure_window_seconds: int = 900
    password_hash_time_cost: int = 3
    password_hash_memory_kib: int = 65536
    ocpi_country_code: str = "NL"
    ocpi_party_id: str = "VWY"
    operator_name: str = "Voltway"
    operator_vat_id: str = ""
    catalog_poll_seconds: float = 1.0
    heartbeat_window_seconds: int = 600
    ocpp_enabled: bool = False
    ocpp_host: str = "127.0.0.1"
    ocpp_port: int = 9000
    ocpp_heartbeat_interval: int = 300
    ocpp_command_timeout: float = 30.0
    ocpp_clock_future_margin_seconds: float = 900.0
    ocpp_tls_cert: str = ""
    ocpp_tls_key: str = ""
    demo_charger_password: str = DEFAULT_DEMO_CHARGER_PASSWORD
    session_start_timeout_seconds: int = 60
    session_stale_hours: int = 24
    max_active_sessions_per_driver: int = 1  # app sessions a driver may run at once; 0: no limit
    payment_hold_caps: tuple[tuple[str, Decimal], ...] = DEFAULT_HOLD_CAPS
    payment_hold_energy_kwh: int = 60
    payment_hold_minutes: int = 120
    idle_fee_per_minute: Decimal | None = None
    idle_fee_grace_minutes: int = 15
    idle_fee_cap: Decimal | None = None
    notification_provider: Literal["log", "webhook"] = "log"
    notification_webhook_url: str = ""
    payment_provider: PaymentProviderName = "none"
    stripe_secret_key: str = ""
    stripe_publishable_key: str = ""
    stripe_webhook_secret: str = ""
    stripe_api_base: str = DEFAULT_STRIPE_API_BASE
    metrics_token: str = ""  # when set, /metrics wants `Authorization: Bearer <token>`; required in production
    trusted_proxies: tuple[str, ...] = ()  # addresses whose X-Forwarded-For / X-Forwarded-Proto are believed
    guest_starts_per_address_per_hour: int = 10  # guest starts from one client address; 0: no limit
    guest_starts_per_evse_per_hour: int = 10  # guest starts at one EVSE; 0: no limit
    mail_per_address_per_hour: int = 5  # mails of one kind to one address per hour; 0: no limit
    login_backoff_max_seconds: int = 60  # longest sign-in delay for one account
    login_client_backoff_max_seconds: int = 900  # longest sign-in delay for one client address
    max_devices_per_account: int = 20  # 0: no limit
    max_cards_per_account: int = 20  # 0: no limit
    max_conversations_per_day: int = 50  # new assistant conversations per account in 24 hours; 0: no limit
    # OCPP security: profile 3 client certificates, the CA that signs chargers' CSRs, OCSP look-ups
    ocpp_tls_client_ca: str = ""  # CA bundle (PEM) of charger certificates; set: client certificates requested
    ocpp_csms_organization: str = ""  # O a charger certificate must name (empty: not checked)
    ocpp_ca_cert: str = ""  # CA certificate (PEM) that signs chargers' CSRs (SignCertificate)
    ocpp_ca_key: str = ""
    ocpp_certificate_validity_days: int = 365
    ocpp_ocsp_timeout_seconds: float = 3.0
    ocpp_master_pass_group_id: str = ""  # 2.0.1 AuthCtrlr.MasterPassGroupId: its cards stop any transaction
    ocpp_authorisation_upkeep_seconds: float = 5.0  # local list updates, cache clearing, reservation expiry
    chat_model: str = ""  # the assistant's trained intent model; empty: intent-model.npz in the data directory
    # shared password with which a charger we do not know yet may connect, to be held Pending for approval
    ocpp_onboarding_password: str = ""
    ocpp_pending_interval: int = 60  # seconds a Pending charger waits before booting again
    ocpp_rejected_interval: int = 3600  # seconds a blocked (Rejected) charger waits before booting again
    support_sla_targets: str = ""  # "urgent=15/240,high=60/480,...": minutes to first response / resolution
    support_business_hours: str = ""  # "mon-fri 08:00-18:00"; empty: around the clock
    support_time_zone: str = "UTC"  # the support team's IANA time zone, for business hours
    support_auto_close_days: int = 4  # solved tickets close after this many days
    support_reopen_days: int = 7  # a driver may reopen a solved ticket for this many days
    support_webhook_url: str = ""  # urgent tickets and SLA warnings are POSTed here (empty: not sent)
    support_webhook_secret: str = ""  # signs those deliveries (X-Voltway-Signature)
    operations_webhook_url: str = ""  # operations alerts (opened, resolved, escalated, digest) are POSTed here
    operations_webhook_secret: str = ""  # signs those deliveries (X-Voltway-Signature)
    operations_time_zone: str = "UTC"  # the operations team's IANA time zone, for quiet hours and the digest
    operations_quiet_hours: str = ""  # "22:00-07:00": major alerts wait until it ends (critical ones do not)
    operations_digest_time: str = "08:00"  # minor alerts are mailed in one digest at this time, Monday to Friday
    operations_escalation_emails: tuple[str, ...] = ()  # unacknowledged critical/major alerts also go here
    delivery_max_attempts: int = 12  # an outbound delivery is dead after this many failed attempts
    delivery_backoff_seconds: float = 10.0  # the first retry's delay; it doubles per attempt (with jitter)
    delivery_backoff_cap_seconds: float = 3600.0  # the longest delay between two attempts
    ocpp_journal_size: int = 50  # OCPP messages kept per charger for support diagnostics; 0: no journal
    # OCPI: the key that encrypts partners' tokens at rest (a Fernet key, or a passphrase a key is derived from;
    # empty: derived from the secret key, fine for the quick start, set it in production)
    ocpi_token_key: str = ""
    ocpi_base_url: str = (
        ""  # public address of our OCPI area's root, e.g. https://ocpi.example.com; empty: the request's
    )
    ocpi_page_limit: int = 1000  # the most objects one OCPI page holds (X-Limit)
    ocpi_timeout_seconds: float = 15.0  # each outbound OCPI request (handshake, pushes)
    open_data_feed: bool = False  # the unauthenticated open data locations feed (AFIR art. 20, NEVI 680.116(c))
    open_data_requests_per_minute: int = 60  # per client address, on the open data feed; 0: no limit of its own
    open_data_max_age_seconds: int = 60  # Cache-Control max-age of open data pages
    # how often this process stores the OCPI documents of our changed locations; 0: never (another process does)
    ocpi_document_refresh_seconds: int = 5

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def base_url(self) -> str:
        """Address put into links the service sends out (mails), without a trailing slash."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")


def _int(environ: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


def _pattern(environ: Mapping[str, str], name: str, default: str, pattern: str, meaning: str) -> str:
    value = environ.get(name, "").strip() or default
    if not re.fullmatch(pattern, value):
        raise SettingsError(f"{name} must be {meaning}, got {value!r}")
    return value


def _bool(environ: Mapping[str, str], name: str, *, default: bool) -> bool:
    raw = environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def _demo_charger_password(environ: Mapping[str, str]) -> str:
    value = environ.get("VOLTWAY_DEMO_CHARGER_PASSWORD", "").strip() or DEFAULT_DEMO_CHARGER_PASSWORD
    if len(value) < 16:
        raise SettingsError("VOLTWAY_DEMO_CHARGER_PASSWORD must be at least 16 characters long")
    return value


def _amount(environ: Mapping[str, str], name: str) -> Decimal | None:
    raw = environ.get(name, "").strip()
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise SettingsError(f"{name} must be a decimal amount such as 0.40, got {raw!r}") from None
    if not value.is_finite() or value < 0:
        raise SettingsError(f"{name} must be an amount that is not negative, got {raw!r}")
    return value


def _hold_caps(environ: Mapping[str, str]) -> tuple[tuple[str, Decimal], ...]:
    """`EUR=75,GBP=65`: the most a payment hold may be, per currency."""
    raw = environ.get("VOLTWAY_PAYMENT_HOLD_CAPS", "").strip()
    if not raw:
        return DEFAULT_HOLD_CAPS
    caps: list[tuple[str, Decimal]] = []
    for part in raw.split(","):
        currency, _, amount = part.strip().partition("=")
        currency = currency.strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", currency):
            raise SettingsError(f"VOLTWAY_PAYMENT_HOLD_CAPS: {part.strip()!r} must look like EUR=75")
        value = _amount({"cap": amount}, "cap")
        if value is None or value <= 0:
            raise SettingsError(f"VOLTWAY_PAYMENT_HOLD_CAPS: the cap for {currency} must be a positive amount")
        caps.append((currency, value))
    return tuple(caps)


def _notification_provider(environ: Mapping[str, str]) -> Literal["log", "webhook"]:
    raw = environ.get("VOLTWAY_NOTIFICATION_PROVIDER", "").strip().lower() or "log"
    if raw == "log":
        return "log"
    if raw == "webhook":
        return "webhook"
    raise SettingsError(f"VOLTWAY_NOTIFICATION_PROVIDER must be log or webhook, got {raw!r}")


def _env_name(environ: Mapping[str, str]) -> Environment:
    raw = environ.get("VOLTWAY_ENV", "development").strip().lower() or "development"
    if raw == "development":
        return "development"
    if raw == "test":
        return "test"
    if raw == "production":
        return "production"
    raise SettingsError(f"VOLTWAY_ENV must be development, test or production, got {raw!r}")


def _log_level(environ: Mapping[str, str]) -> str:
    level = environ.get("VOLTWAY_LOG_LEVEL", "INFO").strip().upper() or "INFO"
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise SettingsError(f"VOLTWAY_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, got {level!r}")
    return level


def _log_format(environ: Mapping[str, str]) -> LogFormat:
    raw = environ.get("VOLTWAY_LOG_FORMAT", "").strip().lower() or "auto"
    if raw == "auto":
        return "auto"
    if raw == "json":
        return "json"
    if raw == "text":
        return "text"
    raise SettingsError(f"VOLTWAY_LOG_FORMAT must be auto, json or text, got {raw!r}")


def _database_url(environ: Mapping[str, str]) -> str:
    url = environ.get("VOLTWAY_DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
    if not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise SettingsError(
            "VOLTWAY_DATABASE_URL must start with sqlite+aiosqlite:// or postgresql+asyncpg://, "
            f"got a URL with scheme {url.split(':', 1)[0]!r}"
        )
    return url


def _payment_provider(environ: Mapping[str, str]) -> PaymentProviderName:
    raw = environ.get("VOLTWAY_PAYMENT_PROVIDER", "").strip().lower() or "none"
    if raw == "none":
        return "none"
    if raw == "stripe":
        return "stripe"
    raise SettingsError(f"VOLTWAY_PAYMENT_PROVIDER must be none or stripe, got {raw!r}")


def _stripe_api_base(environ: Mapping[str, str]) -> str:
    value = environ.get("VOLTWAY_STRIPE_API_BASE", "").strip() or DEFAULT_STRIPE_API_BASE
    if not re.fullmatch(r"https?://[^\s/]+(:\d+)?/?", value):
        raise SettingsError(f"VOLTWAY_STRIPE_API_BASE must be an http(s) address without a path, got {value!r}")
    return value.rstrip("/")


def _metrics_token(environ: Mapping[str, str]) -> str:
    value = environ.get("VOLTWAY_METRICS_TOKEN", "").strip()
    if value and len(value) < MIN_METRICS_TOKEN_LENGTH:
        raise SettingsError(f"VOLTWAY_METRICS_TOKEN must be at least {MIN_METRICS_TOKEN_LENGTH} characters long")
    return value


def _trusted_proxies(environ: Mapping[str, str]) -> tuple[str, ...]:
    """`10.0.0.5,10.0.1.0/24`: the reverse proxies in front of the service, as addresses or networks."""
    proxies: list[str] = []
    for part in environ.get("VOLTWAY_TRUSTED_PROXIES", "").split(","):
        if not part.strip():
            continue
        try:
            proxies.append(str(ipaddress.ip_network(part.strip(), strict=False)))
        except ValueError:
            raise SettingsError(
                f"VOLTWAY_TRUSTED_PROXIES must list IP addresses or networks, got {part.strip()!r}"
            ) from None
    return tuple(proxies)


def _ocpi_base_url(environ: Mapping[str, str]) -> str:
    value = environ.get("VOLTWAY_OCPI_BASE_URL", "").strip()
    if value and not re.fullmatch(r"https?://[^\s/]+(/\S*)?", value):
        raise SettingsError(
            f"VOLTWAY_OCPI_BASE_URL must be an http(s) address such as https://ocpi.example.com, got {value!r}"
        )
    return value.rstrip("/")


def check_production_settings(settings: Settings) -> None:
    """Production takes its secrets from the environment only: refuse to start with a missing one."""
    if settings.env != "production":
        return
    if not settings.metrics_token:
        raise SettingsError("VOLTWAY_METRICS_TOKEN must be set when VOLTWAY_ENV=production")
    if not settings.ocpi_token_key:
        logger.warning(
            "VOLTWAY_OCPI_TOKEN_KEY is not set: OCPI partner tokens are encrypted with a key derived from "
            "VOLTWAY_SECRET_KEY; set a key of its own in production"
        )


def check_payment_settings(settings: Settings) -> None:
    """A Stripe deployment without its secret key could start sessions it can never bill: refuse to start."""
    if settings.payment_provider != "stripe":
        return
    if not settings.stripe_secret_key:
        raise SettingsError("VOLTWAY_STRIPE_SECRET_KEY must be set when VOLTWAY_PAYMENT_PROVIDER=stripe")
    if not settings.stripe_secret_key.startswith(("sk_", "rk_")):
        raise SettingsError("VOLTWAY_STRIPE_SECRET_KEY must be a Stripe secret key (sk_...) or restricted key (rk_...)")
    if settings.stripe_publishable_key and not settings.stripe_publishable_key.startswith("pk_"):
        raise SettingsError("VOLTWAY_STRIPE_PUBLISHABLE_KEY must be a Stripe publishable key (pk_...)")
    if not settings.stripe_webhook_secret:
        logger.warning(
            "VOLTWAY_STRIPE_WEBHOOK_SECRET is not set: POST /webhooks/stripe refuses every event until it is"
        )


def resolve_secret_key(configured: str, env: Environment, data_dir: Path) -> str:
    """Use the configured key, or in development keep a generated one in the data directory."""
    if configured:
        if len(configured) < MIN_SECRET_KEY_LENGTH:
            raise SettingsError(f"VOLTWAY_SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters long")
        return configured
    if env == "production":
        raise SettingsError("VOLTWAY_SECRET_KEY must be set when VOLTWAY_ENV=production")
    key_file = data_dir / SECRET_KEY_FILE
    if key_file.exists():
        stored = key_file.read_text(encoding="utf-8").strip()
        if len(stored) >= MIN_SECRET_KEY_LENGTH:
            return stored
    data_dir.mkdir(parents=True, exist_ok=True)
    generated = secrets.token_urlsafe(48)
    key_file.write_text(generated + "\n", encoding="utf-8")
    key_file.chmod(0o600)
    logger.warning(
        "VOLTWAY_SECRET_KEY is not set: generated a development key and stored it in %s; "
        "set VOLTWAY_SECRET_KEY in production",
        key_file,
    )
    return generated


def check_operations_settings(settings: Settings) -> None:
    """The operations alerts' webhook, quiet hours, digest time and escalation addresses."""
    try:
        parse_timing(settings.operations_quiet_hours, settings.operations_digest_time, settings.operations_time_zone)
    except AlertTimingError as exc:
        raise SettingsError(f"VOLTWAY_OPERATIONS_QUIET_HOURS / _DIGEST_TIME / _TIME_ZONE: {exc}") from None
    url = settings.operations_webhook_url
    if url and not url.startswith(("http://", "https://")):
        raise SettingsError("VOLTWAY_OPERATIONS_WEBHOOK_URL must be an http(s) URL")
    if url and len(settings.operations_webhook_secret) < 16:
        raise SettingsError(
            "VOLTWAY_OPERATIONS_WEBHOOK_SECRET must be set (16 characters or more) with the webhook URL"
        )
    wrong = [e for e in settings.operations_escalation_emails if "@" not in e]
    if wrong:
        raise SettingsError(f"VOLTWAY_OPERATIONS_ESCALATION_EMAILS: not an email address: {wrong[0]!r}")


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build settings from the environment (or the mapping given), validating every value."""
    source: Mapping[str, str] = os.environ if environ is None else environ
    env = _env_name(source)
    data_dir = Path(source.get("VOLTWAY_DATA_DIR", "").strip() or ".voltway")
    origins = tuple(o.strip() for o in source.get("VOLTWAY_CORS_ORIGINS", "").split(",") if o.strip())
    settings = Settings(
        env=env,
        database_url=_database_url(source),
        data_dir=data_dir,
        log_level=_log_level(source),
        log_format=_log_format(source),
        cors_origins=origins,
        host=source.get("VOLTWAY_HOST", "").strip() or "127.0.0.1",
        port=_int(source, "VOLTWAY_PORT", 8000),
        workers=_int(source, "VOLTWAY_WORKERS", 1, minimum=1),
        public_url=source.get("VOLTWAY_PUBLIC_URL", "").strip(),
        smtp_url=source.get("VOLTWAY_SMTP_URL", "").strip(),
        mail_from=source.get("VOLTWAY_MAIL_FROM", "").strip() or DEFAULT_MAIL_FROM,
        access_token_ttl_seconds=_int(source, "VOLTWAY_ACCESS_TOKEN_TTL", 900, minimum=60),
        refresh_token_ttl_seconds=_int(source, "VOLTWAY_REFRESH_TOKEN_TTL", 30 * 24 * 3600, minimum=300),
        rate_limit_per_minute=_int(source, "VOLTWAY_RATE_LIMIT_PER_MINUTE", 1200),
        login_attempts_per_ip_per_minute=_int(source, "VOLTWAY_LOGIN_ATTEMPTS_PER_IP_PER_MINUTE", 60),
        login_failures_per_account=_int(source, "VOLTWAY_LOGIN_FAILURES_PER_ACCOUNT", 10),
        login_failure_window_seconds=_int(source, "VOLTWAY_LOGIN_FAILURE_WINDOW", 900, minimum=1),
        password_hash_time_cost=_int(source, "VOLTWAY_PASSWORD_HASH_TIME_COST", 3, minimum=1),
        password_hash_memory_kib=_int(source, "VOLTWAY_PASSWORD_HASH_MEMORY_KIB", 65536, minimum=8),
        ocpi_country_code=_pattern(source, "VOLTWAY_OCPI_COUNTRY_CODE", "NL", r"[A-Z]{2}", "two capital letters"),
        ocpi_party_id=_pattern(
            source, "VOLTWAY_OCPI_PARTY_ID", "VWY", r"[A-Z0-9]{3}", "three capital letters or digits"
        ),
        operator_name=source.get("VOLTWAY_OPERATOR_NAME", "").strip() or "Voltway",
        operator_vat_id=source.get("VOLTWAY_OPERATOR_VAT_ID", "").strip(),
        catalog_poll_seconds=_int(source, "VOLTWAY_CATALOG_POLL_MS", 1000, minimum=50) / 1000,
        heartbeat_window_seconds=_int(source, "VOLTWAY_HEARTBEAT_WINDOW", 600, minimum=10),
        ocpp_enabled=_bool(source, "VOLTWAY_OCPP_ENABLED", default=True),
        ocpp_host=source.get("VOLTWAY_OCPP_HOST", "").strip() or source.get("VOLTWAY_HOST", "").strip() or "127.0.0.1",
        ocpp_port=_int(source, "VOLTWAY_OCPP_PORT", 9000),
        ocpp_heartbeat_interval=_int(source, "VOLTWAY_OCPP_HEARTBEAT_INTERVAL", 300, minimum=10),
        ocpp_command_timeout=float(_int(source, "VOLTWAY_OCPP_COMMAND_TIMEOUT", 30, minimum=1)),
        ocpp_clock_future_margin_seconds=float(_int(source, "VOLTWAY_OCPP_CLOCK_FUTURE_MARGIN", 900, minimum=1)),
        ocpp_tls_cert=source.get("VOLTWAY_OCPP_TLS_CERT", "").strip(),
        ocpp_tls_key=source.get("VOLTWAY_OCPP_TLS_KEY", "").strip(),
        demo_charger_password=_demo_charger_password(source),
        session_start_timeout_seconds=_int(source, "VOLTWAY_SESSION_START_TIMEOUT", 60, minimum=5),
        session_stale_hours=_int(source, "VOLTWAY_SESSION_STALE_HOURS", 24, minimum=1),
        max_active_sessions_per_driver=_int(source, "VOLTWAY_MAX_ACTIVE_SESSIONS_PER_DRIVER", 1),
        payment_hold_caps=_hold_caps(source),
        payment_hold_energy_kwh=_int(source, "VOLTWAY_PAYMENT_HOLD_ENERGY_KWH", 60, minimum=1),
        payment_hold_minutes=_int(source, "VOLTWAY_PAYMENT_HOLD_MINUTES", 120, minimum=1),
        idle_fee_per_minute=_amount(source, "VOLTWAY_IDLE_FEE_PER_MINUTE"),
        idle_fee_grace_minutes=_int(source, "VOLTWAY_IDLE_FEE_GRACE_MINUTES", 15),
        idle_fee_cap=_amount(source, "VOLTWAY_IDLE_FEE_CAP"),
        notification_provider=_notification_provider(source),
        notification_webhook_url=source.get("VOLTWAY_NOTIFICATION_WEBHOOK_URL", "").strip(),
        payment_provider=_payment_provider(source),
        stripe_secret_key=source.get("VOLTWAY_STRIPE_SECRET_KEY", "").strip(),
        stripe_publishable_key=source.get("VOLTWAY_STRIPE_PUBLISHABLE_KEY", "").strip(),
        stripe_webhook_secret=source.get("VOLTWAY_STRIPE_WEBHOOK_SECRET", "").strip(),
        stripe_api_base=_stripe_api_base(source),
        metrics_token=_metrics_token(source),
        trusted_proxies=_trusted_proxies(source),
        guest_starts_per_address_per_hour=_int(source, "VOLTWAY_GUEST_STARTS_PER_ADDRESS_PER_HOUR", 10),
        guest_starts_per_evse_per_hour=_int(source, "VOLTWAY_GUEST_STARTS_PER_EVSE_PER_HOUR", 10),
        mail_per_address_per_hour=_int(source, "VOLTWAY_MAIL_PER_ADDRESS_PER_HOUR", 5),
        login_backoff_max_seconds=_int(source, "VOLTWAY_LOGIN_BACKOFF_MAX", 60, minimum=1),
        login_client_backoff_max_seconds=_int(source, "VOLTWAY_LOGIN_CLIENT_BACKOFF_MAX", 900, minimum=1),
        max_devices_per_account=_int(source, "VOLTWAY_MAX_DEVICES_PER_ACCOUNT", 20),
        max_cards_per_account=_int(source, "VOLTWAY_MAX_CARDS_PER_ACCOUNT", 20),
        max_conversations_per_day=_int(source, "VOLTWAY_MAX_CONVERSATIONS_PER_DAY", 50),
        ocpp_tls_client_ca=source.get("VOLTWAY_OCPP_TLS_CLIENT_CA", "").strip(),
        ocpp_csms_organization=source.get("VOLTWAY_OCPP_CSMS_ORGANIZATION", "").strip(),
        ocpp_ca_cert=source.get("VOLTWAY_OCPP_CA_CERT", "").strip(),
        ocpp_ca_key=source.get("VOLTWAY_OCPP_CA_KEY", "").strip(),
        ocpp_certificate_validity_days=_int(source, "VOLTWAY_OCPP_CERTIFICATE_VALIDITY_DAYS", 365, minimum=1),
        ocpp_ocsp_timeout_seconds=float(_int(source, "VOLTWAY_OCPP_OCSP_TIMEOUT", 3, minimum=1)),
        ocpp_master_pass_group_id=source.get("VOLTWAY_OCPP_MASTER_PASS_GROUP_ID", "").strip()[:36],
        ocpp_authorisation_upkeep_seconds=float(_int(source, "VOLTWAY_OCPP_AUTHORISATION_UPKEEP", 5, minimum=1)),
        chat_model=source.get("VOLTWAY_CHAT_MODEL", "").strip(),
        ocpp_onboarding_password=source.get("VOLTWAY_OCPP_ONBOARDING_PASSWORD", "").strip(),
        ocpp_pending_interval=_int(source, "VOLTWAY_OCPP_PENDING_INTERVAL", 60, minimum=1),
        ocpp_rejected_interval=_int(source, "VOLTWAY_OCPP_REJECTED_INTERVAL", 3600, minimum=1),
        support_sla_targets=source.get("VOLTWAY_SUPPORT_SLA", "").strip(),
        support_business_hours=source.get("VOLTWAY_SUPPORT_BUSINESS_HOURS", "").strip(),
        support_time_zone=source.get("VOLTWAY_SUPPORT_TIME_ZONE", "").strip() or "UTC",
        support_auto_close_days=_int(source, "VOLTWAY_SUPPORT_AUTO_CLOSE_DAYS", 4, minimum=1),
        support_reopen_days=_int(source, "VOLTWAY_SUPPORT_REOPEN_DAYS", 7, minimum=1),
        support_webhook_url=source.get("VOLTWAY_SUPPORT_WEBHOOK_URL", "").strip(),
        support_webhook_secret=source.get("VOLTWAY_SUPPORT_WEBHOOK_SECRET", "").strip(),
        operations_webhook_url=source.get("VOLTWAY_OPERATIONS_WEBHOOK_URL", "").strip(),
        operations_webhook_secret=source.get("VOLTWAY_OPERATIONS_WEBHOOK_SECRET", "").strip(),
        operations_time_zone=source.get("VOLTWAY_OPERATIONS_TIME_ZONE", "").strip() or "UTC",
        operations_quiet_hours=source.get("VOLTWAY_OPERATIONS_QUIET_HOURS", "").strip(),
        operations_digest_time=source.get("VOLTWAY_OPERATIONS_DIGEST_TIME", "").strip() or "08:00",
        operations_escalation_emails=tuple(
            e.strip() for e in source.get("VOLTWAY_OPERATIONS_ESCALATION_EMAILS", "").split(",") if e.strip()
        ),
        delivery_max_attempts=_int(source, "VOLTWAY_DELIVERY_MAX_ATTEMPTS", 12, minimum=1),
        delivery_backoff_seconds=float(_int(source, "VOLTWAY_DELIVERY_BACKOFF", 10, minimum=1)),
        delivery_backoff_cap_seconds=float(_int(source, "VOLTWAY_DELIVERY_BACKOFF_CAP", 3600, minimum=1)),
        ocpp_journal_size=_int(source, "VOLTWAY_OCPP_JOURNAL_SIZE", 50),
        ocpi_token_key=source.get("VOLTWAY_OCPI_TOKEN_KEY", "").strip(),
        ocpi_base_url=_ocpi_base_url(source),
        ocpi_page_limit=_int(source, "VOLTWAY_OCPI_PAGE_LIMIT", 1000, minimum=1),
        ocpi_timeout_seconds=float(_int(source, "VOLTWAY_OCPI_TIMEOUT", 15, minimum=1)),
        open_data_feed=_bool(source, "VOLTWAY_OPEN_DATA_FEED", default=False),
        open_data_requests_per_minute=_int(source, "VOLTWAY_OPEN_DATA_REQUESTS_PER_MINUTE", 60),
        open_data_max_age_seconds=_int(source, "VOLTWAY_OPEN_DATA_MAX_AGE", 60),
        ocpi_document_refresh_seconds=_int(source, "VOLTWAY_OCPI_DOCUMENT_REFRESH", 5),
    )
    try:
        build_policy(settings.support_sla_targets, settings.support_business_hours, settings.support_time_zone)
    except SlaConfigError as exc:
        raise SettingsError(f"VOLTWAY_SUPPORT_SLA / _BUSINESS_HOURS / _TIME_ZONE: {exc}") from None
    if 0 < len(settings.ocpp_onboarding_password) < 16:
        raise SettingsError("VOLTWAY_OCPP_ONBOARDING_PASSWORD must be at least 16 characters long")
    check_payment_settings(settings)
    if settings.notification_provider == "webhook" and not settings.notification_webhook_url.startswith(
        ("http://", "https://")
    ):
        raise SettingsError("VOLTWAY_NOTIFICATION_WEBHOOK_URL must be an http(s) URL when the provider is webhook")
    if settings.support_webhook_url and not settings.support_webhook_url.startswith(("http://", "https://")):
        raise SettingsError("VOLTWAY_SUPPORT_WEBHOOK_URL must be an http(s) URL")
    if settings.support_webhook_url and len(settings.support_webhook_secret) < 16:
        raise SettingsError("VOLTWAY_SUPPORT_WEBHOOK_SECRET must be set (16 characters or more) with the webhook URL")
    check_operations_settings(settings)
    if bool(settings.ocpp_tls_cert) != bool(settings.ocpp_tls_key):
        raise SettingsError("VOLTWAY_OCPP_TLS_CERT and VOLTWAY_OCPP_TLS_KEY must be set together")
    if settings.ocpp_tls_client_ca and not settings.ocpp_tls_cert:
        raise SettingsError("VOLTWAY_OCPP_TLS_CLIENT_CA (security profile 3) needs VOLTWAY_OCPP_TLS_CERT and _KEY")
    if bool(settings.ocpp_ca_cert) != bool(settings.ocpp_ca_key):
        raise SettingsError("VOLTWAY_OCPP_CA_CERT and VOLTWAY_OCPP_CA_KEY must be set together")
    # Last, so a typo elsewhere is reported before a key file is written.
    secret_key = resolve_secret_key(source.get("VOLTWAY_SECRET_KEY", "").strip(), env, data_dir)
    check_production_settings(settings)
    return msgspec.structs.replace(settings, secret_key=secret_key)


def export_for_workers(settings: Settings) -> None:
    """Worker processes build their settings from the environment: hand them what the command line changed."""
    os.environ.update(
        {
            "VOLTWAY_HOST": settings.host,
            "VOLTWAY_PORT": str(settings.port),
            "VOLTWAY_WORKERS": str(settings.workers),
            "VOLTWAY_OCPP_PORT": str(settings.ocpp_port),
            "VOLTWAY_OCPP_ENABLED": "true" if settings.ocpp_enabled else "false",
        }
    )
