"""The rendered NetworkPolicies allow exactly the platform's flows (`infra.contract.flows`), evaluated with Kubernetes
semantics on the rendered pods and the modelled Helm pods; and the evaluator itself follows those semantics.

Guards: a dropped DNS egress rule (every name lookup times out), a policy opened to the internet (Ollama's
state-changing API reachable directly), the generator reaching the internet without the cloud key or publishing,
publishing without a way to GitHub, generated apps the gateway cannot reach or that can reach everything (no default
deny in their namespace), and an evaluator that would pass any of these by reading a policy too generously.
"""

from __future__ import annotations

from typing import Any

from infra.contract.apps import SAMPLE_APP
from infra.contract.flows import DENIED_FLOWS, REQUIRED_FLOWS
from infra.pod_spec import NON_PUBLIC_IPV4
from tests.support.platform import LoadStack
from tests.support.platform.apps import hosting_an_app
from tests.support.platform.model import ContainerPort, Object, Pod, Render
from tests.support.platform.netpol import Peer, connection_allowed
from tests.support.platform.network import flow_problems


def test_both_renders_allow_every_required_flow_and_deny_every_forbidden_one(platform_render: Render) -> None:
    assert flow_problems(platform_render) == []


def test_cloud_mode_opens_https_to_the_internet_for_the_generator_only(stack_render: LoadStack) -> None:
    render = stack_render("dev", secrets={"cloudLlmApiKey": "PLATFORM-NET-key"})
    assert flow_problems(render) == []
    cloud = [f for f in REQUIRED_FLOWS if f.when == "cloud mode"]
    assert cloud
    assert flow_problems(render, required=tuple(cloud), denied=()) == []


def policy(render: Render, namespace: str, name: str) -> Object:
    return render.one("NetworkPolicy", namespace, name)


def test_a_dropped_dns_egress_rule_is_caught(stack_render: LoadStack) -> None:
    def edit(render: Render) -> None:
        spec = policy(render, "generator", "generator")["spec"]
        spec["egress"] = [rule for rule in spec["egress"] if rule.get("ports", [{}])[0].get("port") != 53]

    problems = flow_problems(stack_render("dev").broken(edit))
    assert problems == [
        f"required generator -> cluster DNS (CoreDNS) 53/{protocol} (name resolution): Deployment/generator -> "
        f"Deployment/coredns: Deployment/generator's egress policy refuses it"
        for protocol in ("UDP", "TCP")
    ]


def test_ollama_opened_to_every_source_is_caught(stack_render: LoadStack) -> None:
    broken = stack_render("dev").broken(lambda r: policy(r, "llm", "ollama")["spec"]["ingress"][0].pop("from"))
    assert flow_problems(broken) == [
        "denied a client on the internet -> Ollama 11434/TCP (Ollama's API (pull, create, delete) is reached only "
        "through the gateway's routes): 203.0.113.7 -> StatefulSet/ollama is allowed"
    ]


