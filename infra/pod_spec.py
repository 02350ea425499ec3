"""Kubernetes pod-spec building blocks every workload shares, as pure functions (no resources).

The restricted Pod Security Standard's security contexts, requests and limits, the scratch `/tmp` volume, the GPU
node selector and toleration, and the NetworkPolicy pieces (namespace selectors, the DNS egress rule, HTTPS to
public addresses). A hardening change is made here, once, for the generator, the in-cluster registry, Ollama, the
model preload, the kgateway controller and the gateway proxy.

Dicts use the Python SDK's snake_case keys (the `...ArgsDict` types); `camel_case` turns one into the camelCase
that a Helm chart's values or a custom resource's spec take.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi_kubernetes as k8s

from infra import topology
from infra.config.base import Resources

TMP_VOLUME = "tmp"

# Address ranges that are never "the internet": egress rules to public addresses exclude them, so that such a rule
# never opens the way to in-cluster pods, nodes or the cloud's instance metadata endpoint (link-local).
RFC1918_IPV4 = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
CGNAT_IPV4 = "100.64.0.0/10"
LINK_LOCAL_IPV4 = "169.254.0.0/16"
NON_PUBLIC_IPV4 = (*RFC1918_IPV4, CGNAT_IPV4, LINK_LOCAL_IPV4)

# CoreDNS carries this label on K3s and on AKS.
DNS_NAMESPACE = "kube-system"
DNS_POD_SELECTOR = {"k8s-app": "kube-dns"}


def pod_security_context(
    user: int | None = None, *, fs_group: bool = False, fs_group_change_policy: str | None = None
) -> k8s.core.v1.PodSecurityContextArgsDict:
    """The restricted pod-level context: non-root with the RuntimeDefault seccomp profile.

    `user` pins the pod's UID and GID; `fs_group` also makes it the group that owns mounted volumes (needed where
    the pod reads 0440 secret files or writes a volume the image does not own).
    """
    context: k8s.core.v1.PodSecurityContextArgsDict = {
        "run_as_non_root": True,
        "seccomp_profile": {"type": "RuntimeDefault"},
    }
    if user is not None:
        context["run_as_user"] = user
        context["run_as_group"] = user
        if fs_group:
            context["fs_group"] = user
    if fs_group_change_policy is not None:
        context["fs_group_change_policy"] = fs_group_change_policy
    return context


def container_security_context(
    user: int | None = None,
    *,
    group: bool = True,
    seccomp: bool = True,
    add_capabilities: Sequence[str] = (),
    declare_unprivileged: bool = False,
) -> k8s.core.v1.SecurityContextArgsDict:
    """The restricted container-level context: non-root, no privilege escalation, read-only root filesystem, every
    capability dropped (`add_capabilities` puts back the few `restricted` allows, e.g. NET_BIND_SERVICE).

    `user` pins the UID (and the GID unless `group` is False); `seccomp` False leaves the profile to the pod-level
    context; `declare_unprivileged` also writes `privileged: false`, the default, explicitly.
    """
    capabilities: k8s.core.v1.CapabilitiesArgsDict = {"drop": ["ALL"]}
    if add_capabilities:
        capabilities["add"] = list(add_capabilities)
    context: k8s.core.v1.SecurityContextArgsDict = {
        "run_as_non_root": True,
        "allow_privilege_escalation": False,
        "read_only_root_filesystem": True,
        "capabilities": capabilities,
    }
    if user is not None:
        context["run_as_user"] = user
        if group:
            context["run_as_group"] = user
    if seccomp:
        context["seccomp_profile"] = {"type": "RuntimeDefault"}
    if declare_unprivileged:
        context["privileged"] = False
    return context


def resource_requirements(
    resources: Resources, extra_limits: Mapping[str, str] | None = None
) -> k8s.core.v1.ResourceRequirementsArgsDict:
    """Requests and limits from a validated `Resources` section; `extra_limits` adds e.g. `nvidia.com/gpu`."""
    return {
        "requests": {"cpu": resources.cpu_request, "memory": resources.memory_request},
        "limits": {"cpu": resources.cpu_limit, "memory": resources.memory_limit, **(extra_limits or {})},
    }


def tmp_volume(size_limit: str) -> k8s.core.v1.VolumeArgsDict:
    """A pod-local emptyDir for `/tmp`: the root filesystem is read-only, some libraries still write temp files."""
    return {"name": TMP_VOLUME, "empty_dir": {"size_limit": size_limit}}


def tmp_mount() -> k8s.core.v1.VolumeMountArgsDict:
    return {"name": TMP_VOLUME, "mount_path": "/tmp"}  # noqa: S108 - the pod's own emptyDir, not the node's /tmp


def gpu_node_selector() -> dict[str, str]:
    """GPU nodes (the AKS GPU pool) carry this label; the cluster layer sets it."""
    return {topology.GPU_NODE_LABEL: topology.GPU_NODE_LABEL_VALUE}


def gpu_tolerations() -> list[k8s.core.v1.TolerationArgsDict]:
    """Tolerate the GPU pool's taint, which keeps everything that needs no GPU off those nodes."""
    return [
        {
            "key": topology.GPU_TAINT_KEY,
            "operator": "Equal",
            "value": topology.GPU_TAINT_VALUE,
            "effect": topology.GPU_TAINT_EFFECT,
        }
    ]


