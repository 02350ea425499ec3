"""The verification reads its key where the gateway reads it: the rendered `apiKeyAuth` policy names the Secret
`tools/verify_stack.py` asks kubectl for, and that Secret (written in dev, synced from Key Vault in prod) holds an
entry for the `verify` client. Guards a rename on either side: the deploy would otherwise fail verification with
"no such key" on the first real `pulumi up`."""

from __future__ import annotations

from pathlib import Path

import yaml

from infra import topology
from infra.verify import credentials


def test_the_gateway_and_the_verification_read_the_same_secret_entry(rendered_dir: Path) -> None:
    manifests = rendered_dir / "manifests"
    policy = yaml.safe_load((manifests / "gateway--trafficpolicy--api-auth.yaml").read_text())
    assert policy["spec"]["apiKeyAuth"]["secretRef"]["name"] == credentials.KUBERNETES_SECRET_NAME
    assert policy["metadata"]["namespace"] == credentials.KUBERNETES_SECRET_NAMESPACE == topology.NAMESPACE_GATEWAY
    name = f"{credentials.KUBERNETES_SECRET_NAMESPACE}--secret--{credentials.KUBERNETES_SECRET_NAME}.yaml"
    written = manifests / name
    if written.exists():  # dev: the program writes the Secret
        entries = set(yaml.safe_load(written.read_text())["stringData"])
    else:  # prod: the CSI driver writes it from the SecretProviderClass's secretObjects
        provider = yaml.safe_load(
            (manifests / f"gateway--secretproviderclass--{credentials.KUBERNETES_SECRET_NAME}.yaml").read_text()
        )
        [synced] = [
            item
            for item in provider["spec"]["secretObjects"]
            if item["secretName"] == credentials.KUBERNETES_SECRET_NAME
        ]
        entries = {item["key"] for item in synced["data"]}
    assert credentials.KUBERNETES_SECRET_KEY in entries