def test_internet_egress_without_the_cloud_key_is_caught(stack_render: LoadStack) -> None:
    def edit(render: Render) -> None:
        policy(render, "generator", "generator")["spec"]["egress"].append(
            {"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}], "ports": [{"port": 443}]}
        )

    problems = flow_problems(stack_render("prod").broken(edit))
    assert [p.partition(" (")[0] for p in problems] == [
        "denied generator -> the cloud LLM provider",
        "denied generator -> the GitHub API",
    ]


PUBLISHING = {"generator": {"publishing": {"owners": ["acme"], "clients": ["default"]}}}
TOKEN = {"githubToken": "PLATFORM-NET-github-token"}


def test_publishing_opens_https_for_the_generator_and_the_local_only_denials_lapse(stack_render: LoadStack) -> None:
    render = stack_render("prod", PUBLISHING, secrets=TOKEN)
    assert flow_problems(render) == []
    publishing = [f for f in REQUIRED_FLOWS if f.when == "publishing"]
    assert [f.destination.name for f in publishing] == ["the GitHub API (HTTPS)"]
    assert flow_problems(render, required=tuple(publishing), denied=()) == []


def test_publishing_without_its_egress_rule_is_caught(stack_render: LoadStack) -> None:
    def edit(render: Render) -> None:
        spec = policy(render, "generator", "generator")["spec"]
        spec["egress"] = [rule for rule in spec["egress"] if "ipBlock" not in rule["to"][0]]

    (problem,) = flow_problems(stack_render("dev", PUBLISHING, secrets=TOKEN).broken(edit))
    assert problem.startswith("required generator -> the GitHub API (HTTPS) 443/TCP")


def test_a_gateway_that_cannot_reach_the_apps_is_caught(stack_render: LoadStack) -> None:
    def edit(render: Render) -> None:
        spec = policy(render, "gateway", "public-data-plane")["spec"]
        spec["egress"] = [rule for rule in spec["egress"] if rule.get("ports") != [{"protocol": "TCP", "port": 8080}]]

    (problem,) = flow_problems(stack_render("prod").broken(edit))
    assert problem.startswith("required gateway proxy (Envoy) -> a generated app 8080/TCP")
    assert problem.endswith("Deployment/public's egress policy refuses it")


def test_apps_without_the_namespace_default_deny_are_caught(stack_render: LoadStack) -> None:
    # The scaffold's own policy limits an app's egress to DNS, so the namespace's default deny only shows for an
    # app whose owner relaxed it (deploy/ is theirs once published): its policy here admits the gateway, no more.
    hosted = hosting_an_app(stack_render("dev"))

    def ingress_only(render: Render) -> None:
        spec = policy(render, "apps", SAMPLE_APP)["spec"]
        spec["policyTypes"] = ["Ingress"]
        del spec["egress"]

    assert flow_problems(hosted.broken(lambda r: r.objects.remove(policy(r, "apps", "default-deny")))) == []
    assert flow_problems(hosted.broken(ingress_only)) == []
    broken = hosted.broken(ingress_only).broken(lambda r: r.objects.remove(policy(r, "apps", "default-deny")))
    assert [p.partition(" (")[0] for p in flow_problems(broken)] == [
        "denied a generated app -> the cloud's instance metadata endpoint 80/TCP"
    ]


def test_the_api_key_sync_pod_without_its_deny_all_policy_is_caught(stack_render: LoadStack) -> None:
    broken = stack_render("prod").broken(lambda r: r.objects.remove(policy(r, "gateway", "api-key-sync")))
    problems = flow_problems(broken)
    assert [p.partition(" (it only holds")[0] for p in problems] == [
        "denied API key sync pod -> cluster DNS (CoreDNS) 53/UDP",
        "denied API key sync pod -> cluster DNS (CoreDNS) 53/TCP",
        "denied API key sync pod -> Azure Key Vault (HTTPS) 443/TCP",
        "denied API key sync pod -> the cloud's instance metadata endpoint 80/TCP",
    ]


def test_a_flow_whose_pods_are_missing_is_reported_not_passed(stack_render: LoadStack) -> None:
    broken = stack_render("dev").broken(lambda r: r.objects.remove(r.one("StatefulSet", "llm", "ollama")))
    problems = flow_problems(broken)
    assert "generator -> Ollama 11434/TCP (local generations): no pod of Ollama in the render" in problems


def test_the_contract_lists_each_flow_once() -> None:
    keys = [(f.source.name, f.destination.name, f.port, f.protocol, f.when) for f in REQUIRED_FLOWS + DENIED_FLOWS]
    assert len(keys) == len(set(keys))


# --- the evaluator's semantics, on hand-made policies ---------------------------------------------------------------

NAMESPACES = {
    ns: {"kubernetes.io/metadata.name": ns, "team": team} for ns, team in (("a", "x"), ("b", "x"), ("c", "y"))
}


def pod(namespace: str, app: str, *ports: ContainerPort, address: str = "10.244.1.1") -> Peer:
    return Peer(address, Pod(f"Deployment/{app}", namespace, {"app": app}, list(ports)))


def netpol(namespace: str, selector: dict[str, Any], **spec: Any) -> Object:
    return {"metadata": {"namespace": namespace, "name": "p"}, "spec": {"podSelector": selector, **spec}}


WEB = ContainerPort("http", 8080)
CLIENT = pod("b", "client", address="10.244.2.2")
SERVER = pod("a", "server", WEB)


def test_an_unselected_pod_allows_everything_and_a_selected_one_denies_by_default() -> None:
    assert connection_allowed([], NAMESPACES, CLIENT, SERVER, 8080) is None
    deny_in = netpol("a", {"matchLabels": {"app": "server"}})
    assert connection_allowed([deny_in], NAMESPACES, CLIENT, SERVER, 8080) is not None
    # Egress isolation only when the policy says so (policyTypes, or an egress section).
    assert connection_allowed([netpol("b", {}, ingress=[])], NAMESPACES, CLIENT, SERVER, 8080) is None
    assert connection_allowed([netpol("b", {}, egress=[])], NAMESPACES, CLIENT, SERVER, 8080) is not None


def test_policies_selecting_a_pod_add_up() -> None:
    from_b = netpol(
        "a", {}, ingress=[{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "b"}}}]}]
    )
    nothing = netpol("a", {"matchLabels": {"app": "server"}}, policyTypes=["Ingress"])
    assert connection_allowed([nothing, from_b], NAMESPACES, CLIENT, SERVER, 8080) is None


