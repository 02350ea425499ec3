"""`prompt2prod:cluster`: bad cluster settings are refused at load time, each naming the key a user must fix."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.config import ConfigError, StackConfig, parse_config
from infra.config.environments import minimal_config

PROD_AKS = {"location": "westeurope", "apiServerAuthorizedIpRanges": ["203.0.113.0/24"]}


def load(environment: str, cluster: dict[str, Any], secrets: dict[str, str] | None = None) -> StackConfig:
    """`cluster` on top of nothing but what `environment` requires outside `prompt2prod:cluster`."""
    document = {key: value for key, value in minimal_config(environment).items() if key != "cluster"}
    values = {f"prompt2prod:{key}": json.dumps(value) for key, value in document.items() if key != "environment"}
    values |= {"prompt2prod:environment": environment, "prompt2prod:cluster": json.dumps(cluster)}
    values |= {f"prompt2prod:{key}": value for key, value in (secrets or {}).items()}
    return parse_config(values, {f"prompt2prod:{key}" for key in secrets or {}})


def problems(environment: str, cluster: dict[str, Any], secrets: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        load(environment, cluster, secrets)
    return raised.value.problems


def aks(**overrides: Any) -> dict[str, Any]:
    return {"aks": {**PROD_AKS, **overrides}}


def test_defaults_are_valid_for_both_environments() -> None:
    assert load("dev", {}).platform.cluster.kind == "k3s"
    assert load("prod", aks()).platform.cluster.aks.kubernetes_version == "1.33"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("vnetCidr", "10.42.0.1/16", "Input is not a valid IPv4 network"),
        ("nodeSubnetCidr", "10.42.0.0/33", "Input is not a valid IPv4 network"),
        ("serviceCidr", "not-a-cidr", "Input is not a valid IPv4 network"),
        ("podCidr", "fd00::/8", "Input is not a valid IPv4 network"),
        ("dnsServiceIp", "10.43.0.300", "Input is not a valid IPv4 address"),
    ],
)
def test_malformed_network_values_are_refused(key: str, value: str, message: str) -> None:
    assert f"prompt2prod:cluster.aks.{key}: {message}" in problems("prod", aks(**{key: value}))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"nodeSubnetCidr": "10.50.0.0/20"}, "nodeSubnetCidr 10.50.0.0/20 is not inside vnetCidr 10.42.0.0/16"),
        (
            {"privateEndpointSubnetCidr": "10.50.16.0/24"},
            "privateEndpointSubnetCidr 10.50.16.0/24 is not inside vnetCidr 10.42.0.0/16",
        ),
        (
            {"privateEndpointSubnetCidr": "10.42.8.0/24"},
            "nodeSubnetCidr 10.42.0.0/20 overlaps privateEndpointSubnetCidr 10.42.8.0/24",
        ),
        ({"serviceCidr": "10.42.128.0/20", "dnsServiceIp": "10.42.128.10"}, "serviceCidr 10.42.128.0/20 overlaps"),
        ({"podCidr": "10.42.0.0/16"}, "podCidr 10.42.0.0/16 overlaps vnetCidr"),
        ({"podCidr": "10.43.0.0/16"}, "podCidr 10.43.0.0/16 overlaps serviceCidr"),
        ({"dnsServiceIp": "10.99.0.10"}, "dnsServiceIp 10.99.0.10 is not inside serviceCidr 10.43.0.0/16"),
    ],
)
def test_inconsistent_network_layout_is_refused(overrides: dict[str, str], message: str) -> None:
    (problem,) = problems("prod", aks(**overrides))
    assert problem.startswith("prompt2prod:cluster.aks: ")
    assert message in problem


@pytest.mark.parametrize("size", ["D4ds_v5", "standard_d4ds_v5", "Standard_", "Standard D4"])
def test_vm_size_format_is_checked(size: str) -> None:
    pool = {"vmSize": size, "minCount": 1, "maxCount": 2}
    assert (
        f"prompt2prod:cluster.aks.userPool.vmSize: {size!r} is not an Azure VM size (e.g. Standard_D4ds_v5)"
        in problems("prod", aks(userPool=pool))
    )


def test_gpu_pool_needs_a_gpu_vm_size() -> None:
    assert (
        "prompt2prod:cluster.aks.gpuPool.vmSize: 'Standard_D8ds_v5' is not a GPU (N-series) VM size "
        "(e.g. Standard_NC4as_T4_v3)" in problems("prod", aks(gpuPool={"vmSize": "Standard_D8ds_v5"}))
    )


@pytest.mark.parametrize("pool", ["systemPool", "userPool"])
def test_node_counts_below_one_are_refused(pool: str) -> None:
    found = problems("prod", aks(**{pool: {"vmSize": "Standard_D4ds_v5", "minCount": 0, "maxCount": 0}}))
    assert f"prompt2prod:cluster.aks.{pool}.minCount: Input should be greater than 0" in found
    assert f"prompt2prod:cluster.aks.{pool}.maxCount: Input should be greater than 0" in found


def test_min_count_above_max_count_is_refused() -> None:
    (problem,) = problems("prod", aks(userPool={"vmSize": "Standard_D4ds_v5", "minCount": 4, "maxCount": 2}))
    assert problem == "prompt2prod:cluster.aks.userPool: minCount 4 is above maxCount 2"


def test_max_pods_below_50_is_refused() -> None:
    pool = {"vmSize": "Standard_D4ds_v5", "minCount": 1, "maxCount": 2, "maxPods": 30}
    assert "prompt2prod:cluster.aks.userPool.maxPods: Input should be greater than or equal to 50" in problems(
        "prod", aks(userPool=pool)
    )


def test_duplicate_zones_are_refused() -> None:
    pool = {"vmSize": "Standard_D4ds_v5", "minCount": 1, "maxCount": 2, "zones": ["1", "1"]}
    assert "prompt2prod:cluster.aks.userPool.zones: zones ['1', '1'] lists a zone twice" in problems(
        "prod", aks(userPool=pool)
    )


def test_api_server_open_to_the_internet_is_refused() -> None:
    assert (
        "prompt2prod:cluster.aks.apiServerAuthorizedIpRanges: 0.0.0.0/0 opens the API server to the whole internet"
        in (problems("prod", aks(apiServerAuthorizedIpRanges=["0.0.0.0/0"])))
    )
    (problem,) = problems("prod", aks(apiServerAuthorizedIpRanges=[]))
    assert problem.startswith("prompt2prod:cluster.aks.apiServerAuthorizedIpRanges: required unless aks.privateCluster")


def test_private_cluster_cannot_have_authorized_ranges() -> None:
    (problem,) = problems("prod", aks(privateCluster=True))
    assert "apiServerAuthorizedIpRanges cannot be combined with privateCluster" in problem


def test_patch_channel_needs_a_minor_version_pin() -> None:
    (problem,) = problems("prod", aks(kubernetesVersion="1.33.2"))
    assert "kubernetesVersion '1.33.2' pins a patch release" in problem
    assert load("prod", aks(kubernetesVersion="1.33.2", autoUpgradeChannel="node-image"))


def test_moving_upgrade_channels_are_not_offered() -> None:
    (problem,) = problems("prod", aks(autoUpgradeChannel="rapid"))
    assert problem.startswith("prompt2prod:cluster.aks.autoUpgradeChannel: Input should be 'patch' or 'node-image'")


def test_prod_needs_a_location() -> None:
    assert "prompt2prod:cluster.aks.location: required for prod (an Azure region such as westeurope)" in problems(
        "prod", {"aks": {"apiServerAuthorizedIpRanges": ["203.0.113.0/24"]}}
    )


def test_k3s_version_must_be_a_pinned_release() -> None:
    assert "prompt2prod:cluster.k3s.version: 'latest' is not a pinned K3s release (e.g. v1.33.5+k3s1)" in problems(
        "dev", {"k3s": {"version": "latest"}}
    )


def test_remote_k3s_host_needs_the_ssh_key_secret() -> None:
    assert problems("dev", {"k3s": {"host": "k3s.example.internal"}}) == [
        "prompt2prod:sshPrivateKey: required because cluster.k3s.host 'k3s.example.internal' is reached over SSH"
    ]
    assert load("dev", {"k3s": {"host": "k3s.example.internal"}}, {"sshPrivateKey": "key"})


def test_k3s_host_must_be_a_hostname() -> None:
    assert "prompt2prod:cluster.k3s.host: 'root@host' is not a valid lower-case DNS hostname" in problems(
        "dev", {"k3s": {"host": "root@host"}}
    )


def test_existing_cluster_needs_the_kubeconfig_secret() -> None:
    assert problems("dev", {"kind": "existing"}) == [
        "prompt2prod:kubeconfig: required because cluster.kind is 'existing'"
    ]


def test_existing_cluster_version_is_checked() -> None:
    assert (
        "prompt2prod:cluster.existing.kubernetesVersion: 'v1.30' is not a Kubernetes version (e.g. 1.33 or 1.33.3)"
        in (problems("dev", {"kind": "existing", "existing": {"kubernetesVersion": "v1.30"}}, {"kubeconfig": "x"}))
    )


@pytest.mark.parametrize(("environment", "kind"), [("dev", "aks"), ("prod", "k3s"), ("prod", "existing")])
def test_cluster_kind_must_fit_the_environment(environment: str, kind: str) -> None:
    cluster = {"kind": kind, **(aks() if environment == "prod" else {})}
    assert any(
        p.startswith(f"prompt2prod:cluster.kind: '{kind}' is not a cluster kind for {environment}")
        for p in problems(environment, cluster, {"kubeconfig": "x"})
    )
