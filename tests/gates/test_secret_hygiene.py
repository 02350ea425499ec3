"""No secret value — from config or generated — appears in plaintext anywhere in a render.

The render is what a PR shows and what Pulumi stores as inputs: Helm values, manifests, command scripts
and stack outputs. Every secret configured below carries a unique marker; none may be found.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra.render import write_render
from tests.support import RenderStack

SECRETS = {
    "sshPrivateKey": "HYGIENE-ssh-private-key-7f1c",
    "kubeconfig": "HYGIENE-kubeconfig-93ab",
    "cloudLlmApiKey": "HYGIENE-cloud-llm-api-key-4d2e",
    "grafanaAdminPassword": "HYGIENE-grafana-admin-password-c0de",
    "tlsCertificate": "HYGIENE-tls-certificate-11aa",
    "tlsPrivateKey": "HYGIENE-tls-private-key-22bb",
    "registryPassword": "HYGIENE-registry-password-5e5e",
    "apiKeys": json.dumps({"ci": "HYGIENE-api-key-ci-9a0f", "ops": "HYGIENE-api-key-ops-77c3"}),
    "githubToken": "HYGIENE-github-token-6b6b",
}
MARKERS = {
    **{name: value for name, value in SECRETS.items() if name != "apiKeys"},
    "apiKeys.ci": "HYGIENE-api-key-ci-9a0f",
    "apiKeys.ops": "HYGIENE-api-key-ops-77c3",
}
# Clients with a configured key and one with a generated key, so that both kinds are looked for.
CLIENTS = {"gateway": {"apiClients": ["ci", "ops", "generated"]}}
# Publishing on, so that the GitHub token is mounted (it is only taken with owners set).
PUBLISHING = {"generator": {"publishing": {"owners": ["acme"], "clients": ["ci"]}}}
GENERATED_MARKER = "mock-random-"  # what the mocks return for every pulumi-random value

SCENARIOS = {
    "dev-remote-k3s": (
        "dev",
        {
            "cluster": {"k3s": {"host": "k3s.example.internal"}},
            "gateway": {**CLIENTS["gateway"], "tls": "secret"},
            **PUBLISHING,
        },
    ),
    "dev-existing-cluster": ("dev", {"cluster": {"kind": "existing"}, **CLIENTS, **PUBLISHING}),
    "dev-external-registry": (
        "dev",
        {
            "registry": {"kind": "external", "external": {"server": "ghcr.io", "username": "bot"}},
            **CLIENTS,
            **PUBLISHING,
        },
    ),
    "prod": ("prod", {"gateway": {**CLIENTS["gateway"], "tls": "secret"}, **PUBLISHING}),
}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_no_secret_value_in_render(scenario: str, render_stack: RenderStack, tmp_path: Path) -> None:
    stack, overrides = SCENARIOS[scenario]
    result = render_stack(stack, overrides, secrets=SECRETS)
    write_render(result, tmp_path / "out")
    texts = {path.relative_to(tmp_path): path.read_text() for path in (tmp_path / "out").rglob("*") if path.is_file()}
    leaks = [
        f"{name} in {path}"
        for path, text in texts.items()
        for name, marker in [*MARKERS.items(), ("generated secret", GENERATED_MARKER)]
        if marker in text
    ]
    assert not leaks, leaks


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_credential_outputs_are_secret(stack: str, render_stack: RenderStack) -> None:
    result = render_stack(stack)
    assert "kubeconfig" in result.secret_outputs
    assert json.dumps(result.document()["outputs"]).count("[secret]") >= 1
