"""`python -m infra.render --stack STACK --out DIR`: the credential-free render (DESIGN 4.2).

Exit 0 on success; 2 on invalid configuration (one line per problem, naming the key; nothing written);
1 on any other failure, with a message. `infra/render/__main__.py` runs `main`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from infra.config import ConfigError, parse_config
from infra.render import run_program, write_render
from infra.render.manifests import is_kubernetes_object
from infra.render.stack_file import StackFileError, read_stack_file

EXIT_INVALID_CONFIG = 2
EXIT_FAILURE = 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.render", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", required=True, help="stack name; reads Pulumi.STACK.yaml")
    parser.add_argument("--out", required=True, type=Path, help="output directory (replaced)")
    parser.add_argument("--project-dir", type=Path, default=Path.cwd(), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    try:
        raw = read_stack_file(args.project_dir / f"Pulumi.{args.stack}.yaml")
        parse_config(raw.values, raw.secret_keys)
    except StackFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INVALID_CONFIG
    except ConfigError as error:
        print(f"error: Pulumi.{args.stack}.yaml: {error}", file=sys.stderr)
        return EXIT_INVALID_CONFIG
    try:
        result = run_program(args.stack, raw.values, raw.secret_keys)
        write_render(result, args.out)
    except Exception as error:  # any failure of the program is reported, never a bare traceback
        print(f"error: rendering stack {args.stack!r} failed: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_FAILURE
    kinds = sum(1 for r in result.resources if is_kubernetes_object(r))
    print(f"rendered {len(result.resources)} resources ({kinds} Kubernetes objects) to {args.out}")
    return 0
