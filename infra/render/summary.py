"""`python -m infra.render.summary --head DIR --base DIR`: a pull request's render, summarised in markdown.

Reads the renders of each stack (`DIR/<stack>/resources.json` and `DIR/<stack>/manifests/`, as `make render`
writes them) of the PR head and of its base branch, and writes what the PR job summary shows: resource counts by
type (with the change against the base), the resources added, removed or changed (by URN), and the unified diff
of the rendered manifests. A stack missing from the base (its render failed or did not exist) is reported as such.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_DIFF_LINES = 400
"""GitHub caps a job summary at 1 MiB; a longer manifest diff is cut (the full render is in the artifact)."""


@dataclass(frozen=True)
class Render:
    resources: dict[str, dict[str, Any]]
    manifests: dict[str, str]

    @classmethod
    def load(cls, directory: Path) -> Render | None:
        document = directory / "resources.json"
        if not document.is_file():
            return None
        resources = {r["urn"]: r for r in json.loads(document.read_text())["resources"]}
        manifest_dir = directory / "manifests"
        manifests = (
            {p.name: p.read_text() for p in sorted(manifest_dir.glob("*.yaml"))} if manifest_dir.is_dir() else {}
        )
        return cls(resources, manifests)

    def counts(self) -> Counter[str]:
        return Counter(r["type"] for r in self.resources.values())


def _delta(head: int, base: int | None) -> str:
    if base is None or head == base:
        return ""
    return f"{head - base:+d}"


def counts_table(head: Render, base: Render | None) -> list[str]:
    head_counts, base_counts = head.counts(), base.counts() if base else Counter[str]()
    lines = ["| Type | Count | Change |", "|---|---:|---:|"]
    for type_ in sorted(set(head_counts) | set(base_counts)):
        change = _delta(head_counts[type_], base_counts[type_] if base else None)
        lines.append(f"| `{type_}` | {head_counts[type_]} | {change} |")
    total = _delta(len(head.resources), len(base.resources) if base else None)
    lines.append(f"| **total** | **{len(head.resources)}** | {total} |")
    return lines


def resource_changes(head: Render, base: Render) -> list[str]:
    added = sorted(head.resources.keys() - base.resources.keys())
    removed = sorted(base.resources.keys() - head.resources.keys())
    changed = sorted(u for u in head.resources.keys() & base.resources.keys() if head.resources[u] != base.resources[u])
    lines = []
    for label, urns in (("added", added), ("removed", removed), ("changed", changed)):
        if urns:
            lines.append(f"- {len(urns)} {label}: " + ", ".join(f"`{urn.rsplit('::', 1)[-1]}`" for urn in urns))
    return lines or ["- no resource changed"]


def manifest_diff(head: Render, base: Render) -> list[str]:
    diff: list[str] = []
    for name in sorted(head.manifests.keys() | base.manifests.keys()):
        diff += difflib.unified_diff(
            base.manifests.get(name, "").splitlines(),
            head.manifests.get(name, "").splitlines(),
            fromfile=f"base/{name}" if name in base.manifests else "/dev/null",
            tofile=f"head/{name}" if name in head.manifests else "/dev/null",
            lineterm="",
        )
    return diff


def stack_summary(stack: str, head: Render, base: Render | None) -> list[str]:
    lines = [f"### Render: {stack}", "", *counts_table(head, base), ""]
    if base is None:
        return [*lines, "_No render of the base branch for this stack: nothing to compare against._", ""]
    lines += ["#### Resources against the base branch", "", *resource_changes(head, base), ""]
    diff = manifest_diff(head, base)
    if not diff:
        return [*lines, "_Manifests are identical to the base branch._", ""]
    shown = diff[:MAX_DIFF_LINES]
    cut = (
        f" (first {MAX_DIFF_LINES} of {len(diff)} lines; the full render is in the artifact)"
        if len(diff) > len(shown)
        else ""
    )
    return [
        *lines,
        f"<details><summary>Manifest diff: {len(diff)} lines{cut}</summary>",
        "",
        "```diff",
        *shown,
        "```",
        "</details>",
        "",
    ]


def summary(head_dir: Path, base_dir: Path | None, stacks: list[str]) -> str:
    lines: list[str] = []
    for stack in stacks:
        head = Render.load(head_dir / stack)
        if head is None:
            lines += [f"### Render: {stack}", "", f"**No render of the PR for {stack}: see the job log.**", ""]
            continue
        base = Render.load(base_dir / stack) if base_dir else None
        lines += stack_summary(stack, head, base)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.render.summary", description=__doc__.splitlines()[0])
    parser.add_argument("--head", type=Path, required=True, help="renders of the PR: HEAD/<stack>/...")
    parser.add_argument("--base", type=Path, help="renders of the base branch: BASE/<stack>/...")
    parser.add_argument("--stacks", nargs="+", default=["dev", "prod"])
    args = parser.parse_args(argv)
    sys.stdout.write(summary(args.head, args.base, args.stacks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
