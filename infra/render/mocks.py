"""Pulumi mocks that stand in for the engine and the providers, shared by the render and the tests.

`RecordingMonitor` records every resource registration the way the engine would see it (parent, provider,
dependencies, resource options, inputs with secrets still marked) and keeps secretness on outputs like the
engine does: a property that was secret as an input, or listed in `additionalSecretOutputs`, stays secret.
`PlatformMocks` returns deterministic ids and the computed outputs that the program reads back.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs

from infra.render import wire

FAKE_KUBECONFIG = """apiVersion: v1
kind: Config
clusters:
- name: {name}
  cluster:
    server: https://{host}:6443
    certificate-authority-data: bW9jay1jYQ==
contexts:
- name: {name}
  context: {{cluster: {name}, user: {name}}}
current-context: {name}
users:
- name: {name}
  user:
    token: mock-token-not-a-secret
"""

ComputedOutputs = Callable[[MockResourceArgs], dict[str, Any]]
MockCall = Callable[[MockCallArgs], dict[str, Any]]


def _kubernetes_object(args: MockResourceArgs) -> dict[str, Any]:
    metadata = dict(args.inputs.get("metadata") or {})
    metadata.setdefault("name", args.name)
    metadata.setdefault("uid", f"uid-{args.name}")
    return {"metadata": metadata}


def _command(args: MockResourceArgs) -> dict[str, Any]:
    create = str(args.inputs.get("create", ""))
    if "k3s.yaml" in create:
        return {"stdout": FAKE_KUBECONFIG.format(name=args.name, host="127.0.0.1"), "stderr": ""}
    return {"stdout": "", "stderr": ""}


MOCK_TENANT_ID = "00000000-0000-0000-0000-00000000a1b2"
MOCK_SUBSCRIPTION_ID = "00000000-0000-0000-0000-00000000c3d4"
MOCK_DEPLOYER_OBJECT_ID = "00000000-0000-0000-0000-00000000e5f6"
FAKE_AKS_KUBECONFIG = """apiVersion: v1
kind: Config
clusters:
- name: {name}
  cluster:
    server: https://{name}.hcp.westeurope.azmk8s.io:443
    certificate-authority-data: bW9jay1jYQ==
contexts:
- name: {name}
  context: {{cluster: {name}, user: clusterUser_{name}}}
current-context: {name}
users:
- name: clusterUser_{name}
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: kubelogin
      args: [get-token, --environment, AzurePublicCloud, --server-id, 6dae42f8-4368-4678-94ff-3960e28e3630,
             --client-id, 80faf920-1908-4b52-b5ef-a8e7bedfc67a, --tenant-id, {tenant}, --login, devicecode]
      interactiveMode: IfAvailable
