"""A GPU pool is only usable once NVIDIA's device plugin advertises `nvidia.com/gpu` on it: prod with
`ollama.gpu.enabled` installs the plugin on the GPU nodes (and only there), and Ollama waits for it."""

from __future__ import annotations

from infra import topology
from infra.llm.gpu_device_plugin import device_plugin_values
from infra.versions import NVIDIA_DEVICE_PLUGIN
from tests.support import RenderStack

GPU = {"cluster": {"aks": {"gpuPool": {"vmSize": "Standard_NC4as_T4_v3"}}}, "ollama": {"gpu": {"enabled": True}}}


def test_the_plugin_runs_on_gpu_nodes_only_and_tolerates_their_taint() -> None:
    values = device_plugin_values()
    assert values["nodeSelector"] == {topology.GPU_NODE_LABEL: topology.GPU_NODE_LABEL_VALUE}
    assert values["affinity"] == {}
    (toleration,) = values["tolerations"]
    assert f"{toleration['key']}={toleration['value']}:{toleration['effect']}" == topology.GPU_TAINT


def test_prod_with_gpu_installs_the_pinned_plugin_before_ollama(render_stack: RenderStack) -> None:
    result = render_stack("prod", GPU)
    releases = result.of_type("kubernetes:helm.sh/v3:Release")
    (release,) = [r for r in releases if r.inputs["chart"] == NVIDIA_DEVICE_PLUGIN.name]
    assert release.inputs["version"] == NVIDIA_DEVICE_PLUGIN.version
    assert release.inputs["namespace"] == "kube-system"
    # Depending on the component means depending on what it declares: the release.
    assert release.urn in result.named("ollama").depends_on


def test_no_plugin_without_gpu(render_stack: RenderStack) -> None:
    releases = render_stack("prod").of_type("kubernetes:helm.sh/v3:Release")
    assert NVIDIA_DEVICE_PLUGIN.name not in {r.inputs["chart"] for r in releases}
