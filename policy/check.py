"""`python -m policy.check RESOURCES_JSON...`: the policy pack's rules over credential-free renders, offline.

What fork PRs get instead of a preview with `--policy-pack policy`: every rule of the pack over each render's
`resources.json` (docs/render-and-checks.md). Prints one line per violation (markdown list items, for the job
summary) and exits 1 if there is any; exit 2 if a file cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from policy.rules import RESOURCE_RULES, WAIVER_HINT, resources_of
from policy.stack_rules import STACK_RULES


def violations(document: dict[str, object]) -> list[str]:
    """`[policy] message` for every violation of every rule in one render."""
    resources = resources_of(document)
    found = [
        f"[{name}] {message}"
        for resource in resources
        for name, rule in RESOURCE_RULES.items()
        for message in rule(resource)
    ]
    return found + [f"[{name}] {message}" for name, rule in STACK_RULES.items() for _, message in rule(resources)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m policy.check", description=__doc__.splitlines()[0])
    parser.add_argument("renders", nargs="+", type=Path, help="resources.json files written by infra.render")
    args = parser.parse_args(argv)
    failed = False
    for path in args.renders:
        try:
            document = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as error:
            print(f"error: cannot read {path}: {error}", file=sys.stderr)
            return 2
        found = violations(document)
        failed = failed or bool(found)
        count = len(RESOURCE_RULES) + len(STACK_RULES)
        print(
            f"#### Policy pack on stack {document.get('stack', path)}: {len(found) or 'no'} violations ({count} rules)"
        )
        print("", *(f"- {line}" for line in found), sep="\n")
    if failed:
        print(f"\nFix the objects, or waive one reviewed exception: {WAIVER_HINT}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
