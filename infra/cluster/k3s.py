"""`K3sCluster` — K3s installed by the program on one host, locally or over SSH (dev).

Creates:
- a `command` resource that writes `/etc/rancher/k3s/registries.yaml` (when a registry mirror is given) and installs
  the pinned K3s release with the installer of that same release. Running it again is a no-op when the installed
  version is already the pinned one (only a changed `registries.yaml` restarts K3s); a version change re-runs the
  installer, which upgrades in place. Deleting the resource runs K3s's own uninstall script;
- a `command` resource that reads the admin kubeconfig back, as a secret, with the server address rewritten
  from 127.0.0.1 to the host.

Local installs run `/bin/sh` on the machine running Pulumi; remote ones run over SSH with the `sshPrivateKey` secret.
Privileged steps use `sudo -n` unless the user is root, so the user needs passwordless sudo.
"""

from __future__ import annotations

import base64
import shlex
from dataclasses import dataclass
from urllib.parse import quote

import pulumi
import pulumi_command as command

from infra.cluster.handle import ClusterHandle
from infra.config.cluster import K3sSettings

K3S_CONFIG_DIR = "/etc/rancher/k3s"
KUBECONFIG_PATH = f"{K3S_CONFIG_DIR}/k3s.yaml"
REGISTRIES_MARKER = "# managed by prompt2prod"
"""First line of a `registries.yaml` this program wrote: only such a file is removed when the mirror goes away."""
# Run privileged steps with sudo unless already root; `-n` fails fast instead of waiting for a password.
_AS_ROOT = 'if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo -n"; fi'
# Traefik is disabled: the platform's gateway is kgateway (Gateway API).
_SERVER_FLAGS = "server --write-kubeconfig-mode=0600 --disable=traefik"
# `k3s --version` prints `k3s version v1.33.5+k3s1 (<commit>)`; empty when K3s is not installed.
_INSTALLED_VERSION = 'have="$(k3s --version 2>/dev/null | head -n1 | cut -d" " -f3 || true)"'


@dataclass(frozen=True, kw_only=True)
class K3sClusterArgs:
    config: K3sSettings
    """Host, pinned K3s release (e.g. `v1.33.5+k3s1`) and SSH user and port (`cluster.k3s`)."""
    ssh_private_key: pulumi.Input[str] | None = None
    """Required for any host but `localhost`; always handled as a secret."""
    registries_yaml: pulumi.Input[str] | None = None
    """Content of K3s's `registries.yaml` (registry mirrors); `None` leaves no file of ours on the host."""


def installer_url(version: str) -> str:
    """The install script of the pinned release itself, not whatever `get.k3s.io` serves today."""
    return f"https://raw.githubusercontent.com/k3s-io/k3s/{quote(version, safe='')}/install.sh"


def registries_step(registries_yaml: str | None, config_dir: str = K3S_CONFIG_DIR) -> list[str]:
    """Shell lines that make `registries.yaml` match `registries_yaml`, setting `restart=1` when it changed."""
    target = shlex.quote(f"{config_dir}/registries.yaml")
    if registries_yaml is None:
        return [
            f"if $SUDO head -n1 {target} 2>/dev/null | grep -qxF {shlex.quote(REGISTRIES_MARKER)}; then",
            f'  $SUDO rm -f {target}; restart=1; echo "removed {target}"',
            "fi",
        ]
    content = f"{REGISTRIES_MARKER}\n{registries_yaml.rstrip()}\n"
    encoded = base64.b64encode(content.encode()).decode()
    return [
        'tmp="$(mktemp)"',
        f"printf '%s' {shlex.quote(encoded)} | base64 -d > \"$tmp\"",
        f'if ! $SUDO cmp -s "$tmp" {target}; then',
        f"  $SUDO mkdir -p {shlex.quote(config_dir)}",
        f'  $SUDO install -m 0600 "$tmp" {target}; restart=1; echo "wrote {target}"',
        "fi",
        'rm -f "$tmp"',
    ]


