"""`python -m infra.outputs validate` passes on the stack outputs exactly as the Pulumi SDK serializes them, for both
stacks: what `pulumi stack output --json` will print after the first real `pulumi up`.

Guards finding 3 of the first real deployment: the SDK drops outputs whose value is None, so dev had no
`resourceGroupName`, `location`, `oidcIssuerUrl` or `keyVaultUri`, and the deploy workflow's validation failed with
"Field required" (the render used to read the exports before that serialization, and hid it).
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.support import run_module

AZURE_ONLY = {"resourceGroupName", "location", "oidcIssuerUrl", "keyVaultUri"}


def test_the_outputs_cli_accepts_what_the_sdk_exports(rendered_dir: Path, tmp_path: Path) -> None:
    outputs = json.loads((rendered_dir / "resources.json").read_text())["outputs"]
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs))

    validated = run_module("infra.outputs", "validate", str(path))

    assert validated.returncode == 0, validated.stderr
    assert None not in outputs.values()
    expected_azure = AZURE_ONLY if outputs["environment"] == "prod" else set()
    assert AZURE_ONLY & set(outputs) == expected_azure
