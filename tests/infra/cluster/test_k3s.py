"""K3s install: the scripts really are idempotent, and the component keeps every credential secret.

The install script runs under `/bin/sh` against fake `k3s`, `curl`, `systemctl` and `sudo` binaries on PATH, so
what a second `pulumi up` does on a host (nothing), what a version change does (re-run the pinned installer) and
what a changed registry mirror does (rewrite `registries.yaml`, restart K3s) are checked for real.
"""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path
from typing import Any

import pulumi
import pytest

from infra.cluster.k3s import (
    REGISTRIES_MARKER,
    K3sCluster,
    K3sClusterArgs,
    install_script,
    installer_url,
    rewrite_server,
)
from infra.cluster.provider import kubernetes_provider
from infra.config.cluster import K3sSettings
from infra.render import RenderResult
from tests.support.render import render_component

VERSION = "v1.33.5+k3s1"
MIRROR = 'mirrors:\n  "registry.local":\n    endpoint: ["http://localhost:30500"]\n'

FAKE_BINARIES = {
    # `k3s --version` exists only once the (fake) installer ran; `k3s kubectl wait` is logged.
    "k3s": """#!/bin/sh
if [ "$1" = "--version" ]; then
  [ -f "$STATE/version" ] || exit 127
  echo "k3s version $(cat "$STATE/version") (1234abcd)"; echo "go version go1.24.6"; exit 0
fi
echo "k3s $*" >> "$STATE/log"
""",
    # The "installer" records how it was called and installs the requested version.
    # The "installer" (`curl -sfL -o FILE URL`) records how it was run and installs the requested version,
    # unless $STATE/offline exists (download fails) or $STATE/broken exists (installs nothing).
    "curl": """#!/bin/sh
echo "curl $*" >> "$STATE/log"
[ -f "$STATE/offline" ] && exit 22
cat > "$3" <<'SCRIPT'
echo "install $INSTALL_K3S_VERSION $INSTALL_K3S_EXEC" >> "$STATE/log"
[ -f "$STATE/broken" ] || echo "$INSTALL_K3S_VERSION" > "$STATE/version"
SCRIPT
""",
    "systemctl": '#!/bin/sh\necho "systemctl $*" >> "$STATE/log"\n',
    "sudo": '#!/bin/sh\n[ "$1" = "-n" ] && shift\nexec "$@"\n',
}


class FakeHost:
    def __init__(self, root: Path) -> None:
        self.state = root / "state"
        self.config_dir = root / "etc-rancher-k3s"
        self.bin = root / "bin"
        for directory in (self.state, self.bin):
            directory.mkdir(parents=True)
        for name, text in FAKE_BINARIES.items():
            path = self.bin / name
            path.write_text(text)
            path.chmod(0o755)

    def run(self, version: str, registries_yaml: str | None = None, *, succeeds: bool = True) -> list[str]:
        """Run the install script; return the log lines it produced."""
        log = self.state / "log"
        log.unlink(missing_ok=True)
        script = install_script(version, "k3s.example.internal", registries_yaml, config_dir=str(self.config_dir))
        env = {"PATH": f"{self.bin}:/usr/bin:/bin", "STATE": str(self.state), "HOME": str(self.state)}
        completed = subprocess.run(
            ["/bin/sh", "-c", script], env=env, capture_output=True, text=True, check=False, timeout=60
        )
        assert (completed.returncode == 0) is succeeds, completed.stderr
        return log.read_text().splitlines() if log.exists() else []

    @property
    def registries(self) -> Path:
        return self.config_dir / "registries.yaml"


@pytest.fixture
def host(tmp_path: Path) -> FakeHost:
    return FakeHost(tmp_path)


def test_first_run_installs_the_pinned_release_with_traefik_disabled(host: FakeHost) -> None:
    log = host.run(VERSION)
    assert log[0].startswith("curl -sfL -o ")
    assert log[0].endswith(f" {installer_url(VERSION)}")
    assert log[1].startswith(f"install {VERSION} server ")
    assert "--disable=traefik" in log[1]
    assert "--tls-san=k3s.example.internal" in log[1]
    assert "--write-kubeconfig-mode=0600" in log[1]
    assert log[2].startswith("k3s kubectl wait --for=condition=Ready node --all")


def test_second_run_with_the_same_version_does_not_reinstall(host: FakeHost) -> None:
    host.run(VERSION)
    log = host.run(VERSION)
    assert not [line for line in log if line.startswith(("curl", "install", "systemctl"))]


def test_version_change_reruns_the_installer_of_the_new_release(host: FakeHost) -> None:
    host.run(VERSION)
    log = host.run("v1.34.1+k3s1")
    assert any(line.endswith(installer_url("v1.34.1+k3s1")) for line in log if line.startswith("curl"))
    assert any(line.startswith("install v1.34.1+k3s1 ") for line in log)


def test_failed_download_fails_the_step(host: FakeHost) -> None:
    host.run(VERSION)
    (host.state / "offline").touch()
    log = host.run("v1.34.1+k3s1", succeeds=False)
    assert not [line for line in log if line.startswith(("install", "k3s kubectl"))]


def test_installer_that_leaves_the_old_version_fails_the_step(host: FakeHost) -> None:
    host.run(VERSION)
    (host.state / "broken").touch()
    host.run("v1.34.1+k3s1", succeeds=False)


