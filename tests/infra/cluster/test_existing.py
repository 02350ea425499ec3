"""`cluster.kind: existing`: the platform deploys with the user's kubeconfig, kept secret, in the context they chose."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest
import yaml

from infra.cluster.existing import ExistingCluster, ExistingClusterArgs, select_context
from infra.config.cluster import ExistingClusterSettings
from tests.support.render import render_component

KUBECONFIG = yaml.safe_dump(
    {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "a", "cluster": {"server": "https://a:6443"}}],
        "users": [{"name": "a", "user": {"token": "t"}}],
        "contexts": [
            {"name": "staging", "context": {"cluster": "a", "user": "a"}},
            {"name": "lab", "context": {"cluster": "a", "user": "a"}},
        ],
        "current-context": "staging",
    }
)


def test_context_is_selected() -> None:
    assert yaml.safe_load(select_context(KUBECONFIG, "lab"))["current-context"] == "lab"


def test_without_context_the_kubeconfig_is_untouched() -> None:
    assert select_context(KUBECONFIG, None) == KUBECONFIG


def test_unknown_context_names_the_key() -> None:
    with pytest.raises(ValueError, match=r"cluster.existing.context 'prod' is not in the kubeconfig"):
        select_context(KUBECONFIG, "prod")


def test_kubeconfig_stays_secret_and_the_handle_describes_the_cluster() -> None:
    def build(_: pulumi.ResourceOptions) -> dict[str, Any]:
        cluster = ExistingCluster(
            "mine",
            ExistingClusterArgs(
                config=ExistingClusterSettings(context="lab", kubernetes_version="1.32", storage_class="standard"),
                kubeconfig=pulumi.Output.secret(KUBECONFIG),
            ),
        )
        handle = cluster.handle()
        return {
            "kubeconfig": handle.kubeconfig,
            "kind": handle.kind,
            "storageClass": handle.storage_class,
            "version": handle.kubernetes_version,
        }

    result = render_component(build)
    assert result.secret_outputs == {"kubeconfig"}
    assert yaml.safe_load(result.outputs["kubeconfig"])["current-context"] == "lab"
    assert (result.outputs["kind"], result.outputs["storageClass"], result.outputs["version"]) == (
        "existing",
        "standard",
        "1.32",
    )
    assert [r.type for r in result.resources if r.custom and not r.type.startswith("pulumi:providers:")] == []
