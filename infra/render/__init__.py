"""Run the real Pulumi program under mocks and collect what it declares (resources, manifests, outputs).

`run_program` is shared by `python -m infra.render` and the test suite, so both see exactly what
`pulumi up` would register, without a CLI, a cluster or a cloud account; `write_render` writes it to a directory
(`resources.json` and `manifests/`, see docs/render-and-checks.md).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config
from pulumi.runtime import settings
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _ensure_event_loop, _sync_await

from infra.config import PROJECT
from infra.render import wire
from infra.render.destination import MANIFESTS, RESOURCES, check_destination, staging_next_to, swap_in
from infra.render.manifests import dump, file_name, is_kubernetes_object, manifest
from infra.render.mocks import RecordedResource, RecordingMonitor

Program = Callable[[], Mapping[str, pulumi.Output[Any]]]


@dataclass
class RenderResult:
    project: str
    stack: str
    resources: list[RecordedResource]
    outputs: dict[str, Any]
    secret_outputs: set[str] = field(default_factory=set)

    def of_type(self, type_token: str) -> list[RecordedResource]:
        return [r for r in self.resources if r.type == type_token]

    def named(self, name: str) -> RecordedResource:
        matches = [r for r in self.resources if r.name == name]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} resources named {name!r}")
        return matches[0]

    def by_urn(self, urn: str) -> RecordedResource:
        return next(r for r in self.resources if r.urn == urn)

    def document(self) -> dict[str, Any]:
        """The `resources.json` document."""
        return {
            "project": self.project,
            "stack": self.stack,
            "resources": [r.as_json() for r in self.resources],
            "outputs": {k: wire.SECRET if k in self.secret_outputs else v for k, v in self.outputs.items()},
        }


def _default_program() -> Program:
    from stacks.program import main

    return main


def run_program(
    stack: str, values: Mapping[str, str], secret_keys: frozenset[str], program: Program | None = None
) -> RenderResult:
    """Run `program` (default: `stacks.program.main`) for `stack` with the given raw config under mocks.

    The outputs are the root stack's, exactly as the SDK serializes them for the engine (the real `Stack` resource
    registers them, `RecordingMonitor` receives them): an output whose value is `None` is absent, as it is from
    `pulumi stack output --json`.
    """
    entry: Program = program if program is not None else _default_program()
    monitor = RecordingMonitor()
    # The SDK creates futures on the current loop as soon as the root stack exists; a caller (e.g. a test runner)
    # may have closed and unset its own loop.
    _ensure_event_loop()  # type: ignore[no-untyped-call]
    settings.ROOT.set(None)
    runtime_config.set_all_config(dict(values), sorted(secret_keys))
    pulumi.runtime.set_mocks(monitor.mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor)
    # `set_mocks` registered a root stack and its (empty) outputs already; the program runs in a fresh one, as under
    # the CLI, whose outputs are registered when the program ends.
    settings.ROOT.set(None)

    def run() -> None:
        for name, value in entry().items():
            pulumi.export(name, value)

    settings.SETTINGS.rpc_manager.clear()
    _sync_await(run_in_stack(run))
    outputs: dict[str, Any] = {}
    secret_outputs: set[str] = set()
    for name, value in sorted(monitor.stack_outputs.items()):
        if wire.is_secret(value):
            secret_outputs.add(name)
        outputs[name] = wire.to_plain(wire.reveal(value))
    resources = sorted(monitor.recorded, key=lambda r: r.urn)
    return RenderResult(PROJECT, stack, resources, outputs, secret_outputs)


def write_render(result: RenderResult, out: Path) -> None:
    """Write the render to `out`, which must be new, empty or a previous render (`infra.render.destination`).

    Written whole into a fresh folder beside `out` and swapped in: a failed render leaves `out` as it was.
    """
    check_destination(out)
    staging = staging_next_to(out)
    try:
        (staging / RESOURCES).write_text(json.dumps(result.document(), indent=2, sort_keys=True) + "\n")
        manifests = staging / MANIFESTS
        manifests.mkdir()
        for resource in result.resources:
            if is_kubernetes_object(resource):
                document = manifest(resource)
                path = manifests / file_name(document)
                if path.exists():
                    raise RuntimeError(f"two objects render to {path.name}")
                path.write_text(dump(document))
        swap_in(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
