"""`python -m infra.render --stack STACK --out DIR`: the credential-free render (docs/render-and-checks.md).

Exit 0 on success. Exit 2 when what was asked cannot be done as given, before anything is written or deleted:
invalid configuration (one line per problem, naming the key), or a DIR that is neither new, empty nor a previous
render (`infra.render.destination`); the same status argparse gives a bad command line. Exit 1 when the program
itself fails, with a message. `infra/render/__main__.py` runs `main`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from infra.config import ConfigError, parse_config
from infra.render import run_program, write_render
from infra.render.destination import DestinationError, check_destination
from infra.render.manifests import is_kubernetes_object
from infra.render.stack_file import StackFileError, read_stack_file

EXIT_INVALID_CONFIG = 2
EXIT_INVALID_DESTINATION = 2
EXIT_FAILURE = 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.render", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", required=True, help="stack name; reads Pulumi.STACK.yaml")
    parser.add_argument(
        "--out", required=True, type=Path, help="output folder: new, empty or a previous render (which is replaced)"
    )
    parser.add_argument("--project-dir", type=Path, default=Path.cwd(), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    try:
        check_destination(args.out)
    except DestinationError as error:
        print(f"error: --out {error}; nothing was written or deleted", file=sys.stderr)
        return EXIT_INVALID_DESTINATION
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
    except DestinationError as error:  # the folder changed while the program ran
        print(f"error: --out {error}; nothing was written or deleted", file=sys.stderr)
        return EXIT_INVALID_DESTINATION
    except Exception as error:  # any failure of the program is reported, never a bare traceback
        print(f"error: rendering stack {args.stack!r} failed: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_FAILURE
    kinds = sum(1 for r in result.resources if is_kubernetes_object(r))
    print(f"rendered {len(result.resources)} resources ({kinds} Kubernetes objects) to {args.out}")
    return 0
