"""Generation: concurrency limit, backend choice, one retry on unusable output, deadlines, metrics, scaffolding."""

import logging
import math
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any

from app.backends.base import Completion, Delta, LLMBackend, Mode, ModelInfo
from app.backends.cloud import CloudBackend
from app.backends.keys import ApiKey
from app.backends.ollama import OllamaBackend
from app.budget import CloudBudget
from app.checks import Checker, Result
from app.errors import Saturated, ServiceError, UnknownMode, UnusableOutput
from app.lifetime import Deadline
from app.metrics import Metrics, ModelLabels
from app.offload import offload
from app.project import ParsedProject, UnusableAnswer, parse_answer
from app.scaffold import scaffold
from app.schemas import Check, FileOut, GenerateResponse, Usage
from app.settings import Settings

logger = logging.getLogger("app.generation")

ATTEMPTS = 2  # the first answer, plus one retry when it is unusable
# A progress event per this many characters, not per streamed piece: a backend streaming its answer a character
# at a time must not make the service write a line to the client for each.
PROGRESS_EVERY_CHARS = 512
MODES: tuple[Mode, ...] = ("local", "cloud")
#: Answers up to this many characters are checked on the event loop. Checking costs far more than parsing JSON:
#: up to half a microsecond a character (256 KiB of paths 120 folders deep took 120 ms), a thread hop 0.1 ms.
INLINE_CHECK_CHARS = 16 * 1024


def _check(result: Result) -> Check:
    return Check(tool=result.tool, path=result.path, ok=result.ok, message=result.message)


def parse_mode(values: list[str]) -> Mode:
    """The `x-llm-mode` header's values: exactly `local` or `cloud`, as the gateway routes them; absent is local."""
    if not values:
        return "local"
    if len(values) == 1 and values[0] in MODES:
        return "local" if values[0] == "local" else "cloud"
    raise UnknownMode("x-llm-mode must be exactly 'local' or 'cloud' (lower case, once), or absent for local")


async def parse_project(text: str) -> ParsedProject:
    """`parse_answer`, in a worker thread when the answer is large enough to hold up the event loop."""
    if len(text) <= INLINE_CHECK_CHARS:
        return parse_answer(text)
    return await offload(lambda: parse_answer(text))


class Slot:
    """One admitted generation; released exactly once, whichever way the request ends."""

    def __init__(self, service: "GenerationService") -> None:
        self._service = service
        self._started = time.perf_counter()
        self._released = False

    def release(self) -> None:
        if not self._released:
            self._released = True
            self._service._release(time.perf_counter() - self._started)


@dataclass(slots=True)
class Outcome:
    project: ParsedProject
    completion: Completion
    attempts: int


