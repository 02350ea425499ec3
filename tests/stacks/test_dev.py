"""The dev stack: K3s (local or SSH) or a cluster the user brings, and never anything from Azure."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.support import REPO, RenderStack

SCENARIOS = {
    "local": ({}, {}),
    "remote": ({"cluster": {"k3s": {"host": "k3s.example.internal"}}}, {"sshPrivateKey": "key"}),
    "existing": ({"cluster": {"kind": "existing"}}, {"kubeconfig": "apiVersion: v1\nkind: Config\n"}),
}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_dev_declares_no_azure_resource(scenario: str, render_stack: RenderStack) -> None:
    overrides, secrets = SCENARIOS[scenario]
    result = render_stack("dev", overrides, secrets)
    assert not [r.type for r in result.resources if r.type.startswith("azure")]


def test_dev_render_does_not_import_azure_modules() -> None:
    """pulumi_azure_native is huge: the dev path must not pay for importing it (nor need it installed)."""
    code = (
        "import json, sys\n"
        "from infra.render import run_program\n"
        "from tests.support import stack_input\n"
        "given = stack_input('dev')\n"
        "result = run_program('dev', given.values, given.secret_keys)\n"
        "print(json.dumps({'resources': len(result.resources),"
        " 'azure': sorted(m for m in sys.modules if m.startswith('pulumi_azure_native'))}))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True, timeout=300
    )
    report = json.loads(completed.stdout.splitlines()[-1])
    assert report["resources"] > 0
    assert report["azure"] == []


def test_local_k3s_installs_then_reads_the_kubeconfig(render_stack: RenderStack) -> None:
    result = render_stack("dev")
    install, read = result.named("prompt2prod-install"), result.named("prompt2prod-kubeconfig")
    assert install.type == read.type == "command:local:Command"
    assert "INSTALL_K3S_VERSION" in install.inputs["create"]
    assert "v1.33.5+k3s1" in install.inputs["create"]
    assert install.urn in read.depends_on
    assert install.parent == read.parent == result.named("prompt2prod").urn


def test_remote_k3s_runs_over_ssh(render_stack: RenderStack) -> None:
    overrides, secrets = SCENARIOS["remote"]
    result = render_stack("dev", overrides, secrets)
    assert {r.type for r in result.resources if r.type.startswith("command:")} == {"command:remote:Command"}
    assert "--tls-san=k3s.example.internal" in result.named("prompt2prod-install").inputs["create"]


def test_existing_cluster_installs_nothing(render_stack: RenderStack) -> None:
    overrides, secrets = SCENARIOS["existing"]
    result = render_stack("dev", overrides, secrets)
    assert not [r for r in result.resources if r.type.startswith("command:")]
    assert result.named("prompt2prod").type == "prompt2prod:index:ExistingCluster"
