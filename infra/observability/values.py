"""Helm values of the monitoring charts, as pure functions of the validated config (tested without mocks).

Every key below was checked against the pinned chart's `values.yaml` (`infra.versions`: kube-prometheus-stack 88.5.3
with its grafana 12.11.1 subchart, loki 7.3.0, alloy 1.11.1). Secrets never appear here: Grafana reads its admin
credentials from an existing Secret made by the secret store, Loki reaches Azure Blob with workload identity.

Persistence that outlives the workloads: every data volume is a StatefulSet `volumeClaimTemplate` (Prometheus
and Alertmanager through the operator, Grafana with `persistence.type: sts`, Loki's single binary), because
Helm never deletes PVCs created from claim templates — `helm uninstall` (and so `pulumi destroy` of a release)
leaves them, and the `persistentVolumeClaimRetentionPolicy: Retain` set below keeps them when the StatefulSet
itself is deleted or scaled down. A re-created release binds the same claims by name and finds its data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from infra import topology
from infra.azure import CLIENT_ID_ANNOTATION, USE_LABEL
from infra.config.base import Resources
from infra.config.observability import ObservabilityConfig
from infra.pod_spec import resource_requirements

KPS_FULLNAME = "prometheus-stack"  # the release's objects are named `prometheus-stack-*`
GRAFANA_ADMIN_USER_KEY = "admin-user"
GRAFANA_ADMIN_PASSWORD_KEY = "admin-password"  # noqa: S105 - the key name inside the Secret, not a password
DASHBOARD_LABEL = "grafana_dashboard"
LOKI_SERVICE_ACCOUNT = "loki"
LOKI_URL = topology.service_url(topology.LOKI_SERVICE, topology.NAMESPACE_MONITORING, topology.LOKI_PORT)
RETAIN = {"whenDeleted": "Retain", "whenScaled": "Retain"}


@dataclass(frozen=True, kw_only=True)
class LokiBlobStorage:
    """Where prod Loki keeps chunks: an Azure storage account and container, reached with workload identity."""

    account_name: pulumi.Input[str]
    container: pulumi.Input[str]
    client_id: pulumi.Input[str]
    """Client id of the user-assigned identity federated with Loki's ServiceAccount."""
    storage_ready: tuple[pulumi.Resource, ...] = ()
    """What Loki must wait for (the role assignment that lets the identity write blobs)."""


def _claim(storage_class: str, size: str) -> dict[str, Any]:
    return {
        "spec": {
            "storageClassName": storage_class,
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": size}},
        }
    }


def kube_prometheus_stack_values(
    config: ObservabilityConfig,
    *,
    storage_class: str,
    grafana_admin_secret: pulumi.Input[str],
    grafana_url: str,
) -> dict[str, Any]:
    prometheus = config.prometheus
    return {
        "fullnameOverride": KPS_FULLNAME,
        "crds": {"enabled": True},
        # K3s and AKS run etcd, the scheduler, the controller manager and kube-proxy where Prometheus cannot
        # scrape them: their ServiceMonitors would only produce permanent TargetDown alerts.
        "kubeEtcd": {"enabled": False},
        "kubeScheduler": {"enabled": False},
        "kubeControllerManager": {"enabled": False},
        "kubeProxy": {"enabled": False},
        "prometheusOperator": {
            "resources": resource_requirements(Resources(cpu_request="50m", memory_request="128Mi"))
        },
        "prometheus": {
            "prometheusSpec": {
                "replicas": config.replicas,
                "retention": prometheus.retention,
                "retentionSize": prometheus.retention_size,
                "scrapeInterval": prometheus.scrape_interval,
                "evaluationInterval": prometheus.scrape_interval,
                # Select every ServiceMonitor/PodMonitor/PrometheusRule in the cluster, not only the release's own.
                "serviceMonitorSelectorNilUsesHelmValues": False,
                "podMonitorSelectorNilUsesHelmValues": False,
                "ruleSelectorNilUsesHelmValues": False,
                "probeSelectorNilUsesHelmValues": False,
                "resources": resource_requirements(prometheus.resources),
                "storageSpec": {"volumeClaimTemplate": _claim(storage_class, prometheus.storage_size)},
                "persistentVolumeClaimRetentionPolicy": RETAIN,
            }
        },
        "alertmanager": {
            "alertmanagerSpec": {
                "replicas": config.replicas,
                "retention": config.alertmanager_retention,
                "resources": resource_requirements(
                    Resources(cpu_request="20m", memory_request="64Mi", memory_limit="256Mi")
                ),
                "storage": {"volumeClaimTemplate": _claim(storage_class, config.alertmanager_storage_size)},
                "persistentVolumeClaimRetentionPolicy": RETAIN,
            }
        },
        "grafana": grafana_values(config, storage_class, grafana_admin_secret, grafana_url),
        "kube-state-metrics": {"resources": resource_requirements(Resources(cpu_request="20m", memory_request="64Mi"))},
        "prometheus-node-exporter": {
            "resources": resource_requirements(
                Resources(cpu_request="20m", memory_request="32Mi", memory_limit="128Mi")
            )
        },
    }


