"""`python -m infra.contract [--write README.md]`: print README's "Platform contract" block, or rewrite it in place."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from infra.contract.markdown import rewrite, section


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.contract", description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, help="rewrite the block between the markers of this file")
    args = parser.parse_args(argv)
    if args.write is None:
        sys.stdout.write(section() + "\n")
        return 0
    args.write.write_text(rewrite(args.write.read_text()))
    return 0


sys.exit(main())
