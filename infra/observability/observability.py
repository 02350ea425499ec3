"""`Observability` — Prometheus, Alertmanager, Grafana, Loki, log collection, monitors, SLO rules and dashboards.

Creates, in namespace `monitoring`:
- the Grafana admin credentials through the secret store (a Kubernetes Secret read via `admin.existingSecret`);
- kube-prometheus-stack as a `helm.v3.Release`: the chart's admission webhook certificates are made by Helm
  hook Jobs (pre/post-install `admission-create`/`admission-patch`), which `helm.v4.Chart` would not run;
- Loki (SingleBinary) and Grafana Alloy as `helm.v3.Release`s too (one Helm lifecycle, history and rollback for
  every monitoring chart), after kube-prometheus-stack, whose CRDs their own ServiceMonitors need;
- ServiceMonitor/PodMonitors for the generator and kgateway, our PrometheusRule (`infra.observability.slo_rules`),
  all after the release that installs the prometheus-operator CRDs;
- one ConfigMap per dashboard (`infra.observability.dashboards`) labelled for Grafana's dashboard sidecar.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra import topology, versions
from infra.config.observability import ObservabilityConfig
from infra.helm import helm_release
from infra.observability import dashboards, monitors
from infra.observability import values as monitoring_values
from infra.observability.slo_rules import AlertDelays, SloTargets, rule_groups
from infra.observability.values import LokiBlobStorage
from infra.secrets.store import SecretMount, SecretStore, WorkloadSecretsArgs


@dataclass(frozen=True, kw_only=True)
class ObservabilityArgs:
    config: ObservabilityConfig
    storage_class: str
    secret_store: SecretStore
    grafana_admin_password: pulumi.Input[str]
    """A secret Output (config secret `grafanaAdminPassword` or a generated password)."""
    grafana_url: str
    """Grafana's public URL (root_url and the base of the dashboard URLs)."""
    links: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Title -> URL shown on the platform overview dashboard (from the stack outputs)."""
    loki_blob: LokiBlobStorage | None = None
    """prod: Azure Blob for Loki's chunks. None: the filesystem on Loki's volume."""
    namespace: str = topology.NAMESPACE_MONITORING
    alert_delays: AlertDelays = field(default_factory=AlertDelays)
    cloud_budget_per_hour: float = 100.0
    """A client's hourly cloud budget (`generator.cloud.requestsPerHour`): the spend alert's reference."""
    namespace_ready: Sequence[pulumi.Resource] = ()
    """What creates the namespaces; the Grafana credentials and the charts wait for it."""


def dashboard_urls(grafana_url: str) -> dict[str, str]:
    return {name: f"{grafana_url}/d/{spec.uid}" for name, spec in dashboards.ALL.items()}


def dashboard_config_map_args(name: str, namespace: str, body: pulumi.Input[str]) -> dict[str, Any]:
    return {
        "metadata": {
            "name": f"dashboard-{name}",
            "namespace": namespace,
            "labels": {**topology.labels("grafana", "dashboard"), monitoring_values.DASHBOARD_LABEL: "1"},
        },
        "data": {f"{name}.json": body},
    }


def grafana_secret_values(mount: SecretMount) -> dict[str, Any]:
    """Grafana values that mount the secret store's volume and carry its identity (annotations, pod labels).

    Grafana reads its password from `admin.existingSecret`, but the Key Vault store's CSI driver only syncs that
    Kubernetes Secret while a pod mounts the volume: so Grafana mounts it (the chart's `extraSecretMounts`).
    """
    volume = mount.volume
    entry: dict[str, Any] = {"name": volume["name"], "mountPath": mount.mount_path, "readOnly": True}
    # The stores build these dicts synchronously: plain dicts, never Outputs of them.
    csi, secret = volume.get("csi"), volume.get("secret")
    if isinstance(csi, dict):
        entry["csi"] = {"driver": csi["driver"], "readOnly": True, "volumeAttributes": csi.get("volume_attributes")}
    elif isinstance(secret, dict):
        entry |= {"secretName": secret.get("secret_name"), "defaultMode": 0o440}
    else:
        raise ValueError(f"secret volume {volume['name']!r} is neither a Secret nor a CSI volume")
    values: dict[str, Any] = {"extraSecretMounts": [entry]}
    if mount.service_account_annotations:
        values["serviceAccount"] = {"annotations": dict(mount.service_account_annotations)}
    if mount.pod_labels:
        values["podLabels"] = dict(mount.pod_labels)
    return values


class Observability(pulumi.ComponentResource):
    stack: k8s.helm.v3.Release
    loki: k8s.helm.v3.Release
    alloy: k8s.helm.v3.Release
    rules: k8s.apiextensions.CustomResource
    dashboard_urls: dict[str, str]

    def __init__(self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("prompt2prod:index:Observability", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        config = args.config

        admin = args.secret_store.workload_secrets(
            f"{name}-grafana",
            WorkloadSecretsArgs(
                namespace=args.namespace,
                service_account=topology.GRAFANA_SERVICE,
                secrets={
                    monitoring_values.GRAFANA_ADMIN_USER_KEY: pulumi.Output.secret("admin"),
                    monitoring_values.GRAFANA_ADMIN_PASSWORD_KEY: pulumi.Output.secret(args.grafana_admin_password),
                },
                kubernetes_secret=True,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.namespace_ready)),
        )
        if admin.kubernetes_secret_name is None:
            raise ValueError(f"secret store {args.secret_store.kind!r} did not provide a Kubernetes Secret for Grafana")

        stack_values = monitoring_values.kube_prometheus_stack_values(
            config,
            storage_class=args.storage_class,
            grafana_admin_secret=admin.kubernetes_secret_name,
            grafana_url=args.grafana_url,
        )
        stack_values["grafana"] |= grafana_secret_values(admin)
        # Large charts: Helm gets 15 minutes, keeps 10 revisions to roll back to, and cleans up a failed install.
        release: dict[str, Any] = {
            "namespace": args.namespace,
            "create_namespace": False,
            "timeout": 900,
            "max_history": 10,
            "cleanup_on_fail": True,
        }
        self.stack = helm_release(
            f"{name}-stack",
            versions.KUBE_PROMETHEUS_STACK,
            release_name=monitoring_values.KPS_FULLNAME,
            values=stack_values,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*args.namespace_ready, *admin.resources]),
            **release,
        )
        after_crds = pulumi.ResourceOptions(parent=self, depends_on=[self.stack])
        loki_ready = [self.stack, *(args.loki_blob.storage_ready if args.loki_blob else ())]
        self.loki = helm_release(
            f"{name}-loki",
            versions.LOKI,
            release_name=topology.LOKI_SERVICE,
            values=monitoring_values.loki_values(config, storage_class=args.storage_class, blob=args.loki_blob),
            opts=pulumi.ResourceOptions(parent=self, depends_on=loki_ready),
            **release,
        )
        self.alloy = helm_release(
            f"{name}-alloy",
            versions.ALLOY,
            release_name="alloy",
            values=monitoring_values.alloy_values(),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.stack, self.loki]),
            **release,
        )

        interval = config.prometheus.scrape_interval
        for monitor in monitors.platform_monitors(interval):
            k8s.apiextensions.CustomResource(
                f"{name}-{monitor.name}",
                api_version=monitors.MONITORING_API,
                kind=monitor.kind,
                metadata={
                    "name": monitor.name,
                    "namespace": monitor.namespace,
                    "labels": topology.labels(monitor.name, "monitoring"),
                },
                spec=monitor.spec,
                opts=after_crds,
            )
        self.rules = k8s.apiextensions.CustomResource(
            f"{name}-slo-rules",
            api_version=monitors.MONITORING_API,
            kind="PrometheusRule",
            metadata={
                "name": "prompt2prod-slo",
                "namespace": args.namespace,
                "labels": topology.labels("prometheus", "rules"),
            },
            spec={"groups": rule_groups(SloTargets.from_config(config, args.cloud_budget_per_hour), args.alert_delays)},
            opts=after_crds,
        )

        for short, body in dashboards.static_dashboards().items():
            k8s.core.v1.ConfigMap(
                f"{name}-dashboard-{short}", **dashboard_config_map_args(short, args.namespace, body), opts=child
            )
        # Links are Outputs (hostnames and URLs of other components): the JSON is built once they resolve.
        overview = pulumi.Output.all(**args.links).apply(dashboards.overview_dashboard)
        k8s.core.v1.ConfigMap(
            f"{name}-dashboard-overview", **dashboard_config_map_args("overview", args.namespace, overview), opts=child
        )

        self.dashboard_urls = dashboard_urls(args.grafana_url)
        self.register_outputs(
            {
                "stack": self.stack.name,
                "loki": self.loki.name,
                "alloy": self.alloy.name,
                "rules": self.rules.urn,
                "dashboard_urls": self.dashboard_urls,
            }
        )
