"""Running `voltway serve` for a person: refusing busy ports in one line, the demo's simulated chargers, and the
one summary line that ends start-up."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import uvicorn

if TYPE_CHECKING:
    from api.domain.chargers.runtime import BridgeRuntime
    from api.settings import Settings

MAX_WEBSOCKET_MESSAGE_BYTES = 64 * 1024  # the app's live socket only receives pings and close frames
SIMULATOR_CONNECT_SECONDS = 90.0  # the demo's thousand chargers connect in a few seconds; give up waiting after this
SIMULATOR_SETTLE_SECONDS = 5.0  # stop waiting when no further charger connected for this long


class PortBusy(Exception):
    """A port `voltway serve` should listen on is taken; the message says which and how to choose another."""


def check_port_free(host: str, port: int, what: str, how_to_change: str) -> None:
    """Fail early, in one line, when `host:port` cannot be listened on (servers bind the same way: SO_REUSEADDR)."""
    if port == 0:
        return
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise PortBusy(f"cannot listen on {host!r} for {what}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            reason = "is already in use" if exc.errno in {98, 48, 10048} else f"cannot be used ({exc.strerror})"
            raise PortBusy(
                f"port {port} on {host} ({what}) {reason}: stop what listens there or choose another "
                f"port with {how_to_change}"
            ) from None


def summary_line(
    settings: Settings,
    *,
    api_port: int,
    ocpp_port: int | None,
    chargers: int,
    simulated: int | None,
    demo_logins: Sequence[str] = (),
) -> str:
    """The line that ends start-up: where everything is, how many chargers are connected, and the demo logins."""
    from api.seed import DEMO_PASSWORD

    host = "127.0.0.1" if settings.host in {"0.0.0.0", "::", ""} else settings.host  # noqa: S104 (a printed URL)
    api = f"http://{host}:{api_port}"
    parts = [f"Voltway is ready: API {api}", f"docs {api}/schema"]
    if ocpp_port is not None:
        ocpp_host = "127.0.0.1" if settings.ocpp_host in {"0.0.0.0", "::", ""} else settings.ocpp_host  # noqa: S104
        scheme = "wss" if settings.ocpp_tls_cert else "ws"
        parts.append(f"OCPP {scheme}://{ocpp_host}:{ocpp_port}/ocpp/{{id}}")
        parts.append(
            f"{chargers} of {simulated} simulated chargers connected" if simulated else f"{chargers} chargers connected"
        )
    if demo_logins:
        parts.append(f"demo logins {', '.join(demo_logins)} (password {DEMO_PASSWORD})")
    return "; ".join(parts) + ". Ctrl-C stops."


class AnnouncingServer(uvicorn.Server):
    """uvicorn's server that, once listening, starts the demo's simulated chargers (when asked) and prints the
    summary line."""

    def __init__(
        self,
        config: uvicorn.Config,
        settings: Settings,
        bridge: BridgeRuntime | None,
        *,
        simulate: int,
        demo_logins: Sequence[str],
    ) -> None:
        super().__init__(config)
        self.settings = settings
        self.demo_logins = demo_logins
        self.bridge = bridge
        self.simulate = simulate
        self.simulator: asyncio.subprocess.Process | None = None
        self._announcing: asyncio.Task[None] | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self._announcing = asyncio.create_task(self._announce())

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self._announcing is not None:
            self._announcing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._announcing
        await self._stop_simulator()
        await super().shutdown(sockets)

    def _connected(self) -> int:
        return len(self.bridge.central.chargers()) if self.bridge is not None else 0

    async def _announce(self) -> None:
        api_port = self.servers[0].sockets[0].getsockname()[1] if self.servers else self.settings.port
        ocpp_port = self.bridge.port if self.bridge is not None else None
        if self.simulate and ocpp_port is not None:
            await self._start_simulator(ocpp_port)
            await self._wait_for_chargers()
        line = summary_line(
            self.settings,
            api_port=api_port,
            ocpp_port=ocpp_port,
            chargers=self._connected(),
            simulated=self.simulate or None,
            demo_logins=self.demo_logins,
        )
        print(line, flush=True)

    async def _start_simulator(self, ocpp_port: int) -> None:
        url = f"ws://127.0.0.1:{ocpp_port}/ocpp"
        self.simulator = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "api",
            "simulate",
            "--id-prefix",
            "SIM-",
            "--url",
            url,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
        )

    async def _wait_for_chargers(self) -> None:
        deadline = time.monotonic() + SIMULATOR_CONNECT_SECONDS
        count, changed = self._connected(), time.monotonic()
        while count < self.simulate and time.monotonic() < deadline:
            if self.simulator is not None and self.simulator.returncode is not None:
                return
            if count and time.monotonic() - changed > SIMULATOR_SETTLE_SECONDS:
                return
            await asyncio.sleep(0.2)
            if (now := self._connected()) != count:
                count, changed = now, time.monotonic()

    async def _stop_simulator(self) -> None:
        process, self.simulator = self.simulator, None
        if process is None or process.returncode is not None:
            return
        process.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(process.wait(), timeout=15)
        except TimeoutError:
            process.kill()
            await process.wait()


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn options every way of serving shares: the WebSocket message limit, and which proxies' forwarding
    headers to believe (the app limits bodies and request heads itself).

    X-Forwarded-For decides the client address that rate limits count by, so only the configured proxies may set
    it (none by default: then the peer address is the client)."""
    trusted = ",".join(settings.trusted_proxies)
    return {
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted or "",
        "ws_max_size": MAX_WEBSOCKET_MESSAGE_BYTES,
        "log_config": None,
        "access_log": False,
    }


def server_config(app: Any, settings: Settings) -> uvicorn.Config:
    return uvicorn.Config(app, host=settings.host, port=settings.port, **server_options(settings))


def run_server(app: Any, settings: Settings, *, simulate: int = 0, demo_logins: Sequence[str] = ()) -> None:
    """Serve `app` on the settings' host and port, announcing itself once listening."""
    config = server_config(app, settings)
    bridge = app.state.get("bridge")
    AnnouncingServer(config, settings, bridge, simulate=simulate, demo_logins=demo_logins).run()
