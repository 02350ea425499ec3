"""Generation: concurrency limit, backend choice, one retry on unusable output, metrics, scaffolding."""

import logging
import math
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any

from app.backends.base import Completion, Delta, LLMBackend, Mode
from app.backends.cloud import CloudBackend
from app.backends.ollama import OllamaBackend
from app.errors import Saturated, ServiceError, UnknownMode, UnusableOutput
from app.metrics import Metrics
from app.project import ParsedProject, UnusableAnswer, parse_answer
from app.scaffold import scaffold
from app.schemas import FileOut, GenerateResponse, Usage
from app.settings import Settings

logger = logging.getLogger("app.generation")

ATTEMPTS = 2  # the first answer, plus one retry when it is unusable
_MODES: dict[str, Mode] = {"local": "local", "cloud": "cloud"}


def parse_mode(header: str | None) -> Mode:
    if header is None or not header.strip():
        return "local"
    mode = _MODES.get(header.strip().lower())
    if mode is None:
        raise UnknownMode("x-llm-mode must be 'local' or 'cloud'")
    return mode


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
        connections = settings.max_concurrent_generations + 4
        self.local = OllamaBackend(
            base_url=settings.ollama_base_url,
            default_model=settings.generator_model,
            timeout_seconds=settings.llm_timeout_seconds,
            connections=connections,
        )
        self.cloud = CloudBackend(
            base_url=settings.cloud_llm_base_url,
            default_model=settings.cloud_llm_model,
            api_key=settings.cloud_api_key(),
            timeout_seconds=settings.llm_timeout_seconds,
            connections=connections,
        )
        self._inflight = 0
        # Smoothed generation time, the basis of Retry-After when saturated.
        self._typical_seconds = 10.0

    def backend(self, mode: Mode) -> LLMBackend:
        return self.local if mode == "local" else self.cloud

    def admit(self) -> Slot:
        """Take a generation slot or fail fast with 429; no await, so check-and-take is atomic."""
        if self._inflight >= self.settings.max_concurrent_generations:
            retry_after = str(min(120, max(1, math.ceil(self._typical_seconds))))
            raise Saturated("too many generations in progress, retry later", headers={"Retry-After": retry_after})
        self._inflight += 1
        self.metrics.inflight.inc()
        return Slot(self)

    def _release(self, seconds: float) -> None:
        self._inflight -= 1
        self.metrics.inflight.dec()
        self._typical_seconds = 0.8 * self._typical_seconds + 0.2 * seconds

    def _observe(self, mode: Mode, model: str, seconds: float, completion: Completion | None) -> None:
        self.metrics.llm_duration.labels(mode, model).observe(seconds)
        if completion is not None:
            if completion.input_tokens:
                self.metrics.llm_tokens.labels(mode, model, "input").inc(completion.input_tokens)
            if completion.output_tokens:
                self.metrics.llm_tokens.labels(mode, model, "output").inc(completion.output_tokens)

    def _failed(self, mode: Mode, reason: str) -> None:
        self.metrics.llm_errors.labels(mode, reason).inc()

    async def run(self, mode: Mode, prompt: str, model: str) -> Outcome:
        """Ask the backend for the project, retrying once when the answer is unusable."""
        backend = self.backend(mode)
        for attempt in range(1, ATTEMPTS + 1):
            started = time.perf_counter()
            try:
                completion = await backend.complete(prompt, model)
            except ServiceError as exc:
                self._observe(mode, model, time.perf_counter() - started, None)
                self._failed(mode, exc.reason)
                raise
            self._observe(mode, model, time.perf_counter() - started, completion)
            try:
                return Outcome(parse_answer(completion.text), completion, attempt)
            except UnusableAnswer as exc:
                self._failed(mode, UnusableOutput.reason)
                logger.warning("unusable model output", extra={"mode": mode, "model": model, "why": str(exc)})
                if attempt == ATTEMPTS:
                    raise UnusableOutput(f"the model's output was unusable twice: {exc}") from exc
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    async def stream(self, mode: Mode, prompt: str, model: str) -> AsyncGenerator[dict[str, Any], None]:
        """Progress events of one generation; backend failures surface as ServiceError."""
        backend = self.backend(mode)
        for attempt in range(1, ATTEMPTS + 1):
            started = time.perf_counter()
            received = 0
            completion: Completion | None = None
            try:
                async for event in backend.stream(prompt, model):
                    if isinstance(event, Delta):
                        received += len(event.text)
                        yield {"event": "progress", "attempt": attempt, "chars": received}
                    else:
                        completion = event
            except ServiceError as exc:
                self._observe(mode, model, time.perf_counter() - started, None)
                self._failed(mode, exc.reason)
                raise
            self._observe(mode, model, time.perf_counter() - started, completion)
            assert completion is not None  # noqa: S101 - backends end every stream with a Completion
            try:
                project = parse_answer(completion.text)
            except UnusableAnswer as exc:
                self._failed(mode, UnusableOutput.reason)
                if attempt == ATTEMPTS:
                    raise UnusableOutput(f"the model's output was unusable twice: {exc}") from exc
                yield {"event": "retry", "attempt": attempt, "reason": str(exc)}
                continue
            yield {
                "event": "result",
                **self.respond(mode, Outcome(project, completion, attempt)).model_dump(),
            }
            return

    def respond(self, mode: Mode, outcome: Outcome) -> GenerateResponse:
        files, language, added = scaffold(outcome.project.files, outcome.project.summary)
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

    async def close(self) -> None:
        await self.local.close()
        await self.cloud.close()
