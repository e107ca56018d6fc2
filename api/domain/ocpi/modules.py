"""The OCPI modules we implement: the router mounts their controllers under /ocpi/cpo/2.2.1 and the version
details list each one with its role and URL.

Each module appends its own entry below (one line each). `path` is the module's controller path (e.g.
"/locations"), relative to /ocpi/cpo/2.2.1.
"""

from __future__ import annotations

from typing import Literal

import msgspec
from litestar import Controller

from api.domain.ocpi.cdrs import OcpiCdrsController
from api.domain.ocpi.command_receiver import CommandsController
from api.domain.ocpi.credentials import CredentialsController
from api.domain.ocpi.locations import OcpiLocationsController
from api.domain.ocpi.sessions import OcpiSessionsController
from api.domain.ocpi.tariffs import OcpiTariffsController
from api.domain.ocpi.tokens import TokensController


class OcpiModule(msgspec.Struct, frozen=True):
    identifier: str
    role: Literal["SENDER", "RECEIVER"]
    path: str
    controllers: list[type[Controller]]


OCPI_MODULES: list[OcpiModule] = [
    OcpiModule("credentials", "SENDER", "/credentials", [CredentialsController]),
    OcpiModule("locations", "SENDER", "/locations", [OcpiLocationsController]),
    OcpiModule("tariffs", "SENDER", "/tariffs", [OcpiTariffsController]),
    OcpiModule("sessions", "SENDER", "/sessions", [OcpiSessionsController]),
    OcpiModule("cdrs", "SENDER", "/cdrs", [OcpiCdrsController]),
    OcpiModule("tokens", "RECEIVER", "/tokens", [TokensController]),
    OcpiModule("commands", "RECEIVER", "/commands", [CommandsController]),
]
