"""Entry point that `pulumi up` runs (Pulumi.yaml `main` is the repo root)."""

from stacks.program import main

main()
