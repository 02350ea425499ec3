"""Ollama model preload: make the models on the Ollama server's volume match a list. Run by the preload Job.

Standard library only (it runs in a stock `python` image, shipped in a ConfigMap). It talks to the running
Ollama server over its HTTP API, so the server writes the models to its own volume:

1. waits for `GET /api/version` to answer (up to PRELOAD_WAIT_SECONDS);
2. reads the models already on the volume from `GET /api/tags`;
3. pulls each listed model that is missing with `POST /api/pull`, logging its progress line by line
   (status changes, and every 10% of each layer), and skips the ones already there;
4. with PRELOAD_PRUNE=true, deletes the models on the volume that are not listed (`DELETE /api/delete`),
   only after every pull succeeded, so that a failed run never leaves the server with fewer models.

Environment: OLLAMA_HOST (base URL), PRELOAD_MODELS (space-separated `name:tag`), PRELOAD_PRUNE (true|false),
PRELOAD_WAIT_SECONDS (default 300). Exit status 0 when the volume matches the list, 1 on any failure, 2 on
bad input.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from http.client import HTTPResponse
from typing import Any

READ_TIMEOUT_SECONDS = 600.0


class PreloadError(Exception):
    pass


def log(message: str) -> None:
    print(message, flush=True)


class OllamaApi:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def _open(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> HTTPResponse:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 - the URL is the in-cluster Ollama Service from the Job spec
            f"{self.base_url}{path}", data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            response: HTTPResponse = urllib.request.urlopen(request, timeout=READ_TIMEOUT_SECONDS)  # noqa: S310
        except urllib.error.HTTPError as error:
            raise PreloadError(f"{method} {path}: HTTP {error.code}: {_error_text(error.read())}") from None
        except (urllib.error.URLError, OSError) as error:
            raise PreloadError(f"{method} {path}: {getattr(error, 'reason', error)}") from None
        return response

    def version(self) -> str:
        with self._open("GET", "/api/version") as response:
            return str(json.load(response).get("version", "unknown"))

    def models(self) -> set[str]:
        with self._open("GET", "/api/tags") as response:
            return {str(entry["name"]) for entry in json.load(response).get("models", [])}

    def pull(self, model: str) -> Iterator[dict[str, Any]]:
        """The NDJSON progress events of a streamed pull, one per line, as the server sends them."""
        with self._open("POST", "/api/pull", {"model": model, "stream": True}) as response:
            for raw in response:
                line = raw.strip()
                if line:
                    yield json.loads(line)

    def delete(self, model: str) -> None:
        with self._open("DELETE", "/api/delete", {"model": model}):
            pass


def _error_text(body: bytes) -> str:
    try:
        return str(json.loads(body).get("error", body.decode(errors="replace")))
    except (ValueError, AttributeError):
        return body.decode(errors="replace").strip() or "no body"


def wait_for_server(api: OllamaApi, wait_seconds: float) -> None:
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            log(f"ollama {api.version()} is up at {api.base_url}")
            return
        except PreloadError as error:
            if time.monotonic() >= deadline:
                raise PreloadError(f"ollama did not answer within {wait_seconds:.0f}s: {error}") from None
            log(f"waiting for ollama: {error}")
            time.sleep(2)


def pull(api: OllamaApi, model: str) -> None:
    """Pull one model, logging status changes and every 10% of each layer; raise on an error event."""
    last_status = ""
    logged_percent: dict[str, int] = {}
    for event in api.pull(model):
        if "error" in event:
            raise PreloadError(f"pull {model}: {event['error']}")
        status = str(event.get("status", ""))
        digest, total, completed = event.get("digest"), event.get("total"), event.get("completed")
        if digest and total:
            percent = min(100, int(100 * (completed or 0) / total)) // 10 * 10
            if percent > logged_percent.get(digest, -1):
                logged_percent[digest] = percent
                log(f"{model}: {status} {percent}% of {total / 1e6:.0f} MB")
        elif status != last_status:
            log(f"{model}: {status}")
        last_status = status
    if last_status != "success":
        raise PreloadError(f"pull {model}: the stream ended before 'success' (last status {last_status!r})")


def preload(api: OllamaApi, wanted: list[str], prune: bool) -> int:
    present = api.models()
    log(f"on the volume: {', '.join(sorted(present)) or 'no models'}")
    failed: list[str] = []
    pulled = 0
    for model in wanted:
        if model in present:
            log(f"{model}: already on the volume, skipped")
            continue
        log(f"{model}: pulling")
        try:
            pull(api, model)
        except PreloadError as error:
            log(f"ERROR {error}")
            failed.append(model)
            continue
        pulled += 1
        log(f"{model}: pulled")
    pruned = 0
    if prune and not failed:
        for model in sorted(present - set(wanted)):
            log(f"{model}: not in the list, deleting (pruneModels is on)")
            api.delete(model)
            pruned += 1
    elif prune:
        log("pruning skipped because a pull failed")
    kept = len(wanted) - pulled - len(failed)
    log(f"done: {kept} already present, {pulled} pulled, {pruned} pruned, {len(failed)} failed")
    if failed:
        log(f"ERROR failed to pull: {', '.join(failed)}")
        return 1
    return 0


def main(environ: Mapping[str, str]) -> int:
    base_url = environ.get("OLLAMA_HOST", "")
    wanted = environ.get("PRELOAD_MODELS", "").split()
    prune = environ.get("PRELOAD_PRUNE", "false")
    if not base_url.startswith(("http://", "https://")) or not wanted or prune not in ("true", "false"):
        log("ERROR set OLLAMA_HOST (http://host:port), PRELOAD_MODELS (space-separated) and PRELOAD_PRUNE (true|false)")
        return 2
    api = OllamaApi(base_url)
    try:
        wait_for_server(api, float(environ.get("PRELOAD_WAIT_SECONDS", "300")))
        return preload(api, wanted, prune == "true")
    except PreloadError as error:
        log(f"ERROR {error}")
        return 1


if __name__ == "__main__":
    sys.exit(main(os.environ))
