"""`prompt2prod:cluster` — which Kubernetes cluster the platform runs on, and its settings.

`kind` picks the implementation; only the matching sub-object (`k3s`, `existing` or `aks`) is used.
"""

from __future__ import annotations

import re
from ipaddress import IPv4Address, IPv4Network
from typing import TYPE_CHECKING, Annotated, Literal, Self
from uuid import UUID

from pydantic import Field, ValidationInfo, field_validator, model_validator

from infra import versions
from infra.config.base import Cidr, Hostname, PositiveInt, Section, matching, written_as_text
from infra.config.environments import environment_of, kind_allowed_for, rules_of
from infra.config.problems import ProblemAt

_K3S_VERSION = re.compile(r"^v1\.\d+\.\d+\+k3s\d+$")
_KUBERNETES_MINOR = re.compile(r"^1\.\d+$")
_GPU_VM_SIZE = re.compile(r"^Standard_N[A-Z]*\d")
_AZURE_LOCATION = re.compile(r"^[a-z]+[a-z0-9]*$")


# Azure VM size names: Standard_<family><vCPUs><features>[_<accelerator>][_v<generation>], e.g. Standard_D4ds_v5.
VmSize = Annotated[
    str,
    matching(r"^Standard_[A-Z][A-Za-z]*\d+[A-Za-z\-0-9]*(_[A-Za-z0-9]+)*$", "an Azure VM size (e.g. Standard_D4ds_v5)"),
]
KubernetesVersion = Annotated[str, matching(r"^1\.\d+(\.\d+)?$", "a Kubernetes version (e.g. 1.33 or 1.33.3)")]
# Not strict: addresses are written as strings in YAML.
IpAddress = Annotated[IPv4Address, written_as_text("10.43.0.10"), Field(strict=False)]
Zone = Literal["1", "2", "3"]


class K3sSettings(Section):
    host: Hostname = "localhost"
    """`localhost` installs K3s on the machine running Pulumi; any other name is reached over SSH."""
    ssh_user: str = Field(default="root", min_length=1, pattern=r"^[a-z_][a-z0-9_-]*$")
    """SSH user on a remote host; needs passwordless `sudo` unless it is `root`."""
    ssh_port: int = Field(default=22, ge=1, le=65535)
    version: str = versions.K3S_VERSION
    """Pinned K3s release (`vX.Y.Z+k3sN`); changing it upgrades K3s in place."""

    @field_validator("version")
    @classmethod
    def _pinned_version(cls, value: str) -> str:
        if not _K3S_VERSION.match(value):
            raise ValueError(f"{value!r} is not a pinned K3s release (e.g. v1.33.5+k3s1)")
        return value

    @property
    def is_local(self) -> bool:
        return self.host == "localhost"


