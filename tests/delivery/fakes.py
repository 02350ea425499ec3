"""Fakes of what stands around the generator in a cluster, speaking the real wire formats.

- `FakeGateway`: the public gateway as kgateway's `apiKeyAuth` (Envoy's api_key_auth filter) behaves: a missing
  or unknown `x-api-key` gets 401, a known one is removed and the client's name forwarded as
  `x-prompt2prod-client`; requests are routed by Host header to an upstream, and an upstream that refuses the
  connection gets Envoy's 503 "no healthy upstream". Like an edge Envoy without `preserve_external_request_id`,
  it replaces the client's `x-request-id` with one of its own.
- `FakeLoki`: Loki's push and query API (`POST /loki/api/v1/push` with the JSON body, `GET
  /loki/api/v1/query_range` answering `streams`), as Loki's HTTP API reference documents them: timestamps in
  nanoseconds as strings, `start` inclusive and `end` exclusive, `limit`, `direction`, 400 with a plain-text
  parse error for a query it cannot parse. It understands the LogQL the verification uses: a stream selector
  of `=` matchers and `|=` line filters.
- `FakeGitHub`: the deployments REST API where verification verdicts are kept.
- `LogShipper`: Alloy's part, tailing the generator's stdout into Loki with the labels Alloy sets; it can be
  paused (lines never arrive) or slowed down.
"""

from __future__ import annotations

import asyncio
import hmac
import re
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import httpx
from aiohttp import web

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "upgrade", "host", "content-length"}
# The labels Alloy's relabelling gives a generator pod's lines (infra/observability/values.py ALLOY_CONFIG).
GENERATOR_LABELS = {
    "namespace": "generator",
    "pod": "generator-6d9f7-abcde",
    "container": "generator",
    "app": "generator",
}


@dataclass
class FakeGateway:
    keys: dict[str, str]
    """Client name -> API key."""
    routes: dict[str, str] = field(default_factory=dict)
    """Hostname -> upstream base URL."""
    forwarded: list[dict[str, str]] = field(default_factory=list)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        return app

    def _client(self, key: str | None) -> str | None:
        if not key:
            return None
        return next((name for name, known in self.keys.items() if hmac.compare_digest(known, key)), None)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        client = self._client(request.headers.get("x-api-key"))
        if client is None:
            return web.Response(status=401, text="Unauthorized")
        upstream = self.routes.get(request.host.split(":", 1)[0])
        if upstream is None:
            return web.Response(status=404, text="")
        dropped = _HOP_BY_HOP | {"x-api-key", "x-request-id"}
        headers = {k: v for k, v in request.headers.items() if k.lower() not in dropped}
        headers["x-prompt2prod-client"] = client
        headers["x-request-id"] = str(uuid.uuid4())
        self.forwarded.append(headers)
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.request(
                    request.method, upstream + request.path_qs, headers=headers, data=await request.read()
                ) as answer,
            ):
                body = await answer.read()
                kept = {k: v for k, v in answer.headers.items() if k.lower() not in _HOP_BY_HOP}
                return web.Response(status=answer.status, body=body, headers=kept)
        except aiohttp.ClientConnectorError:
            return web.Response(status=503, text="no healthy upstream")


_SELECTOR = re.compile(r"^\{(?P<matchers>[^}]*)\}(?P<pipeline>.*)$", re.DOTALL)
_MATCHER = re.compile(r'^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*$')
_LINE_FILTER = re.compile(r'\s*\|=\s*(?:`([^`]*)`|"((?:[^"\\]|\\.)*)")')


class LogQLError(ValueError):
    pass


def parse_logql(query: str) -> tuple[dict[str, str], list[str]]:
    """A stream selector of `=` matchers and `|=` filters; anything else is a parse error, as in Loki."""
    match = _SELECTOR.match(query.strip())
    if match is None:
        raise LogQLError(f"parse error at line 1, col 1: syntax error: unexpected {query[:1]!r}")
    labels: dict[str, str] = {}
    for part in filter(None, match["matchers"].split(",")):
        found = _MATCHER.match(part)
        if found is None:
            raise LogQLError(f"parse error : unsupported matcher {part.strip()!r}")
        labels[found[1]] = found[2].encode().decode("unicode_escape")
    pipeline, filters = match["pipeline"], []
    while pipeline.strip():
        found = _LINE_FILTER.match(pipeline)
        if found is None:
            raise LogQLError(f"parse error : unsupported pipeline {pipeline.strip()!r}")
        filters.append(found[1] if found[1] is not None else found[2].encode().decode("unicode_escape"))
        pipeline = pipeline[found.end() :]
    if not labels:
        raise LogQLError("parse error : queries require at least one regexp or equality matcher")
    return labels, filters


