"""Helm values of kube-prometheus-stack, Loki and Alloy, built from config by pure functions (no mocks).

Guards what users notice on a cluster: retention and volumes as configured, volumes that survive a release's
deletion, our monitors and rules actually selected, Loki that fits a small node, no secret in any value.
"""

from __future__ import annotations

import json

from infra.config.observability import ObservabilityConfig
from infra.observability.values import (
    ALLOY_CONFIG,
    LokiBlobStorage,
    alloy_values,
    kube_prometheus_stack_values,
    loki_values,
)

CONFIG = ObservabilityConfig.model_validate(
    {"prometheus": {"retention": "30d", "retentionSize": "40GB", "storageSize": "50Gi"}, "loki": {"retention": "72h"}}
)
KPS = kube_prometheus_stack_values(
    CONFIG, storage_class="managed-csi-premium", grafana_admin_secret="grafana-admin", grafana_url="https://g.example"
)
RETAIN = {"whenDeleted": "Retain", "whenScaled": "Retain"}


def test_prometheus_retention_and_volume_follow_config() -> None:
    spec = KPS["prometheus"]["prometheusSpec"]
    assert (spec["retention"], spec["retentionSize"]) == ("30d", "40GB")
    claim = spec["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert claim["resources"]["requests"]["storage"] == "50Gi"
    assert claim["storageClassName"] == "managed-csi-premium"


def test_data_volumes_are_claim_templates_kept_on_delete() -> None:
    assert KPS["prometheus"]["prometheusSpec"]["persistentVolumeClaimRetentionPolicy"] == RETAIN
    assert KPS["alertmanager"]["alertmanagerSpec"]["persistentVolumeClaimRetentionPolicy"] == RETAIN
    grafana = KPS["grafana"]["persistence"]
    assert (grafana["type"], grafana["persistentVolumeClaimRetentionPolicy"]) == ("sts", RETAIN)
    loki = loki_values(CONFIG, storage_class="local-path")["singleBinary"]["persistence"]
    assert (loki["whenDeleted"], loki["whenScaled"], loki["enableStatefulSetAutoDeletePVC"]) == (
        "Retain",
        "Retain",
        False,
    )


def test_prometheus_selects_monitors_and_rules_from_every_namespace() -> None:
    spec = KPS["prometheus"]["prometheusSpec"]
    for kind in ("serviceMonitor", "podMonitor", "rule", "probe"):
        assert spec[f"{kind}SelectorNilUsesHelmValues"] is False


def test_grafana_admin_comes_from_existing_secret_and_no_password_is_in_values() -> None:
    grafana = KPS["grafana"]
    assert grafana["admin"] == {
        "existingSecret": "grafana-admin",
        "userKey": "admin-user",
        "passwordKey": "admin-password",
    }
    assert "adminPassword" not in json.dumps(KPS)


def test_grafana_sidecars_and_loki_datasource() -> None:
    sidecar = KPS["grafana"]["sidecar"]
    assert sidecar["dashboards"]["label"] == "grafana_dashboard"
    assert sidecar["dashboards"]["labelValue"] == "1"
    assert sidecar["datasources"]["enabled"] is True
    (loki,) = KPS["grafana"]["additionalDataSources"]
    assert (loki["type"], loki["uid"], loki["url"]) == ("loki", "loki", "http://loki.monitoring.svc.cluster.local:3100")


def test_loki_single_binary_with_explicit_schema_and_no_memcached() -> None:
    values = loki_values(CONFIG, storage_class="local-path")
    assert values["deploymentMode"] == "SingleBinary"
    (schema,) = values["loki"]["schemaConfig"]["configs"]
    assert (schema["store"], schema["schema"], schema["object_store"]) == ("tsdb", "v13", "filesystem")
    assert values["chunksCache"] == {"enabled": False}
    assert values["resultsCache"] == {"enabled": False}
    assert {values[k]["replicas"] for k in ("read", "write", "backend")} == {0}
    assert values["loki"]["limits_config"]["retention_period"] == "72h"
    assert values["loki"]["compactor"]["retention_enabled"] is True


def test_loki_dev_keeps_chunks_on_its_volume() -> None:
    values = loki_values(CONFIG, storage_class="local-path")
    assert values["loki"]["storage"] == {"type": "filesystem"}
    assert values["singleBinary"]["persistence"]["storageClass"] == "local-path"
    assert "annotations" not in values["serviceAccount"]


def test_loki_prod_uses_azure_blob_with_workload_identity_and_no_key() -> None:
    blob = LokiBlobStorage(account_name="lokilogsabc", container="loki", client_id="client-1")
    values = loki_values(CONFIG, storage_class="managed-csi-premium", blob=blob)
    storage = values["loki"]["storage"]
    assert storage["type"] == "azure"
    assert storage["azure"] == {"accountName": "lokilogsabc", "useFederatedToken": True}
    assert storage["bucketNames"]["chunks"] == "loki"
    assert values["loki"]["schemaConfig"]["configs"][0]["object_store"] == "azure"
    assert values["loki"]["compactor"]["delete_request_store"] == "azure"
    assert values["serviceAccount"]["annotations"] == {"azure.workload.identity/client-id": "client-1"}
    assert values["loki"]["podLabels"] == {"azure.workload.identity/use": "true"}
    assert "accountKey" not in json.dumps(values)


def test_alloy_ships_pod_logs_with_kubernetes_labels_and_parses_generator_json() -> None:
    for label in ('target_label  = "namespace"', 'target_label  = "pod"', 'target_label  = "container"'):
        assert label in ALLOY_CONFIG
    assert 'selector = "{namespace=\\"generator\\"}"' in ALLOY_CONFIG
    for field in ("request_id", "route", "status", "duration_ms", "mode", "model"):
        assert f'{field} = ""' in ALLOY_CONFIG
    assert 'url = "http://loki.monitoring.svc.cluster.local:3100/loki/api/v1/push"' in ALLOY_CONFIG
    values = alloy_values()
    assert values["controller"] == {"type": "deployment", "replicas": 1}
    assert values["alloy"]["configMap"]["content"] == ALLOY_CONFIG


def test_request_ids_are_not_labels() -> None:
    labels_stage = ALLOY_CONFIG.split("stage.labels")[1].split("}")[0]
    assert "request_id" not in labels_stage
    assert "request_id" in ALLOY_CONFIG.split("stage.structured_metadata")[1]
