"""`make bench`: how long the credential-free render of each stack takes, against the time it takes just
to import the same Pulumi SDK modules, measured side by side in one run (interleaved, median of N).

The ratio is what matters on a noisy machine: the render should cost little beyond importing the SDKs,
which is why the prod stack imports only the `pulumi_azure_native` submodules it uses.
Target: prod render <= 2x import-only and under 5 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def sdk_modules_used_by(stack: str) -> list[str]:
    """The SDK modules (pulumi*, pydantic, yaml) that rendering `stack` imports, in import order."""
    code = (
        "import sys, tempfile\n"
        "from infra.render.cli import main\n"
        f"main(['--stack', {stack!r}, '--out', tempfile.mkdtemp()])\n"
        "import json\n"
        "print(json.dumps([m for m in sys.modules if m.split('.')[0].startswith(('pulumi', 'pydantic', 'yaml'))]))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True, timeout=300
    )
    modules: list[str] = json.loads(completed.stdout.strip().splitlines()[-1])
    return modules


def timed(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=REPO, capture_output=True, check=True, timeout=300)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description="render time vs import-only time, per stack")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"{'stack':<6} {'render s':>9} {'import s':>9} {'ratio':>6}  target: ratio <= 2.0 and render < 5 s")
    ok = True
    for stack in ("dev", "prod"):
        modules = sdk_modules_used_by(stack)
        import_only = [sys.executable, "-c", f"import importlib\nfor m in {modules!r}: importlib.import_module(m)"]
        with tempfile.TemporaryDirectory() as out:
            render = [sys.executable, "-m", "infra.render", "--stack", stack, "--out", f"{out}/r"]
            renders, imports = [], []
            for _ in range(args.runs):  # interleaved so that machine noise hits both alike
                renders.append(timed(render))
                imports.append(timed(import_only))
        r, i = statistics.median(renders), statistics.median(imports)
        verdict = "PASS" if r / i <= 2.0 and r < 5.0 else "FAIL"
        ok &= verdict == "PASS"
        azure = sum(1 for m in modules if m.startswith("pulumi_azure_native"))
        print(
            f"{stack:<6} {r:9.2f} {i:9.2f} {r / i:6.2f}  {verdict} ({len(modules)} SDK modules, {azure} azure-native)"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
