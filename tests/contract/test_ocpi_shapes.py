"""What we send in the handshake has the shape of the OCPI 2.2.1 spec's examples: versions, version details and
our credentials object."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import pytest

from api.domain.ocpi.credentials import our_credentials
from api.domain.ocpi.envelope import encode
from api.domain.ocpi.schemas import Endpoint, Version, VersionDetails
from tests.ocpi_shapes import shape_differences, spec_example
from tests.support import make_settings

pytestmark = pytest.mark.shared


def _wire(value: object) -> Any:
    return msgspec.json.decode(encode(value))


def test_our_credentials_have_the_examples_shape(shared_dir: Path) -> None:
    ours = _wire(our_credentials(make_settings(), "token-c", "https://ocpi.example.com/ocpi/versions"))
    assert shape_differences(ours, spec_example(shared_dir, "credentials_example.json")) == []
    full = spec_example(shared_dir, "credentials_example3.json")
    assert shape_differences(ours, full, optional=frozenset({"website", "logo"})) == []


def test_versions_and_details_have_the_examples_shape(shared_dir: Path) -> None:
    versions = _wire([Version(version="2.2.1", url="https://ocpi.example.com/ocpi/2.2.1")])
    assert shape_differences(versions, spec_example(shared_dir, "versions_info_example.json")) == []
    details = _wire(
        VersionDetails(
            version="2.2.1",
            endpoints=[Endpoint(identifier="credentials", role="SENDER", url="https://x/ocpi/cpo/2.2.1/credentials")],
        )
    )
    assert shape_differences(details, spec_example(shared_dir, "version_details_example.json")) == []


def test_the_shape_check_notices_differences() -> None:
    assert shape_differences({"a": 1, "b": "x"}, {"a": "1", "c": 2}) == [
        "$.b: not in the example",
        "$.c: missing",
        "$.a: number, the example has string",
    ]
