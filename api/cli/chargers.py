"""`voltway ocpp`, `simulate`, `chargers` and `tokens`: the OCPP bridge alone, simulated chargers, and provisioning
the chargers and RFID cards that may use it."""

from __future__ import annotations

import argparse
import asyncio
from typing import TYPE_CHECKING

import msgspec

from api.cli import authorisation
from api.cli.command import (
    CommandError,
    check_ports,
    msgspec_replace,
    prepare_database,
    run_coroutine,
    stop_on_signal,
)
from api.settings import load_settings

if TYPE_CHECKING:
    from ocpp_bridge.simulator import SimulationReport, SimulatorConfig


def cmd_ocpp(args: argparse.Namespace) -> int:
    """Run only the OCPP bridge (no HTTP API), e.g. on machines dedicated to charger connections."""
    from api.domain.chargers.runtime import BridgeRuntime
    from api.logs import configure_logging
    from api.services import build_services, close_services

    settings = load_settings()
    if args.port is not None:
        settings = msgspec_replace(settings, ocpp_port=args.port)
    if args.host:
        settings = msgspec_replace(settings, ocpp_host=args.host)
    check_ports(settings, api=False)
    configure_logging(settings.log_level, settings.log_format)
    run_coroutine(prepare_database(settings))

    async def run() -> int:
        services = build_services(msgspec_replace(settings, ocpp_enabled=False))
        bridge = BridgeRuntime(settings, services.session_factory)
        stop = asyncio.Event()
        stop_on_signal(stop.set)
        await bridge.start()
        print(f"OCPP bridge listening on ws://{settings.ocpp_host}:{bridge.port}/ocpp/{{charger id}}", flush=True)
        try:
            await stop.wait()
        finally:
            await bridge.stop()
            await close_services(services)
        return 0

    return run_coroutine(run())


def cmd_simulate(args: argparse.Namespace) -> int:
    from ocpp_bridge.simulator import ChargerRating, SimulatorConfig

    settings = load_settings()
    chargers = args.chargers
    ratings: dict[str, ChargerRating] = {}
    if args.meter_interval <= 0:
        raise CommandError("--meter-interval must be a positive number of seconds")
    if chargers is None:
        from api.domain.chargers.provisioning import charger_ratings, count_chargers
        from api.services import open_services

        async def count() -> tuple[int, dict[str, tuple[int, bool]]]:
            async with open_services(settings) as services, services.session_factory() as session:
                return await count_chargers(session, args.id_prefix), await charger_ratings(session, args.id_prefix)

        chargers, rated = run_coroutine(count())
        # each simulated charger delivers what its provisioned connectors are rated for
        ratings = {ocpp_id: ChargerRating(float(watts), dc) for ocpp_id, (watts, dc) in rated.items()}
        if chargers == 0:
            raise CommandError(f"no chargers with ids starting {args.id_prefix!r}: run `voltway seed demo` first")
    if chargers < 1:
        raise CommandError("--chargers must be at least 1")
    derate: dict[str, float] = {}
    for item in args.derate or []:
        charger_id, _, kw = item.partition("=")
        try:
            derate[charger_id.strip()] = float(kw) * 1000
        except ValueError:
            raise CommandError(f"--derate takes CHARGER_ID=KW, e.g. SIM-00001=20, not {item!r}") from None
    url = args.url or f"ws://127.0.0.1:{settings.ocpp_port}/ocpp"
    config = SimulatorConfig(
        url=url,
        chargers=chargers,
        ocpp_version=args.ocpp,
        id_prefix=args.id_prefix,
        password=args.password or settings.demo_charger_password,
        duration=args.duration,
        seed=args.seed,
        fault_rate=args.fault_rate,
        arrival_rate=args.arrival_rate,
        speed=args.speed,
        clock_offset_seconds=args.clock_offset,
        meter_interval=args.meter_interval,
        ratings=ratings,
        derate=derate,
        ev_charging_needs=args.ev_charging_needs,
        tls_ca=args.tls_ca,
        tls_client_cert=args.client_cert,
        tls_client_key=args.client_key,
        firmware_update_fails=args.firmware_update_fails,
    )
    if (args.client_cert is None) != (args.client_key is None):
        raise CommandError("--client-cert and --client-key go together")
    report = run_coroutine(_simulate_until_stopped(config))
    print(msgspec.json.format(msgspec.json.encode(report)).decode())
    return 0


