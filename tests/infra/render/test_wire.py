"""The render hides secret values but keeps the shape of secret mappings.

Guards: a Kubernetes Secret's `stringData` rendered as one string (schema-invalid, so every Secret would fail the
schema gate) and, above all, a secret value leaking into the render.
"""

from __future__ import annotations

from infra.render import wire


def secret(value: object) -> dict[str, object]:
    return {wire.SIG_KEY: wire.SECRET_SIG, "value": value}


def test_secret_mapping_keeps_its_keys_and_hides_its_values() -> None:
    assert wire.to_plain({"stringData": secret({"api-key": "VALUE", "b": "OTHER"})}) == {
        "stringData": {"api-key": "[secret]", "b": "[secret]"}
    }


def test_secret_scalar_and_list_items_are_hidden() -> None:
    assert wire.to_plain(secret("VALUE")) == "[secret]"
    assert wire.to_plain(secret(["VALUE", "OTHER"])) == ["[secret]", "[secret]"]


def test_secret_output_value_mapping_keeps_its_keys() -> None:
    output = {wire.SIG_KEY: wire.OUTPUT_VALUE_SIG, "secret": True, "value": {"k": "VALUE"}}
    assert wire.to_plain(output) == {"k": "[secret]"}


def test_the_signatures_are_the_sdks() -> None:
    """The render reads the SDK's wire format with its own copy of these private constants (`pulumi.runtime.rpc`):
    after a Pulumi upgrade that changed one, secrets and unknowns would no longer be recognised."""
    from pulumi.runtime import rpc

    sdk = {
        "SIG_KEY": rpc._special_sig_key,
        "SECRET_SIG": rpc._special_secret_sig,
        "OUTPUT_VALUE_SIG": rpc._special_output_value_sig,
        "RESOURCE_SIG": rpc._special_resource_sig,
        "ASSET_SIG": rpc._special_asset_sig,
        "ARCHIVE_SIG": rpc._special_archive_sig,
        "UNKNOWN_VALUE": rpc.UNKNOWN,
    }
    assert {name: getattr(wire, name) for name in sdk} == sdk