def grafana_values(
    config: ObservabilityConfig, storage_class: str, admin_secret: pulumi.Input[str], url: str
) -> dict[str, Any]:
    grafana = config.grafana
    return {
        # `grafana.fullname` honours fullnameOverride (templates/_helpers.tpl): a fixed Service name for the gateway.
        "fullnameOverride": topology.GRAFANA_SERVICE,
        "admin": {
            "existingSecret": admin_secret,
            "userKey": GRAFANA_ADMIN_USER_KEY,
            "passwordKey": GRAFANA_ADMIN_PASSWORD_KEY,
        },
        # Grafana is public (behind the gateway without an API key): its own login is the only gate, so nobody
        # gets in without an account — no anonymous viewer, no self sign-up — whatever the chart's defaults become.
        "grafana.ini": {
            "server": {"root_url": url},
            "auth.anonymous": {"enabled": False},
            "users": {"allow_sign_up": False, "allow_org_create": False},
            "auth": {"disable_login_form": False},
        },
        "persistence": {
            "enabled": True,
            "type": "sts",
            "storageClassName": storage_class,
            "accessModes": ["ReadWriteOnce"],
            "size": grafana.storage_size,
            "persistentVolumeClaimRetentionPolicy": RETAIN,
        },
        # The volume is group-owned through fsGroup: no root init container to chown it.
        "initChownData": {"enabled": False},
        "testFramework": {"enabled": False},
        "resources": resource_requirements(grafana.resources),
        "sidecar": {
            "dashboards": {"enabled": True, "label": DASHBOARD_LABEL, "labelValue": "1", "searchNamespace": "ALL"},
            "datasources": {"enabled": True, "uid": "prometheus", "isDefaultDatasource": True},
        },
        "additionalDataSources": [
            {
                "name": "Loki",
                "type": "loki",
                "uid": "loki",
                "access": "proxy",
                "url": LOKI_URL,
                "editable": False,
            }
        ],
    }


