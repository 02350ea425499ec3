"""docs/gateway.md's routing table names the Services the rendered HTTPRoutes really send traffic to.

Guards against a page that named Grafana's Service `kube-prometheus-stack-grafana:80`, but the chart's
fullname is overridden to `grafana`, so anyone port-forwarding or debugging a route by the doc found nothing.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tests.support import REPO

# A table cell such as: `grafana:80` (namespace `monitoring`)
BACKEND = re.compile(r"`(?P<name>[a-z0-9-]+):(?P<port>\d+)` \(namespace `(?P<namespace>[a-z0-9-]+)`\)")


def documented_backends() -> set[tuple[str, int, str]]:
    text = (REPO / "docs" / "gateway.md").read_text(encoding="utf-8")
    routing = text[text.index("## Routing") :]
    routing = routing[: routing.index("\n## ", 1)]
    return {(m["name"], int(m["port"]), m["namespace"]) for m in BACKEND.finditer(routing)}


def rendered_backends(render: Path) -> set[tuple[str, int, str]]:
    found = set()
    for path in (render / "manifests").glob("*.yaml"):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if not document or document.get("kind") != "HTTPRoute":
                continue
            route_namespace = document["metadata"].get("namespace")
            for rule in document["spec"].get("rules", []):
                for ref in rule.get("backendRefs") or []:
                    found.add((ref["name"], int(ref["port"]), ref.get("namespace", route_namespace)))
    return found


def test_the_routing_table_names_exactly_the_services_the_routes_reach(rendered_dir: Path) -> None:
    documented = documented_backends()
    assert len(documented) >= 3, "the routing table lists its backends as `service:port` (namespace `ns`)"
    assert documented == rendered_backends(rendered_dir)