def test_installer_is_the_pinned_release_script() -> None:
    assert installer_url(VERSION) == "https://raw.githubusercontent.com/k3s-io/k3s/v1.33.5%2Bk3s1/install.sh"


def test_registries_yaml_is_written_before_the_first_install(host: FakeHost) -> None:
    host.run(VERSION, MIRROR)
    assert host.registries.read_text() == f"{REGISTRIES_MARKER}\n{MIRROR}"
    assert oct(host.registries.stat().st_mode & 0o777) == "0o600"


def test_unchanged_registries_yaml_neither_rewrites_nor_restarts(host: FakeHost) -> None:
    host.run(VERSION, MIRROR)
    before = host.registries.stat().st_mtime_ns
    log = host.run(VERSION, MIRROR)
    assert not [line for line in log if line.startswith(("systemctl", "curl"))]
    assert host.registries.stat().st_mtime_ns == before


def test_changed_registries_yaml_restarts_k3s_without_reinstalling(host: FakeHost) -> None:
    host.run(VERSION, MIRROR)
    changed = MIRROR.replace("30500", "30501")
    log = host.run(VERSION, changed)
    assert "systemctl restart k3s" in log
    assert not [line for line in log if line.startswith("curl")]
    assert "30501" in host.registries.read_text()


def test_dropping_the_mirror_removes_only_our_registries_yaml(host: FakeHost) -> None:
    host.run(VERSION, MIRROR)
    log = host.run(VERSION, None)
    assert not host.registries.exists()
    assert "systemctl restart k3s" in log

    host.registries.write_text("mirrors: {}\n")  # written by someone else: left alone
    log = host.run(VERSION, None)
    assert host.registries.exists()
    assert "systemctl restart k3s" not in log


def test_kubeconfig_server_is_rewritten_to_the_host() -> None:
    text = "clusters:\n- cluster:\n    server: https://127.0.0.1:6443\n"
    assert rewrite_server(text, "k3s.example.internal") == (
        "clusters:\n- cluster:\n    server: https://k3s.example.internal:6443\n"
    )


def _render_k3s(args: K3sClusterArgs) -> RenderResult:
    return render_component(lambda _: {"kubeconfig": K3sCluster("dev", args).kubeconfig})


def test_local_host_runs_commands_locally_and_uninstalls_on_delete() -> None:
    result = _render_k3s(K3sClusterArgs(config=K3sSettings(host="localhost", version=VERSION)))
    install = result.named("dev-install")
    assert install.type == "command:local:Command"
    assert install.inputs["interpreter"] == ["/bin/sh", "-c"]
    assert install.inputs["create"] == install.inputs["update"]
    assert "k3s-uninstall.sh" in install.inputs["delete"]
    assert "kubeconfig" in result.secret_outputs
    assert "server: https://localhost:6443" in result.outputs["kubeconfig"]


def test_remote_host_uses_ssh_with_the_private_key_as_a_secret() -> None:
    result = _render_k3s(
        K3sClusterArgs(
            config=K3sSettings(host="k3s.example.internal", version=VERSION, ssh_user="ubuntu"),
            ssh_private_key="PRIVATE-KEY",
        )
    )
    for name in ("dev-install", "dev-kubeconfig"):
        command = result.named(name)
        assert command.type == "command:remote:Command"
        # The private key makes the whole connection secret: not even the host is stored in plaintext.
        assert set(command.inputs["connection"].values()) == {"[secret]"}
    assert "server: https://k3s.example.internal:6443" in result.outputs["kubeconfig"]


def test_kubeconfig_read_is_secret_and_never_logged() -> None:
    result = _render_k3s(K3sClusterArgs(config=K3sSettings(host="localhost", version=VERSION)))
    read = result.named("dev-kubeconfig")
    assert read.options["additionalSecretOutputs"] == ["stdout"]
    assert read.inputs["logging"] == "none"
    assert result.named("dev-install").urn in read.depends_on


def test_remote_host_without_a_key_is_refused() -> None:
    with pytest.raises(Exception, match="ssh_private_key is required"):
        _render_k3s(K3sClusterArgs(config=K3sSettings(host="k3s.example.internal", version=VERSION)))


def test_secret_registry_config_keeps_the_install_script_secret() -> None:
    result = _render_k3s(
        K3sClusterArgs(
            config=K3sSettings(host="localhost", version=VERSION), registries_yaml=pulumi.Output.secret(MIRROR)
        )
    )
    assert result.named("dev-install").inputs["create"] == "[secret]"


def test_plain_registry_config_is_embedded_in_the_install_script() -> None:
    result = _render_k3s(K3sClusterArgs(config=K3sSettings(host="localhost", version=VERSION), registries_yaml=MIRROR))
    encoded = base64.b64encode(f"{REGISTRIES_MARKER}\n{MIRROR}".encode()).decode()
    assert encoded in result.named("dev-install").inputs["create"]


def test_provider_built_on_k3s_waits_for_the_install() -> None:
    def build(_: pulumi.ResourceOptions) -> dict[str, Any]:
        handle = K3sCluster("dev", K3sClusterArgs(config=K3sSettings(host="localhost", version=VERSION))).handle()
        kubernetes_provider(handle)
        return {"version": handle.kubernetes_version}

    result = render_component(build)
    provider = result.named("dev-k8s")
    assert {result.named("dev-install").urn, result.named("dev-kubeconfig").urn} <= set(provider.depends_on)
    assert result.outputs["version"] == "1.33.5"
