"""The fault tests use the integration tests' localstripe server (started once per run)."""

from tests.integration.conftest import localstripe_url

__all__ = ["localstripe_url"]