@dataclass
class FakeLoki:
    streams: dict[tuple[tuple[str, str], ...], list[tuple[int, str]]] = field(default_factory=dict)
    delay: float = 0.0
    queries: list[str] = field(default_factory=list)

    def app(self) -> web.Application:
        app = web.Application()
        app.add_routes(
            [
                web.post("/loki/api/v1/push", self.push),
                web.get("/loki/api/v1/query_range", self.query_range),
                web.get("/ready", self.ready),
            ]
        )
        return app

    async def ready(self, request: web.Request) -> web.Response:
        return web.Response(text="ready")

    def lines(self) -> list[str]:
        return [line for entries in list(self.streams.values()) for _, line in list(entries)]

    async def push(self, request: web.Request) -> web.Response:
        body = await request.json()
        for stream in body.get("streams", []):
            entries = self.streams.setdefault(tuple(sorted(stream["stream"].items())), [])
            entries.extend((int(value[0]), value[1]) for value in stream["values"])
        return web.Response(status=204)

    async def query_range(self, request: web.Request) -> web.Response:
        query = request.query.get("query", "")
        self.queries.append(query)
        await asyncio.sleep(self.delay)
        try:
            selector, filters = parse_logql(query)
        except LogQLError as error:
            return web.Response(status=400, text=str(error))
        now = time.time_ns()
        start = int(request.query.get("start", now - 3600 * 10**9))
        end = int(request.query.get("end", now))
        limit = int(request.query.get("limit", 100))
        backward = request.query.get("direction", "backward") == "backward"
        result = []
        for labels, entries in self.streams.items():
            if not selector.items() <= dict(labels).items():
                continue
            kept = sorted(
                ((ts, line) for ts, line in entries if start <= ts < end and all(f in line for f in filters)),
                reverse=backward,
            )[:limit]
            if kept:
                result.append({"stream": dict(labels), "values": [[str(ts), line] for ts, line in kept]})
        body = {"status": "success", "data": {"resultType": "streams", "result": result, "stats": {"summary": {}}}}
        return web.json_response(body)


class LogShipper:
    """Tails `log` (the generator's stdout) and pushes each new line to Loki, like Alloy does in the cluster."""

    def __init__(self, log: Path, loki_url: str) -> None:
        self.log, self.loki_url = log, loki_url
        self.paused = False
        self.shipped = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> LogShipper:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        with httpx.Client(timeout=5) as client, self.log.open("r", encoding="utf-8", errors="replace") as lines:
            pending = ""
            while not self._stop.is_set():
                chunk = lines.readline()
                if not chunk:
                    time.sleep(0.05)
                    continue
                pending += chunk
                if not pending.endswith("\n"):
                    continue
                line, pending = pending.rstrip("\n"), ""
                if self.paused or not line.strip():
                    continue
                stream = {"stream": GENERATOR_LABELS, "values": [[str(time.time_ns()), line]]}
                client.post(f"{self.loki_url}/loki/api/v1/push", json={"streams": [stream]})
                self.shipped += 1


@dataclass
class FakeGitHub:
    """GitHub's deployments REST API for one repository: list (filtered by environment and task, newest first),
    create, and create a status; Bearer-token auth answering 401 "Bad credentials" like GitHub."""

    repository: str
    token: str
    deployments: list[dict[str, Any]] = field(default_factory=list)
    statuses: dict[int, list[dict[str, Any]]] = field(default_factory=dict)

    def app(self) -> web.Application:
        base = f"/repos/{self.repository}/deployments"
        app = web.Application(middlewares=[self._auth])
        app.add_routes(
            [
                web.get(base, self.list_deployments),
                web.post(base, self.create_deployment),
                web.post(base + "/{id}/statuses", self.create_status),
            ]
        )
        return app

    @web.middleware
    async def _auth(self, request: web.Request, handler: Callable[[web.Request], Awaitable[Any]]) -> Any:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response({"message": "Bad credentials", "status": "401"}, status=401)
        return await handler(request)

    async def list_deployments(self, request: web.Request) -> web.Response:
        found = [
            deployment
            for deployment in self.deployments
            if all(deployment.get(key) == request.query[key] for key in ("environment", "task") if key in request.query)
        ]
        found.sort(key=lambda deployment: deployment["id"], reverse=True)
        return web.json_response(found[: int(request.query.get("per_page", 30))])

    async def create_deployment(self, request: web.Request) -> web.Response:
        body = await request.json()
        if "ref" not in body:
            return web.json_response({"message": 'Invalid request.\n\n"ref" wasn\'t supplied.'}, status=422)
        deployment_id = max((d["id"] for d in self.deployments), default=0) + 1
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        deployment = {
            "id": deployment_id,
            "ref": body["ref"],
            "sha": "0" * 40,
            "task": body.get("task", "deploy"),
            "payload": body.get("payload", {}),
            "environment": body.get("environment", "production"),
            "description": body.get("description"),
            "created_at": stamp,
            "updated_at": stamp,
            "_request": body,
        }
        self.deployments.append(deployment)
        return web.json_response({k: v for k, v in deployment.items() if k != "_request"}, status=201)

    async def create_status(self, request: web.Request) -> web.Response:
        deployment_id = int(request.match_info["id"])
        if not any(d["id"] == deployment_id for d in self.deployments):
            return web.json_response({"message": "Not Found"}, status=404)
        body = await request.json()
        self.statuses.setdefault(deployment_id, []).append(body)
        return web.json_response({"id": len(self.statuses[deployment_id]), **body}, status=201)