def namespace_selector(name: str) -> k8s.meta.v1.LabelSelectorArgsDict:
    """Selects one namespace by the label Kubernetes sets on every namespace."""
    return {"match_labels": {"kubernetes.io/metadata.name": name}}


def namespace_peer(name: str) -> k8s.networking.v1.NetworkPolicyPeerArgsDict:
    return {"namespace_selector": namespace_selector(name)}


def dns_egress_rule(*, coredns_only: bool = True) -> k8s.networking.v1.NetworkPolicyEgressRuleArgsDict:
    """Egress to the cluster DNS on port 53: to the CoreDNS pods, or to the whole `kube-system` namespace."""
    peer = namespace_peer(DNS_NAMESPACE)
    if coredns_only:
        peer["pod_selector"] = {"match_labels": dict(DNS_POD_SELECTOR)}
    return {"to": [peer], "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}


def public_https_egress_rule(
    excluded: Sequence[str] = NON_PUBLIC_IPV4,
) -> k8s.networking.v1.NetworkPolicyEgressRuleArgsDict:
    """HTTPS to any public IPv4 address: everything but the `excluded` (non-public) ranges."""
    return {
        "to": [{"ip_block": {"cidr": "0.0.0.0/0", "except_": list(excluded)}}],
        "ports": [{"port": 443, "protocol": "TCP"}],
    }


def image_pinning_skips(source: str, registry: str = "Docker Hub") -> dict[str, str]:
    """checkov skips for workloads whose image is pinned by a version tag from `source`, pulled IfNotPresent."""
    return {
        "checkov.io/skip1": f"CKV_K8S_43=pinned by an explicit version tag from {source}; upgrades change that tag",
        "checkov.io/skip2": "CKV_K8S_15=IfNotPresent on purpose: the tag is pinned, and a pod restart must not "
        f"depend on {registry} being reachable and not rate-limiting",
    }


def _camel(key: str) -> str:
    return re.sub(r"_([a-z])", lambda match: match.group(1).upper(), key)


def camel_case(value: Any) -> Any:
    """A snake_case building block as the camelCase a chart's values or a custom resource's spec take.

    Every key is converted: use it on the blocks above, not on maps whose keys are data (labels, annotations).
    """
    if isinstance(value, Mapping):
        return {_camel(key): camel_case(item) for key, item in value.items()}
    if isinstance(value, list):
        return [camel_case(item) for item in value]
    return value