"""


def _azure_resource(args: MockResourceArgs) -> dict[str, Any]:
    # azure-native auto-names resources (`name` output) when no explicit name input is given.
    return {"name": args.name}


def _managed_cluster(args: MockResourceArgs) -> dict[str, Any]:
    return {
        "fqdn": f"{args.name}.hcp.westeurope.azmk8s.io",
        "oidcIssuerProfile": {
            "enabled": True,
            "issuerURL": f"https://westeurope.oic.prod-aks.azure.com/{MOCK_TENANT_ID}/{args.name}/",
        },
        "identity": {"type": "SystemAssigned", "principalId": f"principal-{args.name}", "tenantId": MOCK_TENANT_ID},
        "identityProfile": {
            "kubeletidentity": {
                "objectId": f"kubelet-object-{args.name}",
                "clientId": f"kubelet-client-{args.name}",
                "resourceId": f"/subscriptions/{MOCK_SUBSCRIPTION_ID}/kubelet-{args.name}",
            }
        },
    }


def _client_config(args: MockCallArgs) -> dict[str, Any]:
    return {
        "clientId": "mock-client-id",
        "objectId": MOCK_DEPLOYER_OBJECT_ID,
        "subscriptionId": MOCK_SUBSCRIPTION_ID,
        "tenantId": MOCK_TENANT_ID,
    }


def _aks_user_credentials(args: MockCallArgs) -> dict[str, Any]:
    text = FAKE_AKS_KUBECONFIG.format(name=args.args.get("resourceName", "aks"), tenant=MOCK_TENANT_ID)
    return {"kubeconfigs": [{"name": "clusterUser", "value": base64.b64encode(text.encode()).decode()}]}


def _random(args: MockResourceArgs) -> dict[str, Any]:
    return {"result": f"mock-random-{args.name}"}


# A documentation address (RFC 5737): what a Gateway reports once its load balancer has one.
MOCK_GATEWAY_ADDRESS = "192.0.2.10"


def _gateway(args: MockResourceArgs) -> dict[str, Any]:
    return {
        "status": {
            "addresses": [{"type": "IPAddress", "value": MOCK_GATEWAY_ADDRESS}],
            "conditions": [{"type": "Programmed", "status": "True", "reason": "Programmed"}],
        }
    }


def _tls_private_key(args: MockResourceArgs) -> dict[str, Any]:
    # Carries the generated-secret marker, so the secret hygiene gate notices if the key ever leaks.
    return {"privateKeyPem": f"mock-random-{args.name}-private-key", "publicKeyPem": f"mock-{args.name}-public-key"}


def _self_signed_cert(args: MockResourceArgs) -> dict[str, Any]:
    return {"certPem": f"-----BEGIN CERTIFICATE-----\nmock-{args.name}\n-----END CERTIFICATE-----\n"}


def _azure_named(key: str) -> ComputedOutputs:
    """Azure resources whose `name` output is their explicit name input (or the Pulumi name when autonamed)."""
    return lambda args: {"name": args.inputs.get(key) or args.name}


def _random_id(args: MockResourceArgs) -> dict[str, Any]:
    # Used for physical-name suffixes, not secrets: a plain hex value like the real one.
    digest = hashlib.sha256(args.name.encode()).hexdigest()[: 2 * int(args.inputs.get("byteLength", 4))]
    return {"hex": digest, "dec": str(int(digest, 16)), "b64Url": digest, "b64Std": digest}


def _azure_guid(seed: str) -> str:
    digest = hashlib.sha256(seed.encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


def _acr(args: MockResourceArgs) -> dict[str, Any]:
    return {"name": args.inputs.get("registryName"), "loginServer": f"{args.inputs.get('registryName')}.azurecr.io"}


def _key_vault(args: MockResourceArgs) -> dict[str, Any]:
    name = args.inputs.get("vaultName")
    return {
        "name": name,
        "properties": {**args.inputs.get("properties", {}), "vaultUri": f"https://{name}.vault.azure.net/"},
    }


def _user_assigned_identity(args: MockResourceArgs) -> dict[str, Any]:
    return {
        "name": args.name,
        "clientId": _azure_guid(f"client-{args.name}"),
        "principalId": _azure_guid(f"principal-{args.name}"),
        "tenantId": _azure_guid("tenant"),
    }


# Computed outputs by type token prefix; components add the ones their code reads back.
COMPUTED_OUTPUTS: dict[str, ComputedOutputs] = {
    "command:local:Command": _command,
    "command:remote:Command": _command,
    "random:index/randomPassword:RandomPassword": _random,
    "random:index/randomString:RandomString": _random,
    # Generic first: a more specific prefix below overrides what it sets.
    "azure-native:": _azure_resource,
    "azure-native:containerservice:ManagedCluster": _managed_cluster,
    "kubernetes:gateway.networking.k8s.io/v1:Gateway": _gateway,
    "tls:index/privateKey:PrivateKey": _tls_private_key,
    "tls:index/selfSignedCert:SelfSignedCert": _self_signed_cert,
    "azure-native:storage:StorageAccount": _azure_named("accountName"),
    "azure-native:storage:BlobContainer": _azure_named("containerName"),
    "azure-native:privatedns:PrivateZone": _azure_named("privateZoneName"),
    "random:index/randomId:RandomId": _random_id,
    "azure-native:containerregistry:Registry": _acr,
    "azure-native:keyvault:Vault": _key_vault,
    "azure-native:managedidentity:UserAssignedIdentity": _user_assigned_identity,
}
# Results of provider functions (invokes) by token.
CALL_RESULTS: dict[str, MockCall] = {
    "azure-native:authorization:getClientConfig": _client_config,
    "azure-native:containerservice:listManagedClusterUserCredentials": _aks_user_credentials,
}


class PlatformMocks(pulumi.runtime.Mocks):
    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        outputs = dict(args.inputs)
        if args.typ.startswith("kubernetes:") and not args.typ.startswith("kubernetes:helm.sh"):
            outputs.update(_kubernetes_object(args))
        for prefix, computed in COMPUTED_OUTPUTS.items():
            if args.typ.startswith(prefix):
                outputs.update(computed(args))
        return f"{args.name}-id", outputs

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        handler = CALL_RESULTS.get(args.token)
        # An empty failure list, not None: the SDK's mock monitor iterates over it.
        return (handler(args) if handler else {}), []


@dataclass
class RecordedResource:
    urn: str
    type: str
    name: str
    parent: str | None
    provider: str | None
    depends_on: list[str]
    inputs: dict[str, Any]
    options: dict[str, Any]
    custom: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "provider": self.provider,
            "dependsOn": self.depends_on,
            "options": self.options,
            "inputs": self.inputs,
        }


@dataclass
class RecordingMonitor(MockMonitor):
    mocks: PlatformMocks = field(default_factory=PlatformMocks)
    recorded: list[RecordedResource] = field(default_factory=list)
    stack_outputs: dict[str, Any] = field(default_factory=dict)
    """The root stack's outputs as the SDK sent them to the engine (its own serialization: `None` values are
    dropped, secrets wrapped), in wire form; what `pulumi stack output --json` is made from."""

    def __post_init__(self) -> None:
        super().__init__(self.mocks)

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # The engine does not prefix the root stack's type onto its children's URNs; the base mock does.
        return super().make_urn("" if "::pulumi:pulumi:Stack::" in parent else parent, type_, name)

    def RegisterResource(self, request: Any) -> Any:
        if request.type == "pulumi:pulumi:Stack":
            return super().RegisterResource(request)
        raw_inputs = json_format.MessageToDict(request.object)
        urn = self.make_urn(request.parent, request.type, request.name)
        self.recorded.append(
            RecordedResource(
                urn=urn,
                type=request.type,
                name=request.name,
                parent=request.parent or None,
                provider=request.provider or None,
                depends_on=sorted(set(request.dependencies)),
                inputs=wire.to_plain(raw_inputs),
                options={
                    "protect": bool(request.protect),
                    "retainOnDelete": bool(request.retainOnDelete),
                    "ignoreChanges": sorted(request.ignoreChanges),
                    "additionalSecretOutputs": sorted(request.additionalSecretOutputs),
                    "deleteBeforeReplace": bool(request.deleteBeforeReplace),
                    "customTimeouts": {
                        key: value
                        for key in ("create", "update", "delete")
                        if (value := getattr(request.customTimeouts, key))
                    },
                },
                custom=bool(request.custom),
            )
        )
        response = super().RegisterResource(request)
        secret_keys = {k for k, v in raw_inputs.items() if wire.contains_secret(v)}
        secret_keys |= set(request.additionalSecretOutputs)
        wire.mark_secret(response.object, secret_keys)
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:
        if "::pulumi:pulumi:Stack::" in request.urn:
            self.stack_outputs = json_format.MessageToDict(request.outputs)
        return super().RegisterResourceOutputs(request)

    def Invoke(self, request: Any) -> Any:
        # The base monitor returns plain values; keep secretness for functions that return credentials.
        response = super().Invoke(request)
        if request.tok in SECRET_INVOKES and response.HasField("return"):
            wire.mark_secret(getattr(response, "return"), set(getattr(response, "return").fields))
        return response


# Functions whose whole result is sensitive (kubeconfigs, keys).
SECRET_INVOKES: set[str] = {"azure-native:containerservice:listManagedClusterUserCredentials"}