def test_namespace_and_pod_selectors_in_one_peer_mean_both() -> None:
    both = {"namespaceSelector": {"matchLabels": {"team": "x"}}, "podSelector": {"matchLabels": {"app": "other"}}}
    either = [{"namespaceSelector": {"matchLabels": {"team": "x"}}}, {"podSelector": {"matchLabels": {"app": "other"}}}]
    assert connection_allowed([netpol("a", {}, ingress=[{"from": [both]}])], NAMESPACES, CLIENT, SERVER, 8080)
    assert connection_allowed([netpol("a", {}, ingress=[{"from": either}])], NAMESPACES, CLIENT, SERVER, 8080) is None


def test_a_pod_selector_alone_means_the_policys_own_namespace() -> None:
    same_app_elsewhere = pod("c", "client", address="10.244.3.3")
    rule = {"from": [{"podSelector": {"matchLabels": {"app": "client"}}}]}
    assert connection_allowed([netpol("a", {}, ingress=[rule])], NAMESPACES, same_app_elsewhere, SERVER, 8080)
    local = pod("a", "client", address="10.244.1.9")
    assert connection_allowed([netpol("a", {}, ingress=[rule])], NAMESPACES, local, SERVER, 8080) is None


def test_ip_blocks_honour_their_exceptions() -> None:
    public = {"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": list(NON_PUBLIC_IPV4)}}], "ports": [{"port": 443}]}
    egress = netpol("b", {}, egress=[public], policyTypes=["Egress"])
    assert connection_allowed([egress], NAMESPACES, CLIENT, Peer("198.51.100.1"), 443) is None
    assert connection_allowed([egress], NAMESPACES, CLIENT, Peer("169.254.169.254"), 443)
    assert connection_allowed([egress], NAMESPACES, CLIENT, Peer("10.1.2.3"), 443)
    assert connection_allowed([egress], NAMESPACES, CLIENT, Peer("198.51.100.1"), 80)


def test_ports_by_number_range_name_and_protocol() -> None:
    def allowed(ports: list[dict[str, Any]], port: int, protocol: str = "TCP", destination: Peer = SERVER) -> bool:
        policies = [netpol("a", {}, ingress=[{"ports": ports}]), netpol("b", {}, egress=[{"ports": ports}])]
        return connection_allowed(policies, NAMESPACES, CLIENT, destination, port, protocol) is None

    assert allowed([{"port": 8000, "endPort": 8100}], 8080)
    assert not allowed([{"port": 8000, "endPort": 8050}], 8080)
    assert allowed([{"port": "http"}], 8080)
    assert not allowed([{"port": "metrics"}], 8080)
    assert not allowed([{"port": 8080, "protocol": "UDP"}], 8080)
    assert allowed([{"protocol": "UDP"}], 53, "UDP", pod("a", "server", ContainerPort("dns", 53, "UDP")))
    # A named port is resolved on the destination pod: an address outside the cluster has none.
    outside = netpol("b", {}, egress=[{"ports": [{"port": "http"}]}])
    assert connection_allowed([outside], NAMESPACES, CLIENT, Peer("198.51.100.1"), 8080)
