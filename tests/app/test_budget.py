"""The cloud budget guard over HTTP: cloud generations only for a client the gateway authenticated, at most the
configured number per client per hour on this pod, each one counted on /metrics by client.

Guards the public surface's promise: anyone could spend the cloud provider's budget through `x-llm-mode: cloud`. A cloud
request without the gateway's client header must never reach the provider; one client spending its budget must not stop
another, nor local mode.
"""

import pytest

from app.budget import CLIENT_HEADER, MAX_CLIENTS, CloudBudget, OverBudget
from app.metrics import Metrics
from tests.app.conftest import ServiceFactory
from tests.app.fakes import FakeOpenAI
from tests.support.exposition import scrape, value

CLOUD = {"x-llm-mode": "cloud"}


@pytest.mark.parametrize(
    "client",
    [None, "", "Alice", "alice,bob", "a" * 40, "../admin"],
    ids=["absent", "empty", "upper-case", "two-names", "too-long", "path"],
)
async def test_cloud_mode_without_an_authenticated_client_is_403_and_never_reaches_the_provider(
    service_factory: ServiceFactory, cloud: FakeOpenAI, client: str | None
) -> None:
    service = await service_factory()
    headers = {**CLOUD, CLIENT_HEADER: client} if client is not None else CLOUD
    if client is None:
        del service.client.headers[CLIENT_HEADER]
    response = await service.client.post("/generate", json={"prompt": "x"}, headers=headers)
    assert response.status_code == 403
    assert "x-api-key" in response.json()["detail"]
    assert cloud.requests == []
    local = await service.client.post("/generate", json={"prompt": "x"}, headers={"x-llm-mode": "local"})
    assert local.status_code == 200


async def test_a_client_over_its_budget_gets_429_with_retry_after_while_others_and_local_go_on(
    service_factory: ServiceFactory, cloud: FakeOpenAI
) -> None:
    service = await service_factory(cloud_budget_requests_per_hour=2)
    alice = {**CLOUD, CLIENT_HEADER: "alice"}
    statuses = [
        (await service.client.post("/generate", json={"prompt": "x"}, headers=alice)).status_code for _ in range(3)
    ]
    assert statuses == [200, 200, 429]
    refused = await service.client.post("/generate", json={"prompt": "x"}, headers=alice)
    assert 1 <= int(refused.headers["retry-after"]) <= 1800  # one request comes back every 30 minutes
    assert len(cloud.requests) == 2
    bob = await service.client.post("/generate", json={"prompt": "x"}, headers={**CLOUD, CLIENT_HEADER: "bob"})
    local = await service.client.post("/generate", json={"prompt": "x"}, headers={CLIENT_HEADER: "alice"})
    assert (bob.status_code, local.status_code) == (200, 200)

    samples = scrape((await service.client.get("/metrics")).text)
    counted = {
        (labels["client"], labels["result"]): count for labels, count in samples["generator_cloud_requests_total"]
    }
    assert counted == {("alice", "admitted"): 2, ("alice", "over_budget"): 2, ("bob", "admitted"): 1}
    assert value(samples, "generator_llm_request_duration_seconds_count", mode="cloud") == 3


async def test_streamed_cloud_generations_spend_the_budget_too(service_factory: ServiceFactory) -> None:
    service = await service_factory(cloud_budget_requests_per_hour=1)
    headers = {**CLOUD, "accept": "application/x-ndjson"}
    first = await service.client.post("/generate", json={"prompt": "x"}, headers=headers)
    second = await service.client.post("/generate", json={"prompt": "x"}, headers=headers)
    assert (first.status_code, second.status_code) == (200, 429)


def test_the_bucket_refills_at_the_hourly_rate_and_never_beyond_an_hour() -> None:
    now = [0.0]
    budget = CloudBudget(60, Metrics(), clock=lambda: now[0])
    for _ in range(60):
        budget.take("ci")
    with pytest.raises(OverBudget) as refused:
        budget.take("ci")
    assert refused.value.headers == {"Retry-After": "60"}
    now[0] += 60.0
    budget.take("ci")  # a minute of a 60-per-hour budget buys exactly one request, not more
    with pytest.raises(OverBudget):
        budget.take("ci")
    now[0] += 10 * 3600.0
    for _ in range(60):
        budget.take("ci")
    with pytest.raises(OverBudget):
        budget.take("ci")


def test_unknown_clients_past_the_bound_share_one_bucket_and_label() -> None:
    budget = CloudBudget(1, Metrics())
    names = [budget.client([f"c{i}"]) for i in range(MAX_CLIENTS)]
    for name in names:
        budget.take(name)
    assert budget.client(["late-one"]) == budget.client(["late-two"]) == "other"
    budget.take("other")
    with pytest.raises(OverBudget):
        budget.take(budget.client(["late-two"]))
