"""`make verify` (`python -m tools.verify_stack`) brings the cluster to the verification command: the outputs and
kubeconfig from Pulumi, the `verify` key from the Secret the gateway reads its keys from, Prometheus and Loki
through port-forwards.

Fake `pulumi` and `kubectl` (and an `az` that must never be called) first on PATH answer as the real ones do
(kubectl's port-forward prints its forwarding line and then blocks, pointing at the real local Prometheus and fake
Loki); the checks then run for real against the platform of tests/delivery/conftest.py. Guards: the key is read
where the gateway reads it, in every environment (never through the Key Vault firewall); the kubeconfig and the
key live in private files that are gone afterwards; the key is never printed; an unreachable stack stops with
exit 2 and the failing command's error.
"""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

from infra.gateway.gateway import TLS_SECRET
from infra.observability.values import KPS_FULLNAME
from tests.delivery.conftest import API_KEY, Running
from tests.support import run_module
from tools.verify_stack import PROMETHEUS_SERVICE

FAKE_KUBECTL = """#!/bin/sh
printf 'kubectl %s KUBECONFIG-mode=%s\\n' "$*" "$(stat -c %a "$KUBECONFIG")" >> "$FAKE_LOG"
case "$*" in
  *"port-forward"*"svc/prometheus-stack-prometheus :9090"*)
    echo "Forwarding from 127.0.0.1:$FAKE_PROMETHEUS_PORT -> 9090"; exec sleep 60;;
  *"port-forward"*"svc/loki :3100"*)
    echo "Forwarding from 127.0.0.1:$FAKE_LOKI_PORT -> 3100"; exec sleep 60;;
  *"get secret api-key-secrets --namespace gateway --output jsonpath={.data.verify}"*)
    if [ -n "$FAKE_SECRET_MISSING" ]; then
      echo 'Error from server (NotFound): secrets "api-key-secrets" not found' >&2; exit 1
    fi
    printf '%s' "$FAKE_KEY_B64";;
  *) echo "unexpected kubectl call" >&2; exit 3;;
esac
"""
FAKE_PULUMI = """#!/bin/sh
printf 'pulumi %s\\n' "$*" >> "$FAKE_LOG"
case "$*" in
  "stack output --stack dev --json") cat "$FAKE_OUTPUTS";;
  "stack output --stack dev kubeconfig --show-secrets") echo "apiVersion: v1 # fake kubeconfig";;
  *) exit 3;;
esac
"""
FAKE_AZ = """#!/bin/sh
printf 'az %s\\n' "$*" >> "$FAKE_LOG"
exit 3
"""


def _install(folder: Path, name: str, text: str) -> None:
    path = folder / name
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def verify_stack(
    platform: Running, tmp_path: Path, outputs: dict[str, object], **env: str
) -> subprocess.CompletedProcess[str]:
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    for name, text in (("kubectl", FAKE_KUBECTL), ("pulumi", FAKE_PULUMI), ("az", FAKE_AZ)):
        _install(folder, name, text)
    (tmp_path / "outputs.json").write_text(json.dumps(outputs))
    return run_module(
        "tools.verify_stack",
        *("--stack", "dev", "--outputs", str(tmp_path / "written.json"), "--summary", str(tmp_path / "summary.md")),
        env={
            **os.environ,
            "PATH": f"{folder}{os.pathsep}{os.environ['PATH']}",
            "TMPDIR": str(tmp_path),
            "FAKE_LOG": str(tmp_path / "calls.log"),
            "FAKE_OUTPUTS": str(tmp_path / "outputs.json"),
            "FAKE_PROMETHEUS_PORT": platform.healthy_prometheus.rsplit(":", 1)[1],
            "FAKE_LOKI_PORT": platform.loki_url.rsplit(":", 1)[1],
            "FAKE_KEY_B64": base64.b64encode(API_KEY.encode()).decode(),
            "FAKE_KEY": API_KEY,
            **env,
        },
    )


def test_dev_reads_the_kubernetes_secret_and_verifies_through_port_forwards(platform: Running, tmp_path: Path) -> None:
    outputs = platform.outputs()

    completed = verify_stack(platform, tmp_path, outputs)

    assert completed.returncode == 0, completed.stdout + completed.stderr
    calls = (tmp_path / "calls.log").read_text().splitlines()
    kubectl = [call for call in calls if call.startswith("kubectl")]
    assert all(call.endswith("KUBECONFIG-mode=600") for call in kubectl)
    assert any("port-forward --namespace monitoring --address 127.0.0.1 svc/loki :3100" in c for c in kubectl)
    assert not [call for call in calls if call.startswith("az")]
    assert json.loads((tmp_path / "written.json").read_text()) == outputs
    assert "✅ all 7 checks passed" in (tmp_path / "summary.md").read_text()
    assert API_KEY not in completed.stdout + completed.stderr + (tmp_path / "summary.md").read_text()
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith("verify-")] == []


def test_a_stack_with_a_key_vault_reads_the_synced_secret_not_the_vault(platform: Running, tmp_path: Path) -> None:
    """prod's keys live in Key Vault, whose firewall refuses hosted runners; the CSI-synced Secret is what the
    gateway reads, and the runner reaches it through the cluster's API like everything else it checks."""
    completed = verify_stack(
        platform, tmp_path, platform.outputs(keyVaultUri="https://kv-prompt2prod.vault.azure.net/")
    )

    assert completed.returncode == 0, completed.stdout + completed.stderr
    calls = (tmp_path / "calls.log").read_text()
    assert "get secret api-key-secrets --namespace gateway --output jsonpath={.data.verify}" in calls
    assert "az " not in calls


def test_a_missing_key_stops_before_any_check_with_kubectls_error(platform: Running, tmp_path: Path) -> None:
    completed = verify_stack(platform, tmp_path, platform.outputs(), FAKE_SECRET_MISSING="1")

    assert completed.returncode == 2
    assert "cannot reach stack dev: `kubectl get secret api-key-secrets …` failed" in completed.stderr
    assert 'secrets "api-key-secrets" not found' in completed.stderr
    assert "port-forward" not in (tmp_path / "calls.log").read_text()


@pytest.mark.parametrize(
    ("derived", "source"),
    [(PROMETHEUS_SERVICE, f"{KPS_FULLNAME}-prometheus"), ("public-tls", TLS_SECRET)],
)
def test_the_names_reached_are_those_the_program_deploys(derived: str, source: str) -> None:
    assert derived == source
