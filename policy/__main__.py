"""Entry point the Pulumi CLI runs for `--policy-pack policy` (with this directory as the working directory)."""

import sys
from pathlib import Path

# The CLI runs this file from inside policy/; the rules import as the `policy` package from the repo root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack

from policy.pack import PACK_NAME, policies

PolicyPack(name=PACK_NAME, policies=policies(), enforcement_level=EnforcementLevel.MANDATORY)
