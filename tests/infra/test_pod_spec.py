"""The shared pod-spec building blocks: one hardening change here reaches every workload.

Guards the restricted Pod Security Standard promises (non-root, no privilege escalation, read-only root filesystem,
every capability dropped, RuntimeDefault seccomp), that egress "to the internet" never includes the cluster's or the
cloud metadata endpoint's addresses, and that a chart or custom resource receives the same context in camelCase.
"""

from __future__ import annotations

from ipaddress import IPv4Network
from typing import Any

from infra import pod_spec
from infra.config.base import Resources


def test_a_container_runs_restricted() -> None:
    context: Any = pod_spec.container_security_context(10001)
    assert context == {
        "run_as_non_root": True,
        "run_as_user": 10001,
        "run_as_group": 10001,
        "allow_privilege_escalation": False,
        "read_only_root_filesystem": True,
        "capabilities": {"drop": ["ALL"]},
        "seccomp_profile": {"type": "RuntimeDefault"},
    }


def test_only_the_capabilities_asked_for_come_back() -> None:
    context: Any = pod_spec.container_security_context(101, group=False, add_capabilities=["NET_BIND_SERVICE"])
    assert context["capabilities"] == {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}
    assert "run_as_group" not in context


def test_a_pod_owns_its_volumes_only_with_fs_group() -> None:
    assert "fs_group" not in pod_spec.pod_security_context(10002)
    context: Any = pod_spec.pod_security_context(10001, fs_group=True)
    assert (context["run_as_non_root"], context["fs_group"], context["seccomp_profile"]) == (
        True,
        10001,
        {"type": "RuntimeDefault"},
    )


def test_requests_and_limits_come_from_the_config_section() -> None:
    resources = Resources(cpu_request="1", memory_request="4Gi", cpu_limit="4", memory_limit="8Gi")
    assert pod_spec.resource_requirements(resources, {"nvidia.com/gpu": "1"}) == {
        "requests": {"cpu": "1", "memory": "4Gi"},
        "limits": {"cpu": "4", "memory": "8Gi", "nvidia.com/gpu": "1"},
    }


def test_public_egress_never_reaches_private_or_metadata_addresses() -> None:
    rule: Any = pod_spec.public_https_egress_rule()
    excluded = [IPv4Network(cidr) for cidr in rule["to"][0]["ip_block"]["except_"]]
    for address in ("10.244.0.5", "172.16.3.4", "192.168.1.1", "100.64.0.1", "169.254.169.254"):
        assert any(IPv4Network(address).subnet_of(network) for network in excluded), address
    assert rule["ports"] == [{"port": 443, "protocol": "TCP"}]


def test_dns_egress_reaches_coredns_unless_the_whole_namespace_is_asked_for() -> None:
    narrow: Any = pod_spec.dns_egress_rule()
    assert narrow["to"] == [
        {
            "namespace_selector": {"match_labels": {"kubernetes.io/metadata.name": "kube-system"}},
            "pod_selector": {"match_labels": {"k8s-app": "kube-dns"}},
        }
    ]
    wide: Any = pod_spec.dns_egress_rule(coredns_only=False)
    assert "pod_selector" not in wide["to"][0]
    assert narrow["ports"] == wide["ports"] == [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]


def test_charts_get_the_same_context_in_camel_case() -> None:
    assert pod_spec.camel_case(pod_spec.pod_security_context(10101)) == {
        "runAsNonRoot": True,
        "runAsUser": 10101,
        "runAsGroup": 10101,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert pod_spec.camel_case([{"match_labels": {"app.kubernetes.io/name": "x"}}]) == [
        {"matchLabels": {"app.kubernetes.io/name": "x"}}
    ]
