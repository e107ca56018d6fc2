"""Where deliveries go: named targets with their address and signing secret, registered from the settings.

A feature that sends elsewhere registers its target here (for example one `ocpi:<partner>` per roaming partner)
and enqueues messages by the target's name.
"""

from __future__ import annotations

from typing import Final

import msgspec

from api.settings import Settings

SUPPORT_WEBHOOK: Final = "support_webhook"
OPERATIONS_WEBHOOK: Final = "operations_webhook"


class Target(msgspec.Struct, frozen=True):
    name: str
    url: str
    secret: str


class UnknownTarget(LookupError):
    """A delivery names a target no one registered."""


class Targets:
    """The registry: target name -> address and secret."""

    def __init__(self) -> None:
        self._targets: dict[str, Target] = {}

    def register(self, target: Target) -> None:
        self._targets[target.name] = target

    def get(self, name: str) -> Target | None:
        return self._targets.get(name)

    def require(self, name: str) -> Target:
        target = self._targets.get(name)
        if target is None:
            raise UnknownTarget(f"no delivery target named {name!r} is configured")
        return target

    def names(self) -> list[str]:
        return sorted(self._targets)


def targets_from_settings(settings: Settings) -> Targets:
    """The targets the settings configure (only those with an address)."""
    targets = Targets()
    if settings.support_webhook_url:
        targets.register(Target(SUPPORT_WEBHOOK, settings.support_webhook_url, settings.support_webhook_secret))
    if settings.operations_webhook_url:
        targets.register(
            Target(OPERATIONS_WEBHOOK, settings.operations_webhook_url, settings.operations_webhook_secret)
        )
    return targets