class GenerationService:
    """Owns both backends (and so their pooled sessions) for the lifetime of the app."""

    def __init__(self, settings: Settings, metrics: Metrics) -> None:
        self.settings = settings
        self.metrics = metrics
        # First: it fails when a tool is missing, before any backend session is opened.
        self.checker = Checker(settings, metrics)
        connections = settings.max_concurrent_generations + 4
        self.local = OllamaBackend(
            base_url=settings.ollama_base_url, default_model=settings.generator_model, connections=connections
        )
        secret = settings.cloud_llm_api_key
        self.cloud = CloudBackend(
            base_url=settings.cloud_llm_base_url,
            default_model=settings.cloud_llm_model,
            api_key=ApiKey(value=secret.get_secret_value() if secret else None, path=settings.cloud_llm_api_key_file),
            connections=connections,
        )
        self.labels = ModelLabels([settings.generator_model, settings.cloud_llm_model])
        self.budget = CloudBudget(settings.cloud_budget_requests_per_hour, metrics)
        self._inflight = 0
        # Smoothed generation time, the basis of Retry-After when saturated.
        self._typical_seconds = 10.0

    def backend(self, mode: Mode) -> LLMBackend:
        return self.local if mode == "local" else self.cloud

    def deadline(self) -> Deadline:
        return Deadline(
            request_seconds=self.settings.request_timeout_seconds, call_seconds=self.settings.llm_timeout_seconds
        )

    def admit(self, cloud_client: str | None = None) -> Slot:
        """Take a generation slot, and for a cloud generation one request of the client's cloud budget, or fail fast
        with 429; no await, so check-and-take is atomic."""
        if self._inflight >= self.settings.max_concurrent_generations:
            retry_after = str(min(120, max(1, math.ceil(self._typical_seconds))))
            raise Saturated("too many generations in progress, retry later", headers={"Retry-After": retry_after})
        if cloud_client is not None:
            self.budget.take(cloud_client)
        self._inflight += 1
        self.metrics.inflight.inc()
        return Slot(self)

    def _release(self, seconds: float) -> None:
        self._inflight -= 1
        self.metrics.inflight.dec()
        self._typical_seconds = 0.8 * self._typical_seconds + 0.2 * seconds

    def _observe(self, mode: Mode, model: str, seconds: float, completion: Completion | None) -> None:
        label = self.labels.label(model)
        self.metrics.llm_duration.labels(mode, label).observe(seconds)
        if completion is not None:
            if completion.input_tokens:
                self.metrics.llm_tokens.labels(mode, label, "input").inc(completion.input_tokens)
            if completion.output_tokens:
                self.metrics.llm_tokens.labels(mode, label, "output").inc(completion.output_tokens)

    def _failed(self, mode: Mode, reason: str) -> None:
        self.metrics.llm_errors.labels(mode, reason).inc()

    def _unusable(self, mode: Mode, model: str, attempt: int, exc: UnusableAnswer) -> None:
        self._failed(mode, UnusableOutput.reason)
        logger.warning("unusable model output", extra={"mode": mode, "model": model, "why": str(exc)})
        if attempt == ATTEMPTS:
            raise UnusableOutput(f"the model's output was unusable twice: {exc}") from exc

    async def run(self, mode: Mode, prompt: str, model: str, deadline: Deadline) -> Outcome:
        """Ask the backend for the project, retrying once when the answer is unusable."""
        backend = self.backend(mode)
        for attempt in range(1, ATTEMPTS + 1):
            started = time.perf_counter()
            try:
                async with deadline.until(deadline.call_end(), backend.name):
                    completion = await backend.complete(prompt, model)
            except ServiceError as exc:
                self._observe(mode, model, time.perf_counter() - started, None)
                self._failed(mode, exc.reason)
                raise
            self._observe(mode, model, time.perf_counter() - started, completion)
            try:
                async with deadline.own_work():
                    return Outcome(await parse_project(completion.text), completion, attempt)
            except UnusableAnswer as exc:
                self._unusable(mode, model, attempt, exc)
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    async def stream(
        self, mode: Mode, prompt: str, model: str, deadline: Deadline
    ) -> AsyncGenerator[dict[str, Any] | GenerateResponse, None]:
        """Progress events of one generation, then the response; backend failures surface as ServiceError."""
        backend = self.backend(mode)
        for attempt in range(1, ATTEMPTS + 1):
            started = time.perf_counter()
            call_end = deadline.call_end()
            received = reported = 0
            completion: Completion | None = None
            events = backend.stream(prompt, model)
            try:
                while completion is None:
                    # The deadline bounds each wait for the backend, never the time spent handing events on.
                    async with deadline.until(call_end, backend.name):
                        event = await anext(events)
                    if isinstance(event, Delta):
                        received += len(event.text)
                        if received - reported >= PROGRESS_EVERY_CHARS or not reported:
                            reported = received
                            yield {"event": "progress", "attempt": attempt, "chars": received}
                    else:
                        completion = event
            except ServiceError as exc:
                self._observe(mode, model, time.perf_counter() - started, None)
                self._failed(mode, exc.reason)
                raise
            finally:
                await events.aclose()
            self._observe(mode, model, time.perf_counter() - started, completion)
            try:
                async with deadline.own_work():
                    project = await parse_project(completion.text)
            except UnusableAnswer as exc:
                self._unusable(mode, model, attempt, exc)
                yield {"event": "retry", "attempt": attempt, "reason": str(exc)}
                continue
            response = self.respond(mode, Outcome(project, completion, attempt))
            if self.checker.enabled:
                response.checks = await self.check(response, deadline)
                passed = sum(check.ok for check in response.checks)
                yield {
                    "event": "checks",
                    "passed": passed,
                    "failed": len(response.checks) - passed,
                    "checks": [check.model_dump() for check in response.checks],
                }
            yield response
            return

    async def check(self, response: GenerateResponse, deadline: Deadline) -> list[Check]:
        """The checks of a response's files, within the request's deadline (app/checks). A bug of the checks
        costs the checks, not the project the client waited for."""
        try:
            results = await self.checker.check([(item.path, item.content) for item in response.files], deadline)
        except Exception:
            logger.exception("the checks failed")
            return []
        return [_check(result) for result in results]

    def respond(self, mode: Mode, outcome: Outcome) -> GenerateResponse:
        project = outcome.project
        files, language, added = scaffold(project.files, project.summary, project.paths, settings=self.settings)
        return GenerateResponse(
            files=[FileOut(path=item.path, content=item.content) for item in files],
            model=outcome.completion.model,
            mode=mode,
            summary=outcome.project.summary,
            language=language,
            scaffolded=added,
            warnings=outcome.project.warnings,
            usage=Usage(input_tokens=outcome.completion.input_tokens, output_tokens=outcome.completion.output_tokens),
            attempts=outcome.attempts,
        )

    async def list_models(self) -> list[ModelInfo]:
        """The local backend's models, which also become known `model` label values."""
        models = await self.local.list_models()
        self.labels.learn(info.name for info in models)
        return models

    async def readiness(self) -> str | None:
        reason, models = await self.local.readiness()
        self.labels.learn(info.name for info in models)
        return reason

    async def close(self) -> None:
        await self.local.close()
        await self.cloud.close()