async def _simulate_until_stopped(config: SimulatorConfig) -> SimulationReport:
    """Ctrl-C or SIGTERM ends the run early, with every charger disconnected and the report printed."""
    from ocpp_bridge.simulator import Simulation

    simulation = Simulation(config)
    stop_on_signal(simulation.request_stop)
    print(f"simulating {config.chargers} OCPP {config.ocpp_version} chargers against {config.url}", flush=True)
    return await simulation.run()


def cmd_chargers(args: argparse.Namespace) -> int:
    import uuid

    if args.chargers_command == "local-list":
        from api.cli.authorisation import cmd_local_list

        return cmd_local_list(args)
    from decimal import Decimal, InvalidOperation

    from api.domain.chargers.provisioning import add_charger, list_chargers
    from api.services import open_services

    settings = load_settings()
    run_coroutine(prepare_database(settings))

    async def run() -> int:
        async with open_services(settings) as services, services.session_factory() as session:
            if args.chargers_command == "list":
                print(
                    f"{'ID':<20} {'CONNECTED':<9} {'REGISTRATION':<12} {'EVSES':>5}  "
                    f"{'LAST SEEN':<25} {'CLOCK':<18} LOCATION"
                )
                for c in await list_chargers(session):
                    seen = c.last_seen.isoformat(timespec="seconds") if c.last_seen else "never"
                    state = "yes" if c.connected else "no"
                    print(
                        f"{c.ocpp_id:<20} {state:<9} {c.registration_status:<12} {c.evses:>5}  "
                        f"{seen:<25} {c.clock:<18} {c.location_name}"
                    )
                return 0
            try:
                location = uuid.UUID(args.location) if args.location else None
            except ValueError:
                raise CommandError(f"--location must be a station id (UUID), got {args.location!r}") from None
            try:
                power = Decimal(args.max_power_kw)
            except InvalidOperation:
                raise CommandError(f"--max-power-kw must be a number, got {args.max_power_kw!r}") from None
            coordinates = (args.lat, args.lon) if args.lat is not None and args.lon is not None else None
            try:
                station, created = await add_charger(
                    session,
                    ocpp_id=args.id,
                    password=args.password,
                    country_code=settings.ocpi_country_code,
                    party_id=settings.ocpi_party_id,
                    location_id=location,
                    evses=args.evses,
                    standard=args.connector,
                    max_power_kw=power,
                    tariff_id=args.tariff,
                    coordinates=coordinates,
                    name=args.name,
                )
            except ValueError as exc:
                raise CommandError(str(exc)) from None
            if created:
                print(f"provisioned charger {args.id} with {args.evses} EVSE(s) at location {station.location_id}")
            else:
                print(f"charger {args.id} exists; its password was changed")
            return 0

    return run_coroutine(run())


def cmd_charger_operation(args: argparse.Namespace) -> int:
    """`voltway chargers rotate-password|approve|block|unblock|audit ID`: through the relay to the charger."""
    import uuid

    from api.domain.chargers import audit, registration
    from api.domain.chargers.operations import ChargerOperations, UnknownCharger
    from api.domain.chargers.provisioning import ProvisioningError
    from api.domain.chargers.reach import SQLITE_UNREACHABLE, relayed_sender
    from api.services import open_services
    from ocpp_bridge import errors as ocpp_errors

    settings = load_settings()
    run_coroutine(prepare_database(settings))
    location = None
    if getattr(args, "location", None):
        try:
            location = uuid.UUID(args.location)
        except ValueError:
            raise CommandError(f"--location must be a location id (UUID), got {args.location!r}") from None

    async def run() -> int:
        async with open_services(settings) as services, relayed_sender(settings, services.session_factory) as send:
            operations = ChargerOperations(services.session_factory, send)
            what = args.chargers_command
            try:
                if what == "audit":
                    station = await operations.station(args.id)
                    async with services.session_factory() as session:
                        for entry in await audit.list_entries(session, station.id):
                            at = entry.at.isoformat(timespec="seconds")
                            print(
                                f"{at}  {entry.actor:<44} {entry.action:<24} {entry.outcome:<16} {entry.detail or ''}"
                            )
                elif what in {"rotate-password", "approve"} and settings.is_sqlite:
                    await operations.station(args.id)
                    raise CommandError(SQLITE_UNREACHABLE.format(charger_id=args.id))
                elif what == "rotate-password":
                    result = await operations.rotate_password(audit.CLI, args.id)
                    print(f"charger {args.id} answered {audit.outcome_of_result(result)}", end="")
                    print(
                        ": its new password works, and the old one until it connects with the new one"
                        if audit.outcome_of_result(result) in {"Accepted", "RebootRequired"}
                        else ": it keeps its old password"
                    )
                elif what == "approve":
                    await operations.approve(audit.CLI, args.id, location)
                    print(f"charger {args.id} approved: it has a password of its own and is asked to boot again")
                else:
                    status = registration.BLOCKED if what == "block" else registration.ACCEPTED
                    await operations.set_registration(audit.CLI, args.id, status)
                    print(f"charger {args.id} {what}ed: registration {status}")
                    print(
                        "a server holding its connection applies this within a minute (at once through the admin API)"
                    )
            except UnknownCharger as exc:
                raise CommandError(str(exc)) from None
            except (ocpp_errors.CommandError, ProvisioningError) as exc:
                raise CommandError(str(exc)) from None
            return 0

    return run_coroutine(run())


