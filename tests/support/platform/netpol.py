"""NetworkPolicy evaluation with Kubernetes semantics (networking.k8s.io/v1), on rendered policy objects.

- A pod is isolated for a direction once any policy of its namespace selects it (`podSelector`) with that direction
  in its `policyTypes` (absent: `Ingress`, plus `Egress` when the policy has an `egress` section). A pod no policy
  isolates allows everything in that direction.
- An isolated direction allows the union of the rules of every policy that selects the pod.
- A connection needs both: the source's egress and the destination's ingress (traffic to or from outside the
  cluster has only the pod's side).
- A rule with no `from`/`to` matches every peer; with no `ports`, every port. A peer is an `ipBlock` (the address in
  `cidr` and in none of `except`), a `namespaceSelector` (every pod of the matching namespaces), a `podSelector`
  (pods of the policy's own namespace), or both selectors in one peer (those pods of those namespaces).
- A port is a number (with `endPort`, a range) or a container port name, resolved on the destination pod; the
  protocol defaults to TCP. A named port never matches an address outside the cluster.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tests.support.platform.model import Object, Pod, selects


@dataclass(frozen=True)
class Peer:
    """One end of a connection: a pod (with its address), or an address outside the cluster."""

    address: str
    pod: Pod | None = None

    def __str__(self) -> str:
        return self.pod.workload if self.pod else self.address


def policy_types(policy: Object) -> list[str]:
    spec = policy["spec"]
    if "policyTypes" in spec:
        return list(spec["policyTypes"])
    return ["Ingress", *(["Egress"] if "egress" in spec else [])]


def isolating(policies: Sequence[Object], pod: Pod, direction: str) -> list[Object]:
    """The policies that select `pod` for `direction` (`Ingress` or `Egress`)."""
    return [
        policy
        for policy in policies
        if policy["metadata"]["namespace"] == pod.namespace
        and direction in policy_types(policy)
        and selects(policy["spec"].get("podSelector") or {}, pod.labels)
    ]


def _peer_matches(
    rule_peer: Object, policy_namespace: str, peer: Peer, namespaces: Mapping[str, Mapping[str, str]]
) -> bool:
    if "ipBlock" in rule_peer:
        block = rule_peer["ipBlock"]
        address = ipaddress.ip_address(peer.address)
        if address not in ipaddress.ip_network(block["cidr"]):
            return False
        return not any(address in ipaddress.ip_network(excluded) for excluded in block.get("except") or [])
    if peer.pod is None:
        return False
    if "namespaceSelector" in rule_peer:
        if not selects(rule_peer["namespaceSelector"], namespaces.get(peer.pod.namespace, {})):
            return False
    elif peer.pod.namespace != policy_namespace:
        return False
    return "podSelector" not in rule_peer or selects(rule_peer["podSelector"], peer.pod.labels)


def _port_matches(rule_port: Object, destination: Peer, port: int, protocol: str) -> bool:
    if rule_port.get("protocol", "TCP") != protocol:
        return False
    wanted = rule_port.get("port")
    if wanted is None:
        return True
    if isinstance(wanted, str) and not wanted.isdigit():
        named = destination.pod.port(wanted, protocol) if destination.pod else None
        return named is not None and named.number == port
    low = int(wanted)
    return low <= port <= int(rule_port.get("endPort", low))


def _rule_allows(
    rule: Object,
    peers_key: str,
    policy_namespace: str,
    peer: Peer,
    destination: Peer,
    port: int,
    protocol: str,
    namespaces: Mapping[str, Mapping[str, str]],
) -> bool:
    peers = rule.get(peers_key) or []
    if peers and not any(_peer_matches(p, policy_namespace, peer, namespaces) for p in peers):
        return False
    ports = rule.get("ports") or []
    return not ports or any(_port_matches(p, destination, port, protocol) for p in ports)


def side_allows(
    policies: Sequence[Object],
    namespaces: Mapping[str, Mapping[str, str]],
    *,
    pod: Pod,
    direction: str,
    other: Peer,
    destination: Peer,
    port: int,
    protocol: str,
) -> bool:
    """Whether `pod`'s policies let it talk to (egress) or hear from (ingress) `other`."""
    selecting = isolating(policies, pod, direction)
    if not selecting:
        return True
    rules_key, peers_key = ("egress", "to") if direction == "Egress" else ("ingress", "from")
    return any(
        _rule_allows(rule, peers_key, policy["metadata"]["namespace"], other, destination, port, protocol, namespaces)
        for policy in selecting
        for rule in policy["spec"].get(rules_key) or []
    )


def connection_allowed(
    policies: Sequence[Object],
    namespaces: Mapping[str, Mapping[str, str]],
    source: Peer,
    destination: Peer,
    port: int,
    protocol: str = "TCP",
) -> str | None:
    """None if the connection is allowed, else which side refuses it."""
    common = {"destination": destination, "port": port, "protocol": protocol}
    if source.pod is not None and not side_allows(
        policies, namespaces, pod=source.pod, direction="Egress", other=destination, **common
    ):
        return f"{source}'s egress policy refuses it"
    if destination.pod is not None and not side_allows(
        policies, namespaces, pod=destination.pod, direction="Ingress", other=source, **common
    ):
        return f"{destination}'s ingress policy refuses it"
    return None
