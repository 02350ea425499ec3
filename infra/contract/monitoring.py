"""What alerts and dashboards may select by pod name, as data: each such selector must pick the pods of exactly one
of these workloads (and no other workload's pods), which `tests/platform` checks on every rule and dashboard of
both renders. Pod names are what kube-state-metrics and cAdvisor label by; a prefix such as `ollama-.*` also
matches every other workload whose name starts the same way (the `ollama-preload-<hash>` Job)."""

from __future__ import annotations

from typing import Final

from infra import topology

POD_SELECTED_WORKLOADS: Final = frozenset({f"StatefulSet/{topology.OLLAMA_STATEFULSET}"})
"""`<Kind>/<name>` of the workloads the Ollama alert and dashboard watch (`topology.stateful_set_pods`)."""
