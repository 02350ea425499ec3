"""The preload Job's spec functions (no mocks): its name changes exactly when the model list or prune changes.

Guards the idempotency promise: an unchanged (or merely reordered) model list yields the same Job name and
spec, so `pulumi up` leaves the finished Job alone; any real change yields a new name, a replacement that
`pulumi preview` shows.
"""

from __future__ import annotations

import re

import pytest

from infra.llm.preload import (
    preload_container,
    preload_fingerprint,
    preload_job_name,
    preload_job_spec,
    preload_pod_spec,
    preload_script,
)
from tests.support import REPO

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def test_the_job_name_is_a_valid_dns_label_with_a_short_hash() -> None:
    name = preload_job_name(["llama3.2:3b", "qwen2.5-coder:7b"], prune=False)
    assert DNS_LABEL.match(name)
    assert re.fullmatch(r"ollama-preload-[0-9a-f]{10}", name)


def test_reordering_the_models_keeps_the_name() -> None:
    assert preload_job_name(["a:1", "b:2"], prune=False) == preload_job_name(["b:2", "a:1"], prune=False)


@pytest.mark.parametrize(
    ("models", "prune"),
    [(["a:1", "b:2", "c:3"], False), (["a:1"], False), (["a:1", "b:3"], False), (["a:1", "b:2"], True)],
)
def test_adding_removing_changing_a_model_or_prune_changes_the_name(models: list[str], prune: bool) -> None:
    assert preload_fingerprint(models, prune) != preload_fingerprint(["a:1", "b:2"], False)


def test_the_container_gets_the_sorted_models_and_the_prune_flag() -> None:
    container = preload_container(
        image_tag="3.13.9-alpine3.22", ollama_url="http://ollama.llm:11434", models=["b:2", "a:1"], prune=True
    )
    env = {item["name"]: item["value"] for item in container["env"]}
    assert env["PRELOAD_MODELS"] == "a:1 b:2"
    assert env["PRELOAD_PRUNE"] == "true"
    assert env["OLLAMA_HOST"] == "http://ollama.llm:11434"
    assert container["image"] == "docker.io/library/python:3.13.9-alpine3.22"
    assert container["command"] == ["python", "/opt/preload/ollama_preload.py"]


def test_reordered_models_give_an_identical_container() -> None:
    def build(models: list[str]) -> object:
        return preload_container(image_tag="3.13.9-alpine3.22", ollama_url="http://x:1", models=models, prune=False)

    assert build(["a:1", "b:2"]) == build(["b:2", "a:1"])


def test_the_job_has_no_ttl_retries_and_a_deadline() -> None:
    container = preload_container(image_tag="t", ollama_url="http://x:1", models=["a:1"], prune=False)
    pod = preload_pod_spec(container=container, service_account="ollama-preload", config_map="ollama-preload-script")
    spec = preload_job_spec(pod_spec=pod, backoff_limit=3, timeout_minutes=45)
    assert "ttl_seconds_after_finished" not in spec
    assert spec["backoff_limit"] == 3
    assert spec["active_deadline_seconds"] == 45 * 60
    assert pod["restart_policy"] == "Never"
    assert pod["automount_service_account_token"] is False


def test_the_shipped_script_is_the_tested_file() -> None:
    assert preload_script() == (REPO / "infra" / "llm" / "scripts" / "ollama_preload.py").read_text()