def install_script(
    version: str, host: str, registries_yaml: str | None = None, *, config_dir: str = K3S_CONFIG_DIR
) -> str:
    """Idempotent install-or-upgrade: a no-op when the running K3s is already `version` and its config is unchanged."""
    exec_flags = f"{_SERVER_FLAGS} --tls-san={host}"
    return "\n".join(
        [
            "set -eu",
            _AS_ROOT,
            f"want={shlex.quote(version)}",
            _INSTALLED_VERSION,
            "restart=0",
            # registries.yaml is read at start-up: written first, so a fresh install starts with it.
            *registries_step(registries_yaml, config_dir),
            'if [ "$have" = "$want" ]; then',
            '  if [ "$restart" -eq 1 ]; then $SUDO systemctl restart k3s; echo "k3s $want restarted"; '
            'else echo "k3s $want already installed"; fi',
            "else",
            # Downloaded first (not piped into sh): a failed download fails the step instead of running nothing.
            '  installer="$(mktemp)"',
            f'  curl -sfL -o "$installer" {installer_url(version)}',
            f'  $SUDO env INSTALL_K3S_VERSION="$want" INSTALL_K3S_EXEC={shlex.quote(exec_flags)} sh "$installer"',
            '  rm -f "$installer"',
            f"  {_INSTALLED_VERSION.replace('have=', 'now=')}",
            '  if [ "$now" != "$want" ]; then',
            '    echo "k3s is ${now:-missing} after the install, not $want" >&2; exit 1',
            "  fi",
            "fi",
            "$SUDO k3s kubectl wait --for=condition=Ready node --all --timeout=300s",
        ]
    )


def uninstall_script() -> str:
    return "\n".join(
        [
            _AS_ROOT,
            "if [ -x /usr/local/bin/k3s-uninstall.sh ]; then $SUDO /usr/local/bin/k3s-uninstall.sh; fi",
        ]
    )


def read_kubeconfig_script() -> str:
    return "\n".join(["set -eu", _AS_ROOT, f"$SUDO cat {KUBECONFIG_PATH}"])


def rewrite_server(kubeconfig: str, host: str) -> str:
    """K3s writes `https://127.0.0.1:6443`; callers outside the host need the host's address."""
    return kubeconfig.replace("https://127.0.0.1:6443", f"https://{host}:6443")


class K3sCluster(pulumi.ComponentResource):
    kubeconfig: pulumi.Output[str]
    """Secret: the admin kubeconfig, server `https://<host>:6443`."""
    install: pulumi.Resource
    kubernetes_version: str

    def __init__(self, name: str, args: K3sClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("prompt2prod:index:K3sCluster", name, None, opts)
        self._cluster_name = name
        config = args.config
        self.kubernetes_version = config.version.removeprefix("v").split("+")[0]
        script: pulumi.Input[str]
        if args.registries_yaml is None:
            script = install_script(config.version, config.host)
        else:
            # Output.apply only builds a string here (it may stay secret if the mirror config holds credentials).
            script = pulumi.Output.from_input(args.registries_yaml).apply(
                lambda content: install_script(config.version, config.host, content)
            )
        child = pulumi.ResourceOptions(parent=self)
        if config.is_local:
            self.install = command.local.Command(
                f"{name}-install",
                create=script,
                update=script,
                delete=uninstall_script(),
                interpreter=["/bin/sh", "-c"],
                opts=child,
            )
            read: command.local.Command | command.remote.Command = command.local.Command(
                f"{name}-kubeconfig",
                create=read_kubeconfig_script(),
                interpreter=["/bin/sh", "-c"],
                triggers=[self.install.id, config.version],
                logging=command.local.Logging.NONE,
                opts=self._read_opts(),
            )
        else:
            if args.ssh_private_key is None:
                raise ValueError(f"K3sCluster {name}: ssh_private_key is required for remote host {config.host}")
            connection = command.remote.ConnectionArgs(
                host=config.host,
                port=float(config.ssh_port),
                user=config.ssh_user,
                private_key=pulumi.Output.secret(args.ssh_private_key),
            )
            self.install = command.remote.Command(
                f"{name}-install",
                connection=connection,
                create=script,
                update=script,
                delete=uninstall_script(),
                opts=child,
            )
            read = command.remote.Command(
                f"{name}-kubeconfig",
                connection=connection,
                create=read_kubeconfig_script(),
                triggers=[self.install.id, config.version],
                logging=command.remote.Logging.NONE,
                opts=self._read_opts(),
            )
        self.kubeconfig = pulumi.Output.secret(read.stdout.apply(lambda text: rewrite_server(text, config.host)))
        self.register_outputs({"kubeconfig": self.kubeconfig})

    def _read_opts(self) -> pulumi.ResourceOptions:
        # stdout is the kubeconfig: secret in state, and never echoed to the console.
        return pulumi.ResourceOptions(parent=self, depends_on=[self.install], additional_secret_outputs=["stdout"])

    def handle(self) -> ClusterHandle:
        """What the platform needs from this cluster; the provider waits for the install and kubeconfig read."""
        return ClusterHandle(
            name=self._cluster_name,
            kind="k3s",
            kubeconfig=self.kubeconfig,
            storage_class="local-path",
            resource=self,
            kubernetes_version=self.kubernetes_version,
        )
