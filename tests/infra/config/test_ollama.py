"""`prompt2prod:ollama` validation: bad values are refused at load, each problem naming its key.

Guards the promises that a volume too small for the listed models, a model of unknown size, GPU on a
cluster without GPU nodes, a bad model name and a non-positive limit never reach `pulumi up`, and that the
render exits 2 on them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from infra.config import ConfigError, StackConfig, parse_config
from infra.config.ollama import KNOWN_MODEL_SIZES_GB, required_storage_bytes
from infra.render.cli import main as render_main
from infra.render.stack_file import encode_config_value
from tests.support import stack_input


def load(stack: str, overrides: dict[str, Any]) -> StackConfig:
    given = stack_input(stack, overrides)
    return parse_config(given.values, given.secret_keys)


def problems(stack: str, overrides: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(stack, overrides)
    return caught.value.problems


def test_the_committed_stacks_are_valid() -> None:
    assert load("dev", {}).platform.ollama.models == ["llama3.2:3b"]
    assert load("prod", {}).platform.ollama.gpu.enabled is False


@pytest.mark.parametrize("bad", ["llama3.2", "Llama3:8b", "llama3:", ":8b", "a/b/c:1", "llama 3:8b"])
def test_a_bad_model_name_is_refused_naming_its_index(bad: str) -> None:
    lines = problems("dev", {"ollama": {"models": ["llama3.2:3b", bad]}})
    assert lines == [
        f"prompt2prod:ollama.models[1]: {bad!r} is not an Ollama model reference 'name:tag' (e.g. llama3.2:3b)"
    ]


def test_a_listed_model_twice_is_refused() -> None:
    assert problems("dev", {"ollama": {"models": ["llama3.2:3b", "llama3.2:3b"]}}) == [
        "prompt2prod:ollama: models lists llama3.2:3b more than once"
    ]


def test_a_volume_too_small_for_the_models_is_refused_with_what_they_need() -> None:
    models = ["llama3.2:3b", "qwen2.5-coder:14b", "llama3.1:8b"]
    lines = problems("dev", {"ollama": {"models": models, "storage": {"size": "15Gi"}}})
    assert len(lines) == 1
    assert lines[0].startswith("prompt2prod:ollama: storage.size 15Gi is too small for models llama3.2:3b, ")
    # (2.0 + 9.0 + 4.9) GB * 1.1 + 1Gi = 17.3Gi
    assert "they need about 17.3Gi (download sizes + 10% + 1Gi)" in lines[0]


def test_a_volume_just_big_enough_is_accepted() -> None:
    models = ["llama3.2:3b", "qwen2.5-coder:14b", "llama3.1:8b"]
    assert load("dev", {"ollama": {"models": models, "storage": {"size": "18Gi"}}}).platform.ollama.storage.size


def test_a_model_of_unknown_size_is_refused_pointing_at_model_sizes() -> None:
    lines = problems("dev", {"ollama": {"models": ["llama3.2:3b", "mymodel:7b"]}})
    assert lines == [
        "prompt2prod:ollama: models mymodel:7b: download size unknown; add it to ollama.modelSizes "
        '(e.g. modelSizes: {"mymodel:7b": "5Gi"}) so that storage.size can be checked'
    ]


def test_a_user_given_size_counts_and_overrides_the_table() -> None:
    config = {"models": ["llama3.2:3b", "mymodel:7b"], "modelSizes": {"mymodel:7b": "40Gi"}}
    lines = problems("dev", {"ollama": {**config, "storage": {"size": "40Gi"}}})
    assert lines[0].startswith("prompt2prod:ollama: storage.size 40Gi is too small")
    assert load("dev", {"ollama": {**config, "storage": {"size": "50Gi"}}})


def test_a_bad_model_size_names_its_key() -> None:
    lines = problems("dev", {"ollama": {"modelSizes": {"mymodel:7b": "-3Gi"}}})
    assert lines == [
        "prompt2prod:ollama.modelSizes.mymodel:7b: '-3Gi' is not a Kubernetes quantity (e.g. 500m, 2, 512Mi, 20Gi)"
    ]


def test_the_headroom_is_ten_percent_plus_one_gibibyte() -> None:
    assert required_storage_bytes(["llama3.1:8b"], {}) == pytest.approx(4.9e9 * 1.1 + 2**30)
    assert required_storage_bytes(["x:1"], {"x:1": "10Gi"}) == pytest.approx(10 * 2**30 * 1.1 + 2**30)


def test_every_known_size_is_a_valid_model_name_and_plausible() -> None:
    for model, size in KNOWN_MODEL_SIZES_GB.items():
        assert load("dev", {"ollama": {"models": [model], "storage": {"size": "100Gi"}}, "generator": {"model": model}})
        assert 0.1 < size < 100


def test_gpu_on_k3s_is_refused() -> None:
    lines = problems("dev", {"ollama": {"gpu": {"enabled": True}}})
    assert lines == [
        "prompt2prod:ollama.gpu.enabled: not supported with cluster.kind 'k3s' (no NVIDIA device plugin is "
        "installed); use cluster.kind 'existing' with labelled GPU nodes, or AKS with cluster.aks.gpuPool"
    ]


def test_gpu_on_aks_without_a_gpu_pool_is_refused() -> None:
    assert problems("prod", {"ollama": {"gpu": {"enabled": True}}}) == [
        "prompt2prod:ollama.gpu.enabled: needs cluster.aks.gpuPool: the cluster has no GPU nodes"
    ]


def test_gpu_on_aks_with_a_gpu_pool_is_accepted() -> None:
    config = load("prod", {"ollama": {"gpu": {"enabled": True, "count": 2}}, "cluster": {"aks": {"gpuPool": {}}}})
    assert config.platform.ollama.gpu.count == 2


def test_gpu_on_an_existing_cluster_is_accepted() -> None:
    overrides = {"cluster": {"kind": "existing"}, "ollama": {"gpu": {"enabled": True}}}
    given = stack_input("dev", overrides, secrets={"kubeconfig": "apiVersion: v1"})
    assert parse_config(given.values, given.secret_keys).platform.ollama.gpu.enabled


def test_a_zero_gpu_count_is_refused() -> None:
    assert problems(
        "prod", {"ollama": {"gpu": {"enabled": True, "count": 0}}, "cluster": {"aks": {"gpuPool": {}}}}
    ) == ["prompt2prod:ollama.gpu.count: Input should be greater than 0"]


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("cpuLimit", "-1", "'-1' is not a Kubernetes quantity (e.g. 500m, 2, 512Mi, 20Gi)"),
        ("memoryLimit", "0", "'0' must be greater than zero"),
        ("memoryRequest", "0Gi", "'0Gi' must be greater than zero"),
    ],
)
def test_a_non_positive_limit_is_refused_naming_its_key(key: str, value: str, message: str) -> None:
    assert problems("dev", {"ollama": {"resources": {key: value}}}) == [
        f"prompt2prod:ollama.resources.{key}: {message}"
    ]


def test_a_zero_storage_size_is_refused() -> None:
    assert problems("dev", {"ollama": {"storage": {"size": "0Gi"}}}) == [
        "prompt2prod:ollama.storage.size: '0Gi' must be greater than zero"
    ]


def test_a_bad_preload_timeout_is_refused() -> None:
    assert problems("dev", {"ollama": {"preloadTimeoutMinutes": 1}}) == [
        "prompt2prod:ollama.preloadTimeoutMinutes: Input should be greater than or equal to 5"
    ]


def test_the_render_exits_2_on_a_volume_too_small(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ollama = {"models": ["qwen2.5-coder:14b", "llama3.2:3b"], "storage": {"size": "5Gi"}}
    lines = [
        "config:",
        "  prompt2prod:environment: dev",
        f"  prompt2prod:ollama: {encode_config_value(ollama)}",
    ]
    (tmp_path / "Pulumi.dev.yaml").write_text("\n".join(lines) + "\n")
    code = render_main(["--stack", "dev", "--out", str(tmp_path / "out"), "--project-dir", str(tmp_path)])
    assert code == 2
    assert "prompt2prod:ollama: storage.size 5Gi is too small" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
