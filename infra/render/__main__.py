"""`python -m infra.render --stack STACK --out DIR`: the credential-free render (DESIGN 4.2).

Exit 0 on success; 2 on invalid configuration (one line per problem, naming the key; nothing written);
1 on any other failure, with a message.
"""

from __future__ import annotations

import argparse
import gc
import json
import shutil
import sys
import tempfile
from pathlib import Path

from infra.config import ConfigError, parse_config
from infra.render import RenderResult, run_program
from infra.render.manifests import dump, file_name, is_kubernetes_object, manifest
from infra.render.stack_file import StackFileError, read_stack_file

EXIT_INVALID_CONFIG = 2
EXIT_FAILURE = 1


def write_render(result: RenderResult, out: Path) -> None:
    """Write atomically: a half-written render is never left behind in `out`."""
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".render-", dir=out.parent))
    try:
        (staging / "resources.json").write_text(json.dumps(result.document(), indent=2, sort_keys=True) + "\n")
        manifests = staging / "manifests"
        manifests.mkdir()
        for resource in result.resources:
            if is_kubernetes_object(resource):
                document = manifest(resource)
                path = manifests / file_name(document)
                if path.exists():
                    raise RuntimeError(f"two objects render to {path.name}")
                path.write_text(dump(document))
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


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


if __name__ == "__main__":
    # A one-shot process: the program imports thousands of SDK classes and churns through tens of thousands of
    # short-lived asyncio handles and Outputs, and every allocation-triggered collection re-scans the whole heap
    # of SDK classes. That cyclic GC was about a quarter of the prod render's wall time while reclaiming next to
    # nothing (peak RSS is the same within a few MB), so the CLI turns it off; `main()` called in-process (tests,
    # bench) keeps the caller's GC settings. `freeze` first, so anything already allocated is never scanned.
    gc.freeze()
    gc.disable()
    sys.exit(main())
