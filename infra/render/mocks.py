"""Pulumi mocks that stand in for the engine and the providers, shared by the render and the tests.

`RecordingMonitor` records every resource registration the way the engine would see it (parent, provider,
dependencies, resource options, inputs with secrets still marked) and keeps secretness on outputs like the
engine does: a property that was secret as an input, or listed in `additionalSecretOutputs`, stays secret.
`PlatformMocks` returns deterministic ids and the computed outputs that the program reads back.
"""

from __future__ import annotations

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


def _random(args: MockResourceArgs) -> dict[str, Any]:
    return {"result": f"mock-random-{args.name}"}


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
    "random:index/randomId:RandomId": _random_id,
    "azure-native:containerregistry:Registry": _acr,
    "azure-native:keyvault:Vault": _key_vault,
    "azure-native:managedidentity:UserAssignedIdentity": _user_assigned_identity,
}
# Results of provider functions (invokes) by token.
CALL_RESULTS: dict[str, MockCall] = {}


class PlatformMocks(pulumi.runtime.Mocks):
    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        outputs = dict(args.inputs)
        if args.typ.startswith("kubernetes:") and not args.typ.startswith("kubernetes:helm.sh"):
            outputs.update(_kubernetes_object(args))
        for prefix, computed in COMPUTED_OUTPUTS.items():
            if args.typ.startswith(prefix):
                outputs.update(computed(args))
        return f"{args.name}-id", outputs

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        handler = CALL_RESULTS.get(args.token)
        return (handler(args) if handler else {}), None


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
                },
                custom=bool(request.custom),
            )
        )
        response = super().RegisterResource(request)
        secret_keys = {k for k, v in raw_inputs.items() if wire.contains_secret(v)}
        secret_keys |= set(request.additionalSecretOutputs)
        wire.mark_secret(response.object, secret_keys)
        return response

    def Invoke(self, request: Any) -> Any:
        # The base monitor returns plain values; keep secretness for functions that return credentials.
        response = super().Invoke(request)
        if request.tok in SECRET_INVOKES and response.HasField("return"):
            wire.mark_secret(getattr(response, "return"), set(getattr(response, "return").fields))
        return response


# Functions whose whole result is sensitive (kubeconfigs, keys).
SECRET_INVOKES: set[str] = set()