def loki_values(
    config: ObservabilityConfig, *, storage_class: str, blob: LokiBlobStorage | None = None
) -> dict[str, Any]:
    """SingleBinary Loki: filesystem chunks on its PVC (dev), or Azure Blob through workload identity (prod)."""
    loki = config.loki
    store = "azure" if blob else "filesystem"
    storage: dict[str, Any] = {"type": "filesystem"}
    loki_extra: dict[str, Any] = {}
    service_account: dict[str, Any] = {"create": True, "name": LOKI_SERVICE_ACCOUNT}
    if blob is not None:
        storage = {
            "type": "azure",
            "bucketNames": {"chunks": blob.container, "ruler": blob.container, "admin": blob.container},
            # use_federated_token: the workload identity webhook injects the token file and client/tenant ids.
            "azure": {"accountName": blob.account_name, "useFederatedToken": True},
        }
        loki_extra["podLabels"] = {USE_LABEL: "true"}
        service_account["annotations"] = {CLIENT_ID_ANNOTATION: blob.client_id}
    return {
        "deploymentMode": "SingleBinary",
        "fullnameOverride": topology.LOKI_SERVICE,
        "loki": {
            "auth_enabled": False,
            "commonConfig": {"replication_factor": 1},
            # The chart ships an empty schemaConfig: set it, TSDB index with schema v13 (structured metadata).
            "schemaConfig": {
                "configs": [
                    {
                        "from": "2024-04-01",
                        "store": "tsdb",
                        "object_store": store,
                        "schema": "v13",
                        "index": {"prefix": "loki_index_", "period": "24h"},
                    }
                ]
            },
            "storage": storage,
            "limits_config": {"retention_period": loki.retention},
            "compactor": {
                "retention_enabled": True,
                "delete_request_store": store,
                "working_directory": "/var/loki/compactor",
            },
            **loki_extra,
        },
        "serviceAccount": service_account,
        "singleBinary": {
            "replicas": 1,
            "resources": resource_requirements(loki.resources),
            "persistence": {
                "enabled": True,
                "size": loki.storage_size,
                "storageClass": storage_class,
                # The chart defaults to deleting the claim with the StatefulSet: keep the logs instead.
                "enableStatefulSetAutoDeletePVC": False,
                **RETAIN,
            },
        },
        "read": {"replicas": 0},
        "write": {"replicas": 0},
        "backend": {"replicas": 0},
        # The chart's memcached caches default to gigabytes of memory: a single binary does without them.
        "chunksCache": {"enabled": False},
        "resultsCache": {"enabled": False},
        "gateway": {"enabled": False},
        "lokiCanary": {"enabled": False},
        "test": {"enabled": False},
        "minio": {"enabled": False},
        "monitoring": {"serviceMonitor": {"enabled": True}},
    }


# Pod logs through the Kubernetes API (no host paths), labelled namespace/pod/container. The generator writes one
# JSON object per line: bounded fields become labels, request ids and durations structured metadata.
ALLOY_CONFIG = f"""discovery.kubernetes "pods" {{
  role = "pod"
}}

discovery.relabel "pods" {{
  targets = discovery.kubernetes.pods.targets
  rule {{
    source_labels = ["__meta_kubernetes_namespace"]
    target_label  = "namespace"
  }}
  rule {{
    source_labels = ["__meta_kubernetes_pod_name"]
    target_label  = "pod"
  }}
  rule {{
    source_labels = ["__meta_kubernetes_pod_container_name"]
    target_label  = "container"
  }}
  rule {{
    source_labels = ["__meta_kubernetes_pod_label_app_kubernetes_io_name"]
    target_label  = "app"
  }}
}}

loki.source.kubernetes "pods" {{
  targets    = discovery.relabel.pods.output
  forward_to = [loki.process.pods.receiver]
}}

loki.process "pods" {{
  stage.match {{
    selector = "{{namespace=\\"{topology.NAMESPACE_GENERATOR}\\"}}"
    stage.json {{
      expressions = {{request_id = "", route = "", status = "", duration_ms = "", mode = "", model = ""}}
    }}
    stage.labels {{
      values = {{route = "", status = "", mode = "", model = ""}}
    }}
    stage.structured_metadata {{
      values = {{request_id = "", duration_ms = ""}}
    }}
  }}
  forward_to = [loki.write.default.receiver]
}}

loki.write "default" {{
  endpoint {{
    url = "{LOKI_URL}/loki/api/v1/push"
  }}
}}
"""


def alloy_values() -> dict[str, Any]:
    return {
        "fullnameOverride": "alloy",
        # loki.source.kubernetes tails through the API server: one replica reads every pod, a DaemonSet would
        # ship each line once per node.
        "controller": {"type": "deployment", "replicas": 1},
        "crds": {"create": False},
        "alloy": {
            "configMap": {"create": True, "content": ALLOY_CONFIG},
            "enableReporting": False,
            "resources": resource_requirements(
                Resources(cpu_request="50m", memory_request="128Mi", memory_limit="512Mi")
            ),
        },
        "serviceMonitor": {"enabled": True},
    }
