"""`voltway ocpi partners`: add a partner (printing its token A once), list, revoke, and our side of the
credentials handshake (register with a partner, update, unregister)."""

from __future__ import annotations

import argparse

from api.cli.command import CommandError, prepare_database, run_coroutine
from api.settings import load_settings


def cmd_ocpi(args: argparse.Namespace) -> int:
    from api.domain.ocpi import commands
    from api.domain.ocpi.partners import PartnerError
    from api.domain.ocpi.registration import RegistrationError
    from api.domain.ocpi.token_vault import TokenKeyError

    settings = load_settings()
    run_coroutine(prepare_database(settings))
    action = args.partners_command
    try:
        if action == "add":
            text = run_coroutine(
                commands.add(
                    settings, country_code=args.country_code, party_id=args.party_id, role=args.role, name=args.name
                )
            )
        elif action == "list":
            text = run_coroutine(commands.listing(settings))
        elif action == "revoke":
            text = run_coroutine(commands.revoke(settings, args.partner))
        elif action == "register":
            text = run_coroutine(
                commands.register(
                    settings,
                    versions_url=args.versions_url,
                    token=args.token,
                    country_code=args.country_code,
                    party_id=args.party_id,
                    role=args.role,
                    name=args.name,
                )
            )
        elif action == "update":
            text = run_coroutine(commands.update(settings, args.partner))
        else:
            text = run_coroutine(commands.unregister(settings, args.partner))
    except (PartnerError, RegistrationError, TokenKeyError) as exc:
        raise CommandError(str(exc)) from None
    print(text, end="")
    return 0


def _identity(parser: argparse.ArgumentParser, *, name_required: bool) -> None:
    parser.add_argument("--country-code", required=True, help="the partner's country code, e.g. NL")
    parser.add_argument("--party-id", required=True, help="the partner's party id (3 characters), e.g. ABC")
    parser.add_argument("--role", default="EMSP", help="its OCPI role: EMSP (default), HUB, NSP, NAP, CPO, OTHER")
    parser.add_argument("--name", required=name_required, default="", help="a name for people to recognise it")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `voltway ocpi`."""
    ocpi = commands.add_parser(
        "ocpi", help="OCPI roaming partners", description="OCPI 2.2.1: the platforms that exchange data with us."
    )
    groups = ocpi.add_subparsers(dest="ocpi_command", required=True, metavar="GROUP")
    partners = groups.add_parser("partners", help="manage OCPI partners", description="Manage OCPI partners.")
    actions = partners.add_subparsers(dest="partners_command", required=True, metavar="ACTION")
    add = actions.add_parser(
        "add",
        help="create a partner and its token A",
        description="Create a partner that will register with us; prints its token A once (only a hash is kept).",
    )
    _identity(add, name_required=True)
    actions.add_parser("list", help="list partners", description="List partners with their status (never tokens).")
    revoke = actions.add_parser(
        "revoke", help="disable all tokens of a partner", description="Disable every token of a partner at once."
    )
    revoke.add_argument("partner", help="the partner's id or COUNTRY/PARTY[/ROLE], e.g. NL/ABC/EMSP")
    join = actions.add_parser(
        "register",
        help="register with a partner",
        description="Register with a partner's platform, given its versions URL and the token A it handed us.",
    )
    join.add_argument("versions_url", help="the partner's versions URL")
    join.add_argument("token", help="the token A the partner gave us")
    _identity(join, name_required=False)
    update = actions.add_parser(
        "update",
        help="send fresh credentials to a partner we registered with",
        description="Send the partner a new token for calling us, and read its endpoints again.",
    )
    update.add_argument("partner", help="the partner's id or COUNTRY/PARTY[/ROLE]")
    leave = actions.add_parser(
        "unregister",
        help="unregister from a partner",
        description="Tell the partner our credentials are no longer valid; its tokens stop working here too.",
    )
    leave.add_argument("partner", help="the partner's id or COUNTRY/PARTY[/ROLE]")
    ocpi.set_defaults(handler=cmd_ocpi)
