"""The preload script, run as the Job runs it (a separate Python process) against a fake Ollama server.

The fake speaks Ollama's wire format on 127.0.0.1: `/api/version`, `/api/tags`, `/api/pull` streaming NDJSON
progress with chunked transfer encoding (as Ollama's Go server does) and `/api/delete`. Guards the promises of
the preload: models already on the volume are skipped, missing ones pulled with progress in the log, extra
ones deleted only with prune on (and never after a failed pull), and any failure exits non-zero.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from tests.support import REPO
from tests.support.processes import http_server

SCRIPT = REPO / "infra" / "llm" / "scripts" / "ollama_preload.py"
LAYER_BYTES = 2_000_000_000


@dataclass
class FakeOllama:
    """What the fake server has on its volume, what its registry offers, and every request it received."""

    on_volume: set[str] = field(default_factory=set)
    registry: set[str] = field(default_factory=set)
    pull_http_error: bool = False
    requests: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)


def _handler(state: FakeOllama) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _body(self) -> dict[str, Any]:
            length = int(self.headers.get("Content-Length") or 0)
            body: dict[str, Any] = json.loads(self.rfile.read(length)) if length else {}
            self.server_requests(body)
            return body

        def server_requests(self, body: dict[str, Any]) -> None:
            state.requests.append((self.command, self.path, body))

        def _json(self, status: int, document: dict[str, Any]) -> None:
            payload = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:
            self._body()
            if self.path == "/api/version":
                self._json(200, {"version": "0.12.6"})
            elif self.path == "/api/tags":
                models = [{"name": m, "model": m, "size": LAYER_BYTES} for m in sorted(state.on_volume)]
                self._json(200, {"models": models})
            else:
                self._json(404, {"error": "not found"})

        def do_POST(self) -> None:
            body = self._body()
            if self.path != "/api/pull":
                self._json(404, {"error": "not found"})
                return
            if state.pull_http_error:
                self._json(500, {"error": "registry unreachable"})
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/x-ndjson")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for event in self._pull_events(body["model"]):
                line = json.dumps(event).encode() + b"\n"
                self.wfile.write(f"{len(line):x}\r\n".encode() + line + b"\r\n")
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")

        def _pull_events(self, model: str) -> Iterator[dict[str, Any]]:
            yield {"status": "pulling manifest"}
            if model not in state.registry:
                yield {"error": "pull model manifest: file does not exist"}
                return
            digest = "sha256:" + "ab" * 32
            for completed in range(0, LAYER_BYTES + 1, LAYER_BYTES // 40):
                status = f"pulling {digest[7:19]}"
                yield {"status": status, "digest": digest, "total": LAYER_BYTES, "completed": completed}
            yield {"status": "verifying sha256 digest"}
            yield {"status": "writing manifest"}
            state.on_volume.add(model)
            yield {"status": "success"}

        def do_DELETE(self) -> None:
            body = self._body()
            if self.path == "/api/delete" and body.get("model") in state.on_volume:
                state.on_volume.discard(body["model"])
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self._json(404, {"error": f"model '{body.get('model')}' not found"})

    return Handler


@pytest.fixture
def ollama() -> Iterator[tuple[FakeOllama, str]]:
    state = FakeOllama()
    with http_server(_handler(state)) as url:
        yield state, url


def run_preload(url: str, models: str, prune: str = "false", wait: str = "5") -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "OLLAMA_HOST": url,
        "PRELOAD_MODELS": models,
        "PRELOAD_PRUNE": prune,
        "PRELOAD_WAIT_SECONDS": wait,
    }
    return subprocess.run(
        [sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def pulls(state: FakeOllama) -> list[str]:
    return [body["model"] for method, path, body in state.requests if path == "/api/pull"]


def deletes(state: FakeOllama) -> list[str]:
    return [body["model"] for method, path, body in state.requests if method == "DELETE"]


def test_models_already_on_the_volume_are_skipped(ollama: tuple[FakeOllama, str]) -> None:
    state, url = ollama
    state.on_volume = {"llama3.2:3b", "qwen2.5-coder:7b"}
    result = run_preload(url, "llama3.2:3b qwen2.5-coder:7b")
    assert result.returncode == 0, result.stdout
    assert pulls(state) == []
    assert "llama3.2:3b: already on the volume, skipped" in result.stdout
    assert "done: 2 already present, 0 pulled, 0 pruned, 0 failed" in result.stdout


def test_a_missing_model_is_pulled_with_progress_logged_line_by_line(ollama: tuple[FakeOllama, str]) -> None:
    state, url = ollama
    state.on_volume = {"llama3.2:3b"}
    state.registry = {"qwen2.5-coder:7b"}
    result = run_preload(url, "llama3.2:3b qwen2.5-coder:7b")
    assert result.returncode == 0, result.stdout
    assert pulls(state) == ["qwen2.5-coder:7b"]
    assert state.on_volume == {"llama3.2:3b", "qwen2.5-coder:7b"}
    progress = [line for line in result.stdout.splitlines() if line.startswith("qwen2.5-coder:7b: pulling ab")]
    # 41 progress events from the server become one line per 10% of the layer.
    assert [line.split()[3] for line in progress] == [f"{p}%" for p in range(0, 101, 10)]
    assert "qwen2.5-coder:7b: success" in result.stdout
    assert "done: 1 already present, 1 pulled, 0 pruned, 0 failed" in result.stdout


def test_models_not_listed_are_kept_without_prune(ollama: tuple[FakeOllama, str]) -> None:
    state, url = ollama
    state.on_volume = {"llama3.2:3b", "mistral:7b"}
    result = run_preload(url, "llama3.2:3b", prune="false")
    assert result.returncode == 0, result.stdout
    assert deletes(state) == []
    assert state.on_volume == {"llama3.2:3b", "mistral:7b"}


def test_prune_deletes_models_that_are_not_listed(ollama: tuple[FakeOllama, str]) -> None:
    state, url = ollama
    state.on_volume = {"llama3.2:3b", "mistral:7b", "phi3:mini"}
    result = run_preload(url, "llama3.2:3b", prune="true")
    assert result.returncode == 0, result.stdout
    assert deletes(state) == ["mistral:7b", "phi3:mini"]
    assert state.on_volume == {"llama3.2:3b"}
    assert "mistral:7b: not in the list, deleting (pruneModels is on)" in result.stdout


def test_an_error_in_the_pull_stream_fails_the_run_after_trying_the_other_models(
    ollama: tuple[FakeOllama, str],
) -> None:
    state, url = ollama
    state.registry = {"llama3.2:3b"}
    result = run_preload(url, "llama3.2:3b nosuchmodel:1b")
    assert result.returncode == 1
    assert sorted(pulls(state)) == ["llama3.2:3b", "nosuchmodel:1b"]
    assert "llama3.2:3b" in state.on_volume
    assert "ERROR pull nosuchmodel:1b: pull model manifest: file does not exist" in result.stdout
    assert "ERROR failed to pull: nosuchmodel:1b" in result.stdout


def test_a_failed_pull_skips_prune(ollama: tuple[FakeOllama, str]) -> None:
    state, url = ollama
    state.on_volume = {"mistral:7b"}
    result = run_preload(url, "nosuchmodel:1b", prune="true")
    assert result.returncode == 1
    assert deletes(state) == []
    assert state.on_volume == {"mistral:7b"}
    assert "pruning skipped because a pull failed" in result.stdout


def test_an_http_error_from_pull_fails_with_the_server_message(ollama: tuple[FakeOllama, str]) -> None:
    state, url = ollama
    state.pull_http_error = True
    result = run_preload(url, "llama3.2:3b")
    assert result.returncode == 1
    assert "ERROR POST /api/pull: HTTP 500: registry unreachable" in result.stdout


def test_an_unreachable_server_fails_after_the_wait() -> None:
    result = run_preload("http://127.0.0.1:9", "llama3.2:3b", wait="0")
    assert result.returncode == 1
    assert "ERROR ollama did not answer within 0s" in result.stdout


def test_missing_settings_are_refused(ollama: tuple[FakeOllama, str]) -> None:
    state, url = ollama
    result = run_preload(url, "", prune="maybe")
    assert result.returncode == 2
    assert state.requests == []
