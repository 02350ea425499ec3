"""The cloud budget guard: cloud generations only for authenticated clients, at most so many per client per hour.

Who the client is: the gateway authenticates every public request by its API key and sets `x-prompt2prod-client`
to the key's name, replacing any value the request carried; the generator's NetworkPolicy admits only the gateway's
proxies (and Prometheus). So the header names an authenticated client, and a cloud request without a well-formed
one did not come through the gateway's authentication: it is refused (403) before any provider call.

How many: each pod keeps one token bucket per client, refilled continuously at `CLOUD_BUDGET_REQUESTS_PER_HOUR` (the
platform sets this pod's share of the per-client budget: the budget divided by the most pods that can run) and
holding at most an hour's worth (never less than one request). An empty bucket answers 429 with `Retry-After`.
Local generations cost nothing and are never counted.
"""

import math
import re
import time
from collections.abc import Callable
from typing import Final

from app.errors import ServiceError
from app.metrics import OTHER, Metrics

CLIENT_HEADER: Final = "x-prompt2prod-client"
# The gateway's client names (`gateway.apiClients`): the only values a well-formed header can carry.
CLIENT_NAME: Final = re.compile(r"^[a-z][a-z0-9-]{0,31}$")
#: Distinct clients kept as buckets and label values; the gateway allows 32, past this they share `other`.
MAX_CLIENTS: Final = 64


class NotAuthenticated(ServiceError):
    status_code = 403
    reason = "not_authenticated"


class OverBudget(ServiceError):
    status_code = 429
    reason = "over_budget"


class _Bucket:
    __slots__ = ("tokens", "updated")

    def __init__(self, tokens: float, now: float) -> None:
        self.tokens = tokens
        self.updated = now


class CloudBudget:
    """Per-client token buckets; every call is synchronous (no await), so check-and-take is atomic."""

    def __init__(self, requests_per_hour: float, metrics: Metrics, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = requests_per_hour / 3600.0
        self.capacity = max(1.0, requests_per_hour)
        self.metrics = metrics
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def client(self, values: list[str]) -> str:
        """The authenticated client's name from the header's values, or 403."""
        if len(values) != 1 or not CLIENT_NAME.match(values[0]):
            self.metrics.cloud_requests.labels(OTHER, "not_authenticated").inc()
            raise NotAuthenticated("cloud mode needs an API key: send it in x-api-key through the gateway")
        name = values[0]
        return name if name in self._buckets or len(self._buckets) < MAX_CLIENTS else OTHER

    def take(self, client: str) -> None:
        """Spend one cloud request of `client`'s budget, or raise 429 saying when the next one is available."""
        now = self._clock()
        bucket = self._buckets.get(client)
        if bucket is None:
            bucket = self._buckets[client] = _Bucket(self.capacity, now)
        bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens < 1.0:
            self.metrics.cloud_requests.labels(client, "over_budget").inc()
            wait = math.ceil((1.0 - bucket.tokens) / self.rate) if self.rate > 0 else 3600
            raise OverBudget(
                f"cloud budget of client {client!r} is spent for now; local mode stays available",
                headers={"Retry-After": str(max(1, wait))},
            )
        bucket.tokens -= 1.0
        self.metrics.cloud_requests.labels(client, "admitted").inc()