def cmd_tokens(args: argparse.Namespace) -> int:
    from api.domain.chargers.provisioning import ProvisioningError, add_token, block_token, list_tokens

    if args.tokens_command == "set":
        from api.cli.authorisation import cmd_token_set

        return cmd_token_set(args)
    from api.services import open_services

    settings = load_settings()
    run_coroutine(prepare_database(settings))

    async def run() -> int:
        async with open_services(settings) as services, services.session_factory() as session:
            try:
                if args.tokens_command == "add":
                    created = await add_token(session, args.uid, driver_email=args.driver)
                    print(f"token {args.uid} {'added' if created else 'updated'}")
                elif args.tokens_command == "block":
                    await block_token(session, args.uid)
                    print(f"token {args.uid} blocked")
                else:
                    for uid, kind, status, email in await list_tokens(session):
                        print(f"{uid:<24} {kind:<8} {status:<9} {email or ''}")
            except ProvisioningError as exc:
                raise CommandError(str(exc)) from None
            return 0

    return run_coroutine(run())


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `voltway ocpp`, `voltway simulate`, `voltway chargers` and `voltway tokens`."""
    ocpp = commands.add_parser("ocpp", help="the OCPP bridge alone", description="Run only the OCPP bridge.")
    ocpp_commands = ocpp.add_subparsers(dest="ocpp_command", required=True, metavar="ACTION")
    ocpp_serve = ocpp_commands.add_parser(
        "serve", help="accept charger connections", description="Accept charger connections (no HTTP API)."
    )
    ocpp_serve.add_argument("--host", help="address to listen on (VOLTWAY_OCPP_HOST)")
    ocpp_serve.add_argument("--port", type=int, help="port to listen on (VOLTWAY_OCPP_PORT, default 9000)")
    ocpp.set_defaults(handler=cmd_ocpp)

    simulate = commands.add_parser(
        "simulate", help="simulate chargers", description="Connect simulated OCPP chargers to a central system."
    )
    simulate.add_argument("--url", help="central system base URL (default ws://127.0.0.1:VOLTWAY_OCPP_PORT/ocpp)")
    simulate.add_argument("--chargers", type=int, help="how many (default: every provisioned charger with the prefix)")
    simulate.add_argument("--ocpp", choices=["1.6", "2.0.1"], default="1.6", help="protocol version (default 1.6)")
    simulate.add_argument("--id-prefix", default="SIM-", help="charger ids are PREFIX00001 ... (default SIM-)")
    simulate.add_argument("--password", help="charger password (default VOLTWAY_DEMO_CHARGER_PASSWORD)")
    simulate.add_argument("--duration", type=float, help="seconds to run (default: until interrupted)")
    simulate.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    simulate.add_argument("--fault-rate", type=float, default=0.05, help="faults per charger per simulated hour")
    simulate.add_argument("--speed", type=float, default=1.0, help="simulated seconds per real second")
    simulate.add_argument(
        "--arrival-rate",
        type=float,
        default=1.0,
        help="card-started sessions per charger per simulated hour (0: only remote starts)",
    )
    simulate.add_argument(
        "--clock-offset",
        type=float,
        default=0.0,
        help="seconds the chargers' clocks are ahead of the real time (negative: behind), as wrong clocks are",
    )
    simulate.add_argument(
        "--meter-interval",
        type=float,
        default=10.0,
        help="simulated seconds between meter values while charging (default 10; the first right after the start)",
    )
    simulate.add_argument(
        "--derate",
        action="append",
        metavar="CHARGER_ID=KW",
        help="this charger delivers at most KW whatever its rating, as a derating one does (repeatable)",
    )
    simulate.add_argument(
        "--ev-charging-needs",
        action="store_true",
        help="2.0.1: the car tells its energy, power and departure (NotifyEVChargingNeeds) as a transaction starts",
    )
    simulate.add_argument("--tls-ca", help="CA bundle (PEM) that signs the central system's certificate (wss:// URLs)")
    simulate.add_argument(
        "--client-cert",
        help="client certificate (PEM) to present (security profile 3; its CN names the one charger simulated)",
    )
    simulate.add_argument("--client-key", help="the client certificate's key (PEM)")
    simulate.add_argument(
        "--firmware-update-fails", action="store_true", help="firmware updates download but fail to install"
    )
    simulate.set_defaults(handler=cmd_simulate)

    chargers = commands.add_parser("chargers", help="provision chargers", description="Provision and list chargers.")
    charger_commands = chargers.add_subparsers(dest="chargers_command", required=True, metavar="ACTION")
    charger_add = charger_commands.add_parser(
        "add", help="provision a charger", description="Provision a charger, or change the password of one."
    )
    charger_add.add_argument("id", help="the charger's OCPP identity (charge point id)")
    charger_add.add_argument("--password", required=True, help="its Basic auth secret, at least 16 characters")
    charger_add.add_argument("--location", help="station id (UUID) to add it to; a new location otherwise")
    charger_add.add_argument("--evses", type=int, default=1, help="number of EVSEs (default 1)")
    charger_add.add_argument(
        "--connector", default="IEC_62196_T2", help="OCPI connector standard (default IEC_62196_T2)"
    )
    charger_add.add_argument("--max-power-kw", default="22", help="power per EVSE in kW (default 22)")
    charger_add.add_argument("--tariff", help="tariff id for its connectors")
    charger_add.add_argument("--lat", type=float, help="latitude of a new location (otherwise it stays off the map)")
    charger_add.add_argument("--lon", type=float, help="longitude of a new location")
    charger_add.add_argument("--name", help="name of a new location")
    charger_commands.add_parser("list", help="list chargers", description="List chargers and their connection state.")
    authorisation.register_local_list(charger_commands)
    chargers.set_defaults(handler=cmd_chargers)
    rotate = charger_commands.add_parser(
        "rotate-password",
        help="give a charger a new password",
        description="Send a charger a new generated password over OCPP and keep it once the charger accepts it.",
    )
    rotate.add_argument("id", help="the charger's OCPP identity")
    rotate.set_defaults(handler=cmd_charger_operation)
    approve = charger_commands.add_parser(
        "approve",
        help="approve a Pending charger",
        description="Accept an onboarded charger: it gets a password of its own and boots again, Accepted.",
    )
    approve.add_argument("id", help="the charger's OCPP identity")
    approve.add_argument("--location", help="location id (UUID) to move it to (default: its own, off the map)")
    approve.set_defaults(handler=cmd_charger_operation)
    for verb, text in (("block", "answer its BootNotification Rejected"), ("unblock", "accept it again")):
        blocking = charger_commands.add_parser(verb, help=text, description=f"{verb.capitalize()} a charger: {text}.")
        blocking.add_argument("id", help="the charger's OCPP identity")
        blocking.set_defaults(handler=cmd_charger_operation)
    trail = charger_commands.add_parser(
        "audit", help="what operators sent to a charger", description="Show a charger's command audit."
    )
    trail.add_argument("id", help="the charger's OCPP identity")
    trail.set_defaults(handler=cmd_charger_operation)

    tokens = commands.add_parser("tokens", help="RFID tokens", description="Manage RFID cards and fobs.")
    token_commands = tokens.add_subparsers(dest="tokens_command", required=True, metavar="ACTION")
    token_add = token_commands.add_parser("add", help="register a card", description="Register (or unblock) a card.")
    token_add.add_argument("uid", help="the card's id as the charger reads it")
    token_add.add_argument("--driver", help="email of the driver who owns it")
    token_block = token_commands.add_parser("block", help="block a card", description="Block a card.")
    token_block.add_argument("uid")
    token_commands.add_parser("list", help="list cards", description="List cards with owner and state.")
    authorisation.register_token_set(token_commands)
    tokens.set_defaults(handler=cmd_tokens)
