"""The committed message modules are exactly what the generator makes from the installed schemas."""

from __future__ import annotations

import pytest

from ocpp_bridge import schema_codegen


@pytest.mark.parametrize("version", sorted(schema_codegen.VERSIONS))
def test_generated_modules_are_up_to_date(version: str) -> None:
    committed = schema_codegen.target_path(version).read_text(encoding="utf-8")
    assert schema_codegen.generate(version) == committed, "run: python -m ocpp_bridge.schema_codegen"


@pytest.mark.parametrize(
    ("json_name", "attribute"),
    [
        ("idTag", "id_tag"),
        ("chargePointSerialNumber", "charge_point_serial_number"),
        ("type", "type_"),
        ("fullSoC", "full_soc"),
        ("iso15118SchemaVersion", "iso15118_schema_version"),
        ("evseId", "evse_id"),
    ],
)
def test_attribute_names(json_name: str, attribute: str) -> None:
    assert schema_codegen.snake_case(json_name) == attribute
