"""Configuration of the OCPP central system; the application builds it, nothing here reads the environment."""

from __future__ import annotations

from typing import Annotated

import msgspec

from ocpp_bridge.errors import ConfigurationError

Positive = Annotated[float, msgspec.Meta(gt=0)]


class BridgeConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Listening address, protocol timings and limits of the websocket server.

    ``port=0`` binds a free port (see ``CentralSystem.port``). TLS (security profile 2) is on when both
    ``tls_cert_path`` and ``tls_key_path`` are set. Compression is off by default: permessage-deflate
    roughly triples the memory of an idle connection. ``close_timeout`` bounds how long a replaced or
    closing connection may delay its successor when the old peer no longer answers. ``open_timeout`` bounds
    the opening handshake (credential check included) and ``backlog`` is the listen queue: a reconnect storm of
    thousands of chargers must wait in them rather than be dropped. The ``auth_*`` limits throttle password
    guesses (see ``upgrade_throttle``); ``log_lines_per_minute`` bounds the warnings one charger can cause.
    """

    host: str = "0.0.0.0"  # noqa: S104 - a central system listens for chargers on every interface
    port: Annotated[int, msgspec.Meta(ge=0, le=65535)] = 9000
    heartbeat_interval: Annotated[int, msgspec.Meta(gt=0)] = 300
    command_timeout: Positive = 30.0
    max_frame_size: Annotated[int, msgspec.Meta(gt=0)] = 256 * 1024
    rate_limit_per_second: Positive = 20.0
    rate_limit_burst: Annotated[int, msgspec.Meta(gt=0)] = 60
    max_pending_calls: Annotated[int, msgspec.Meta(gt=0)] = 100
    ping_interval: Positive | None = 60.0
    ping_timeout: Positive | None = 30.0
    close_timeout: Positive = 2.0
    open_timeout: Positive | None = 60.0
    backlog: Annotated[int, msgspec.Meta(gt=0)] = 4096
    tls_cert_path: str | None = None
    tls_key_path: str | None = None
    compression: bool = False
    reuse_port: bool = False  # several worker processes share the port; the kernel spreads the chargers
    log_lines_per_minute: Annotated[int, msgspec.Meta(gt=0)] = 20  # warnings about one charger, then a summary
    # Password guesses: wrong passwords allowed per client address at once, and one more per refill period...
    auth_failures_per_address: Annotated[int, msgspec.Meta(gt=0)] = 10
    auth_address_refill_seconds: Positive = 6.0
    # ... and credential checks per charge point identity (all given back by the right password).
    auth_attempts_per_charger: Annotated[int, msgspec.Meta(gt=0)] = 5
    auth_charger_refill_seconds: Positive = 2.0
    # Security profile 3: request client certificates signed by this CA bundle (PEM); a charger of profile 3
    # authenticates by its certificate alone: CN = its identity and, when set, O = ``csms_organization``.
    tls_client_ca_path: str | None = None
    csms_organization: str | None = None
    # The message journal (see ``journal``): frames kept per charger (0: none), and how many disconnected chargers
    # keep theirs until they connect again.
    journal_size: Annotated[int, msgspec.Meta(ge=0)] = 50
    journal_retained: Annotated[int, msgspec.Meta(ge=0)] = 1000

    def __post_init__(self) -> None:
        if (self.tls_cert_path is None) != (self.tls_key_path is None):
            msg = "tls_cert_path and tls_key_path must be set together"
            raise ConfigurationError(msg)
        if self.tls_client_ca_path is not None and self.tls_cert_path is None:
            msg = "tls_client_ca_path (security profile 3) needs TLS: set tls_cert_path and tls_key_path"
            raise ConfigurationError(msg)

    @property
    def tls(self) -> bool:
        return self.tls_cert_path is not None
