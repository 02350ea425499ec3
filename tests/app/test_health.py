"""Probes and model listing: `/health` never calls a backend, `/ready` is 200 only when Ollama answers and
has the configured model (else 503 with the reason), `/models` lists the local backend's models.
"""

from tests.app.conftest import ServiceFactory, closed_port_url
from tests.app.fakes import DEFAULT_MODEL, FakeOllama


async def test_health_is_ok_without_calling_a_backend(service_factory: ServiceFactory, ollama: FakeOllama) -> None:
    service = await service_factory()
    ollama.fail_status = 500

    response = await service.client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert ollama.requests == []


async def test_health_is_ok_when_the_backend_is_down(service_factory: ServiceFactory) -> None:
    service = await service_factory(ollama_base_url=closed_port_url())

    assert (await service.client.get("/health")).status_code == 200


async def test_ready_when_backend_has_the_model(service_factory: ServiceFactory) -> None:
    service = await service_factory()

    response = await service.client.get("/ready")

    assert response.status_code == 200
    assert response.json() == {"status": "ready", "model": DEFAULT_MODEL}


async def test_ready_matches_a_model_without_tag_to_latest(service_factory: ServiceFactory) -> None:
    service = await service_factory(generator_model="llama3.2")

    assert (await service.client.get("/ready")).status_code == 200


async def test_not_ready_when_the_model_is_missing(service_factory: ServiceFactory) -> None:
    service = await service_factory(generator_model="mistral:7b")

    response = await service.client.get("/ready")

    assert response.status_code == 503
    assert "mistral:7b" in response.json()["detail"]


async def test_not_ready_when_backend_is_down(service_factory: ServiceFactory) -> None:
    service = await service_factory(ollama_base_url=closed_port_url())

    response = await service.client.get("/ready")

    assert response.status_code == 503
    assert "unreachable" in response.json()["detail"]


async def test_not_ready_when_backend_errors(service_factory: ServiceFactory, ollama: FakeOllama) -> None:
    service = await service_factory()
    ollama.fail_status = 500

    response = await service.client.get("/ready")

    assert response.status_code == 503
    assert "500" in response.json()["detail"]


async def test_models_lists_the_local_backend_models(service_factory: ServiceFactory) -> None:
    service = await service_factory()

    response = await service.client.get("/models")

    assert response.status_code == 200
    body = response.json()
    assert [model["name"] for model in body["models"]] == [DEFAULT_MODEL, "llama3.2:latest"]
    assert body["models"][0]["size"] == 4_683_087_332
    assert body["default"] == DEFAULT_MODEL


async def test_models_is_503_when_backend_is_down(service_factory: ServiceFactory) -> None:
    service = await service_factory(ollama_base_url=closed_port_url())

    response = await service.client.get("/models")

    assert response.status_code == 503
    assert response.json()["detail"]


async def test_a_hostile_model_listing_is_cut_and_cleaned(service_factory: ServiceFactory, ollama: FakeOllama) -> None:
    junk: list[object] = [42, None, {"name": "\ud800"}, {"name": "x" * 10_000}, {"size": 1}]
    hostile = {"name": "bad:1", "size": 10**400, "modified_at": "\udc00" * 10}
    ollama.tags_body = {
        "models": [*junk, hostile, *({"name": f"m{i}:latest"} for i in range(20_000)), {"name": DEFAULT_MODEL}]
    }
    service = await service_factory()

    listed = await service.client.get("/models")
    ready = await service.client.get("/ready")

    assert listed.status_code == 200
    models = listed.json()["models"]
    assert len(models) == 200
    assert models[0] == {"name": "bad:1", "size": None, "modified_at": None}
    assert ready.status_code == 503  # the configured model is past what the service reads of the listing
