"""`K3sCluster` — K3s installed by the program on one host, locally or over SSH (dev).

Creates:
- a `command` resource that installs the pinned K3s release (re-running the installer upgrades in place when
  the version changes; deleting the resource runs K3s's own uninstall script);
- a `command` resource that reads the admin kubeconfig back, as a secret, with the server address rewritten
  from 127.0.0.1 to the host.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

import pulumi
import pulumi_command as command

from infra.cluster import ClusterHandle

K3S_INSTALL_URL = "https://get.k3s.io"
KUBECONFIG_PATH = "/etc/rancher/k3s/k3s.yaml"
# Run privileged steps with sudo unless already root; `-n` fails fast instead of waiting for a password.
_AS_ROOT = 'if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo -n"; fi'


@dataclass(frozen=True, kw_only=True)
class K3sClusterArgs:
    host: str
    version: str
    ssh_user: str = "root"
    ssh_port: int = 22
    ssh_private_key: pulumi.Input[str] | None = None
    """Required for any host but `localhost`."""


def install_script(version: str, host: str) -> str:
    """Idempotent install-or-upgrade: a no-op when the running K3s is already `version`."""
    exec_flags = f"server --write-kubeconfig-mode=0600 --tls-san={host} --disable=traefik"
    return "\n".join(
        [
            "set -eu",
            _AS_ROOT,
            f"want={shlex.quote(version)}",
            'have="$(k3s --version 2>/dev/null | head -n1 | cut -d" " -f3 || true)"',
            'if [ "$have" = "$want" ]; then echo "k3s $want already installed"; exit 0; fi',
            f'curl -sfL {K3S_INSTALL_URL} | $SUDO env INSTALL_K3S_VERSION="$want" '
            f"INSTALL_K3S_EXEC={shlex.quote(exec_flags)} sh -",
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
    install: pulumi.Resource

    def __init__(self, name: str, args: K3sClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("prompt2prod:index:K3sCluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        secret_stdout = pulumi.ResourceOptions(parent=self, additional_secret_outputs=["stdout"])
        if args.host == "localhost":
            self.install = command.local.Command(
                f"{name}-install",
                create=install_script(args.version, args.host),
                update=install_script(args.version, args.host),
                delete=uninstall_script(),
                interpreter=["/bin/sh", "-c"],
                opts=child,
            )
            read: command.local.Command | command.remote.Command = command.local.Command(
                f"{name}-kubeconfig",
                create=read_kubeconfig_script(),
                interpreter=["/bin/sh", "-c"],
                triggers=[self.install.id],
                opts=pulumi.ResourceOptions.merge(secret_stdout, pulumi.ResourceOptions(depends_on=[self.install])),
            )
        else:
            if args.ssh_private_key is None:
                raise ValueError(f"K3sCluster {name}: ssh_private_key is required for remote host {args.host}")
            connection = command.remote.ConnectionArgs(
                host=args.host,
                port=float(args.ssh_port),
                user=args.ssh_user,
                private_key=pulumi.Output.secret(args.ssh_private_key),
            )
            self.install = command.remote.Command(
                f"{name}-install",
                connection=connection,
                create=install_script(args.version, args.host),
                update=install_script(args.version, args.host),
                delete=uninstall_script(),
                opts=child,
            )
            read = command.remote.Command(
                f"{name}-kubeconfig",
                connection=connection,
                create=read_kubeconfig_script(),
                triggers=[self.install.id],
                opts=pulumi.ResourceOptions.merge(secret_stdout, pulumi.ResourceOptions(depends_on=[self.install])),
            )
        self.kubeconfig = pulumi.Output.secret(read.stdout.apply(lambda text: rewrite_server(text, args.host)))
        self.register_outputs({"kubeconfig": self.kubeconfig})


def k3s_handle(name: str, cluster: K3sCluster, version: str) -> ClusterHandle:
    return ClusterHandle(
        name=name,
        kind="k3s",
        kubeconfig=cluster.kubeconfig,
        storage_class="local-path",
        resource=cluster,
        kubernetes_version=version.removeprefix("v").split("+")[0],
    )
