"""`prompt2prod:cluster` — which Kubernetes cluster the platform runs on, and its settings.

`kind` picks the implementation; only the matching sub-object (`k3s`, `existing` or `aks`) is used.
"""

from __future__ import annotations

import re
from ipaddress import IPv4Network
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from infra.config.base import Hostname, PositiveInt, Section, environment_of

_K3S_VERSION = re.compile(r"^v1\.\d+\.\d+\+k3s\d+$")
_AKS_VERSION = re.compile(r"^1\.\d+(\.\d+)?$")
_VM_SIZE = re.compile(r"^Standard_[A-Za-z0-9_]+$")
_AZURE_LOCATION = re.compile(r"^[a-z]+[a-z0-9]*$")


def _vm_size(value: str) -> str:
    if not _VM_SIZE.match(value):
        raise ValueError(f"{value!r} is not an Azure VM size (e.g. Standard_D4ds_v5)")
    return value


VmSize = Annotated[str, AfterValidator(_vm_size)]
Cidr = Annotated[IPv4Network, Field(strict=False)]


class K3sSettings(Section):
    host: Hostname = "localhost"
    """`localhost` installs K3s on the machine running Pulumi; any other name is reached over SSH."""
    ssh_user: str = Field(default="root", min_length=1, pattern=r"^[a-z_][a-z0-9_-]*$")
    ssh_port: int = Field(default=22, ge=1, le=65535)
    version: str = "v1.33.5+k3s1"

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
    context: str | None = None
    """Context to use from the kubeconfig in the `prompt2prod:kubeconfig` secret (default: its current one)."""


class NodePool(Section):
    vm_size: VmSize
    min_count: PositiveInt
    max_count: PositiveInt
    zones: list[Literal["1", "2", "3"]] = ["1", "2", "3"]

    @model_validator(mode="after")
    def _min_below_max(self) -> NodePool:
        if self.min_count > self.max_count:
            raise ValueError(f"minCount {self.min_count} is above maxCount {self.max_count}")
        return self


class GpuPool(Section):
    vm_size: VmSize = "Standard_NC4as_T4_v3"
    min_count: int = Field(default=0, ge=0)
    max_count: PositiveInt = 1


class MaintenanceWindow(Section):
    day: Literal["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"] = "Sunday"
    start_hour: int = Field(default=2, ge=0, le=23)
    duration_hours: int = Field(default=4, ge=4, le=24)


class AksSettings(Section):
    location: str | None = None
    """Azure region, e.g. `westeurope`. Required for prod."""
    kubernetes_version: str = "1.33"
    vnet_cidr: Cidr = IPv4Network("10.42.0.0/16")
    node_subnet_cidr: Cidr = IPv4Network("10.42.0.0/20")
    service_cidr: Cidr = IPv4Network("10.43.0.0/16")
    dns_service_ip: Annotated[str, Field(pattern=r"^\d+\.\d+\.\d+\.\d+$")] = "10.43.0.10"
    system_pool: NodePool = NodePool(vm_size="Standard_D4ds_v5", min_count=2, max_count=3)
    user_pool: NodePool = NodePool(vm_size="Standard_D8ds_v5", min_count=2, max_count=5)
    gpu_pool: GpuPool | None = None
    api_server_authorized_ip_ranges: list[Cidr] = []
    private_cluster: bool = False
    auto_upgrade_channel: Literal["patch", "stable", "rapid", "node-image"] = "patch"
    node_os_upgrade_channel: Literal["NodeImage", "SecurityPatch", "Unmanaged"] = "NodeImage"
    maintenance_window: MaintenanceWindow = MaintenanceWindow()
    admin_group_object_ids: list[Annotated[UUID, Field(strict=False)]] = []
    network_policy: Literal["azure", "calico", "cilium"] = "cilium"

    @field_validator("location")
    @classmethod
    def _location_in_prod(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and environment_of(info) == "prod":
            raise ValueError("required for prod (an Azure region such as westeurope)")
        if value is not None and not _AZURE_LOCATION.match(value):
            raise ValueError(f"{value!r} is not an Azure region name (e.g. westeurope)")
        return value

    @field_validator("kubernetes_version")
    @classmethod
    def _pinned_kubernetes(cls, value: str) -> str:
        if not _AKS_VERSION.match(value):
            raise ValueError(f"{value!r} is not a Kubernetes version (e.g. 1.33 or 1.33.3)")
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
        if not self.node_subnet_cidr.subnet_of(self.vnet_cidr):
            raise ValueError(f"nodeSubnetCidr {self.node_subnet_cidr} is not inside vnetCidr {self.vnet_cidr}")
        if self.service_cidr.overlaps(self.vnet_cidr):
            raise ValueError(f"serviceCidr {self.service_cidr} overlaps vnetCidr {self.vnet_cidr}")
        return self


class ClusterConfig(Section):
    kind: Literal["k3s", "existing", "aks"] = "k3s"
    name: str = Field(default="prompt2prod", pattern=r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$")
    k3s: K3sSettings = K3sSettings()
    existing: ExistingClusterSettings = ExistingClusterSettings()
    aks: AksSettings = AksSettings()

    @field_validator("kind")
    @classmethod
    def _kind_fits_environment(cls, value: str, info: ValidationInfo) -> str:
        allowed = {"prod": {"aks"}, "dev": {"k3s", "existing"}}[environment_of(info)]
        if value not in allowed:
            raise ValueError(f"{value!r} is not a cluster kind for {environment_of(info)} ({sorted(allowed)})")
        return value

    @model_validator(mode="after")
    def _prod_api_server_is_restricted(self) -> ClusterConfig:
        if self.kind == "aks" and not (self.aks.private_cluster or self.aks.api_server_authorized_ip_ranges):
            raise ValueError(
                "aks.apiServerAuthorizedIpRanges is empty and aks.privateCluster is false: "
                "the API server would be open to the internet"
            )
        return self
