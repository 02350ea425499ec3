"""Prometheus metrics of the service. Dashboards and alerts use these exact names (docs/service.md lists them)."""

from collections.abc import Iterable
from typing import Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

HTTP_REQUESTS_TOTAL: Final = "generator_http_requests_total"
HTTP_REQUEST_DURATION_SECONDS: Final = "generator_http_request_duration_seconds"
LLM_REQUEST_DURATION_SECONDS: Final = "generator_llm_request_duration_seconds"
LLM_TOKENS_TOTAL: Final = "generator_llm_tokens_total"
LLM_ERRORS_TOTAL: Final = "generator_llm_errors_total"
INFLIGHT_GENERATIONS: Final = "generator_inflight_generations"
CLOUD_REQUESTS_TOTAL: Final = "generator_cloud_requests_total"
PUBLISHES_TOTAL: Final = "generator_publishes_total"
CHECKS_TOTAL: Final = "generator_checks_total"
CHECK_SECONDS: Final = "generator_check_seconds"

#: Metric name -> its label names, as scraped (counters gain the `_total` suffix in the exposition).
METRICS: Final[dict[str, tuple[str, ...]]] = {
    HTTP_REQUESTS_TOTAL: ("route", "method", "status"),
    HTTP_REQUEST_DURATION_SECONDS: ("route",),
    LLM_REQUEST_DURATION_SECONDS: ("mode", "model"),
    LLM_TOKENS_TOTAL: ("mode", "model", "direction"),
    LLM_ERRORS_TOTAL: ("mode", "reason"),
    INFLIGHT_GENERATIONS: (),
    CLOUD_REQUESTS_TOTAL: ("client", "result"),
    PUBLISHES_TOTAL: ("outcome",),
    CHECKS_TOTAL: ("tool", "result"),
    CHECK_SECONDS: ("tool",),
}

#: Values of the `result` label of generator_cloud_requests_total (`admitted` is what the cloud budget spends).
CLOUD_RESULTS: Final = ("admitted", "over_budget", "not_authenticated")

#: Values of the `reason` label of generator_llm_errors_total.
LLM_ERROR_REASONS: Final = ("unreachable", "timeout", "backend_status", "invalid_output", "not_configured")

#: Values of the `outcome` label of generator_publishes_total: published (`created`: straight to a new repository's
#: default branch, `pull_request`) or refused/failed, by whose fault.
PUBLISH_OUTCOMES: Final = ("created", "pull_request", "forbidden", "not_found", "conflict", "rate_limited", "failed")

_LLM_BUCKETS: Final = (0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0)


class Metrics:
    """The service's collectors, in a registry of their own so that several apps can live in one process."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        # prometheus_client appends `_total` to counters itself, so the Counter gets the bare name.
        self.http_requests = Counter(
            HTTP_REQUESTS_TOTAL.removesuffix("_total"),
            "HTTP requests by route template, method and status code.",
            METRICS[HTTP_REQUESTS_TOTAL],
            registry=self.registry,
        )
        self.http_duration = Histogram(
            HTTP_REQUEST_DURATION_SECONDS,
            "HTTP request duration by route template.",
            METRICS[HTTP_REQUEST_DURATION_SECONDS],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0),
        )
        self.llm_duration = Histogram(
            LLM_REQUEST_DURATION_SECONDS,
            "Duration of one call to the LLM backend.",
            METRICS[LLM_REQUEST_DURATION_SECONDS],
            registry=self.registry,
            buckets=_LLM_BUCKETS,
        )
        self.llm_tokens = Counter(
            LLM_TOKENS_TOTAL.removesuffix("_total"),
            "Tokens reported by the LLM backend; direction is input or output.",
            METRICS[LLM_TOKENS_TOTAL],
            registry=self.registry,
        )
        self.llm_errors = Counter(
            LLM_ERRORS_TOTAL.removesuffix("_total"),
            "Failed LLM calls by reason.",
            METRICS[LLM_ERRORS_TOTAL],
            registry=self.registry,
        )
        self.inflight = Gauge(
            INFLIGHT_GENERATIONS,
            "Generations currently running.",
            registry=self.registry,
        )
        self.cloud_requests = Counter(
            CLOUD_REQUESTS_TOTAL.removesuffix("_total"),
            "Cloud-mode generations asked for, by authenticated client (the gateway's key name) and budget result.",
            METRICS[CLOUD_REQUESTS_TOTAL],
            registry=self.registry,
        )
        self.publishes = Counter(
            PUBLISHES_TOTAL.removesuffix("_total"),
            "Publishes to GitHub by outcome.",
            METRICS[PUBLISHES_TOTAL],
            registry=self.registry,
        )
        # Every outcome from the start: an alert on the rate of failures needs the series before the first one.
        for outcome in PUBLISH_OUTCOMES:
            self.publishes.labels(outcome)
        self.checks = Counter(
            CHECKS_TOTAL.removesuffix("_total"),
            "Checks of generated files by tool and result (ok, failed, or error: the tool could not say).",
            METRICS[CHECKS_TOTAL],
            registry=self.registry,
        )
        self.check_seconds = Histogram(
            CHECK_SECONDS,
            "Duration of one tool run on a generated project (in-process checks: their time on one project).",
            METRICS[CHECK_SECONDS],
            registry=self.registry,
            buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
        )


OTHER: Final = "other"
#: Known model names kept as label values; past this, new names count as `other`.
MAX_MODEL_LABELS: Final = 64
_METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def method_label(method: str) -> str:
    """The request method, or `other` for the rest (some servers accept any token as a method)."""
    return method if method in _METHODS else OTHER


def _key(model: str) -> str:
    # Ollama names `llama3` and `llama3:latest` one model.
    return model if ":" in model else f"{model}:latest"


class ModelLabels:
    """Values of the `model` label: the configured models and those the local backend lists, else `other`.

    The model name comes from the client, and every new label value is a new series in every scrape: 3000
    random names made /metrics 9.9 MB. Only names the service knows become label values.
    """

    def __init__(self, configured: Iterable[str]) -> None:
        self._known: dict[str, str] = {}
        self.learn(configured)

    def learn(self, models: Iterable[str]) -> None:
        for model in models:
            if len(self._known) >= MAX_MODEL_LABELS:
                return
            self._known.setdefault(_key(model), model)

    def label(self, model: str) -> str:
        return self._known.get(_key(model), OTHER)