class ExistingClusterSettings(Section):
    context: str | None = Field(default=None, min_length=1)
    """Context to use from the kubeconfig in the `prompt2prod:kubeconfig` secret (default: its current one)."""
    kubernetes_version: KubernetesVersion = versions.KUBERNETES_VERSION
    """The Kubernetes version of the cluster you bring (reported as the `kubernetesVersion` output)."""
    storage_class: str = Field(default="local-path", pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
    """The storage class persistent volumes are created with."""


MaxPods = Annotated[int, Field(ge=50, le=250)]
OsDiskSizeGb = Annotated[int, Field(ge=30, le=2048)]


class AutoscaledPool(Section):
    """What every node pool shares: the autoscaler's range must not be upside down."""

    if TYPE_CHECKING:  # declared by each pool, in its own order and with its own bounds (the reference lists them)
        min_count: int
        max_count: int

    @model_validator(mode="after")
    def _min_below_max(self) -> Self:
        if self.min_count > self.max_count:
            raise ValueError(f"minCount {self.min_count} is above maxCount {self.max_count}")
        return self


class NodePool(AutoscaledPool):
    vm_size: VmSize
    """Azure VM size of the pool's nodes."""
    min_count: PositiveInt
    """Fewest nodes the autoscaler keeps."""
    max_count: PositiveInt
    """Most nodes the autoscaler adds."""
    zones: list[Zone] = ["1", "2", "3"]
    """Availability zones; empty for regions without zones."""
    max_pods: MaxPods = 110
    """Pods per node."""
    os_disk_size_gb: OsDiskSizeGb = 128
    """Ephemeral OS disk size: must fit the VM size's cache or temp disk (Standard_D4ds_v5: 150 GB)."""

    @field_validator("zones")
    @classmethod
    def _distinct_zones(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError(f"zones {value} lists a zone twice")
        return value


class GpuPool(AutoscaledPool):
    vm_size: VmSize = "Standard_NC4as_T4_v3"
    """An N-series (GPU) VM size."""
    min_count: int = Field(default=0, ge=0)
    """0 lets the autoscaler remove every GPU node while nothing asks for a GPU."""
    max_count: PositiveInt = 1
    """Most GPU nodes the autoscaler adds."""
    max_pods: MaxPods = 110
    """Pods per node."""
    os_disk_size_gb: OsDiskSizeGb = 128
    """Ephemeral OS disk size, as for the other pools."""

    @field_validator("vm_size")
    @classmethod
    def _gpu_vm_size(cls, value: str) -> str:
        if not _GPU_VM_SIZE.match(value):
            raise ValueError(f"{value!r} is not a GPU (N-series) VM size (e.g. Standard_NC4as_T4_v3)")
        return value


class MaintenanceWindow(Section):
    day: Literal["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"] = "Sunday"
    """Day of the weekly window in which AKS may upgrade the cluster and the node images."""
    start_hour: int = Field(default=2, ge=0, le=23)
    """UTC hour at which the window opens."""
    duration_hours: int = Field(default=4, ge=4, le=24)
    """Length of the window in hours (AKS needs at least 4)."""


class LogAnalyticsSettings(Section):
    """Container Insights (the `omsagent` add-on) into a Log Analytics workspace created by the program."""

    enabled: bool = True
    """Container Insights: node and container logs and metrics into a Log Analytics workspace."""
    retention_days: int = Field(default=30, ge=30, le=730)
    """Days the workspace keeps what it ingests."""
    daily_quota_gb: float = Field(default=1.0, gt=0)
    """Ingestion stops for the day past this: a cost ceiling (application logs also go to Loki)."""


class AksSettings(Section):
    location: str | None = None
    """Azure region, e.g. `westeurope`. Required for prod."""
    kubernetes_version: KubernetesVersion = versions.KUBERNETES_VERSION
    """Pinned minor version (the `patch` upgrade channel keeps its patch level current)."""
    sku_tier: Literal["Free", "Standard", "Premium"] = "Standard"
    """`Standard` gives the API server an uptime SLA; `Free` has none (fine for a throwaway cluster)."""
    vnet_cidr: Cidr = IPv4Network("10.42.0.0/16")
    """The VNet's address space."""
    node_subnet_cidr: Cidr = IPv4Network("10.42.0.0/20")
    """The node subnet, inside `vnetCidr`."""
    private_endpoint_subnet_cidr: Cidr = IPv4Network("10.42.16.0/24")
    """Where the container registry's private endpoint gets its addresses (two per registry region)."""
    pod_cidr: Cidr = IPv4Network("10.244.0.0/16")
    """Azure CNI overlay: pod addresses, outside the VNet."""
    service_cidr: Cidr = IPv4Network("10.43.0.0/16")
    """Kubernetes Service addresses, outside the VNet."""
    dns_service_ip: IpAddress = IPv4Address("10.43.0.10")
    """The cluster DNS Service's address, inside `serviceCidr`."""
    system_pool: NodePool = NodePool(vm_size="Standard_D4ds_v5", min_count=2, max_count=3)
    user_pool: NodePool = NodePool(vm_size="Standard_D8ds_v5", min_count=2, max_count=5)
    gpu_pool: GpuPool | None = None
    """A GPU pool (taint `nvidia.com/gpu`, label `prompt2prod.io/pool=gpu`, scales to zero): `{}` adds it with the
    defaults below."""
    api_server_authorized_ip_ranges: list[Cidr] = []
    """Addresses allowed to reach the API server (include where Pulumi runs); prod needs them, or `privateCluster`."""
    private_cluster: bool = False
    """A private API server instead of authorized ranges (then Pulumi must run inside the VNet)."""
    auto_upgrade_channel: Literal["patch", "node-image"] = "patch"
    """`stable`/`rapid` would move the minor version away from the pinned `kubernetesVersion`: not offered."""
    node_os_upgrade_channel: Literal["NodeImage", "SecurityPatch", "Unmanaged"] = "NodeImage"
    """How the nodes' OS gets security updates, in the maintenance window."""
    maintenance_window: MaintenanceWindow = MaintenanceWindow()
    admin_group_object_ids: list[Annotated[UUID, Field(strict=False)]] = []
    """Entra ID groups whose members get cluster-admin (through Azure RBAC)."""
    network_policy: Literal["azure", "calico", "cilium"] = "cilium"
    """The NetworkPolicy engine (`cilium` also runs the Cilium dataplane)."""
    kubelogin_mode: Literal["azurecli", "workloadidentity", "spn", "msi"] = "azurecli"
    """How `kubelogin` gets Entra ID tokens for the exported kubeconfig and Pulumi's Kubernetes provider."""
    log_analytics: LogAnalyticsSettings = LogAnalyticsSettings()

    @field_validator("location")
    @classmethod
    def _location_in_prod(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and rules_of(info).location_required:
            raise ValueError(f"required for {environment_of(info)} (an Azure region such as westeurope)")
        if value is not None and not _AZURE_LOCATION.match(value):
            raise ValueError(f"{value!r} is not an Azure region name (e.g. westeurope)")
        return value

    @field_validator("api_server_authorized_ip_ranges")
    @classmethod
    def _no_open_api_server(cls, value: list[IPv4Network]) -> list[IPv4Network]:
        for network in value:
            if network.prefixlen == 0:
                raise ValueError(f"{network} opens the API server to the whole internet")
        return value

    @model_validator(mode="after")
    def _network_layout(self) -> AksSettings:
        subnets = {
            "nodeSubnetCidr": self.node_subnet_cidr,
            "privateEndpointSubnetCidr": self.private_endpoint_subnet_cidr,
        }
        for key, network in subnets.items():
            if not network.subnet_of(self.vnet_cidr):
                raise ValueError(f"{key} {network} is not inside vnetCidr {self.vnet_cidr}")
        for index, (key, network) in enumerate(subnets.items()):
            for other_key, other in list(subnets.items())[index + 1 :]:
                if network.overlaps(other):
                    raise ValueError(f"{key} {network} overlaps {other_key} {other}")
        for key, network in (("serviceCidr", self.service_cidr), ("podCidr", self.pod_cidr)):
            if network.overlaps(self.vnet_cidr):
                raise ValueError(f"{key} {network} overlaps vnetCidr {self.vnet_cidr}")
        if self.pod_cidr.overlaps(self.service_cidr):
            raise ValueError(f"podCidr {self.pod_cidr} overlaps serviceCidr {self.service_cidr}")
        if self.dns_service_ip not in self.service_cidr:
            raise ValueError(f"dnsServiceIp {self.dns_service_ip} is not inside serviceCidr {self.service_cidr}")
        return self

    @model_validator(mode="after")
    def _version_fits_upgrade_channel(self) -> AksSettings:
        if self.auto_upgrade_channel == "patch" and not _KUBERNETES_MINOR.match(self.kubernetes_version):
            raise ValueError(
                f"kubernetesVersion {self.kubernetes_version!r} pins a patch release, which the 'patch' "
                "autoUpgradeChannel moves away from: pin the minor version (e.g. 1.33)"
            )
        return self

    @model_validator(mode="after")
    def _private_or_authorized_ranges(self) -> AksSettings:
        if self.private_cluster and self.api_server_authorized_ip_ranges:
            raise ValueError("apiServerAuthorizedIpRanges cannot be combined with privateCluster (AKS refuses it)")
        return self


class ClusterConfig(Section):
    kind: Annotated[Literal["k3s", "existing", "aks"], kind_allowed_for("cluster", "a cluster kind")] = "k3s"
    """The cluster: `k3s` or `existing` in dev, `aks` in prod. Only the matching sub-object below is read."""
    name: str = Field(default="prompt2prod", pattern=r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$")
    """Name of the cluster, and prefix of the resources created for it."""
    k3s: K3sSettings = K3sSettings()
    existing: ExistingClusterSettings = ExistingClusterSettings()
    aks: AksSettings = AksSettings()

    @model_validator(mode="after")
    def _prod_api_server_is_restricted(self) -> ClusterConfig:
        if self.kind == "aks" and not (self.aks.private_cluster or self.aks.api_server_authorized_ip_ranges):
            raise ProblemAt(
                "aks.apiServerAuthorizedIpRanges",
                "required unless aks.privateCluster is true: the API server would be open to the internet",
            )
        return self
