"""`python -m infra.verify`: verify a deployed stack, driven by its outputs (`pulumi stack output --json`).

    python -m infra.verify --outputs build/outputs/prod.json --api-key-file "$KEY_FILE" \\
        --prometheus-url http://127.0.0.1:9090 --loki-url http://127.0.0.1:3100 --summary "$GITHUB_STEP_SUMMARY"

The generator and the LLM API are reached through the public gateway (`generatorUrl`, `llmUrl`, connected to
`gatewayAddress` unless `--use-dns`); Prometheus and Loki at the URLs given, which the caller makes reachable
(`tools/verify_stack.py` port-forwards them). The API key comes from `--api-key-file` or
`PROMPT2PROD_VERIFY_API_KEY` (never an argument). Prints one line per check; `--summary` appends a markdown
table (the GitHub job summary), `--json` writes the results.

Exit 0 when every check passes, 1 when one fails, 2 when the inputs are unusable (outputs, key, options).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TextIO

from infra.outputs.cli import OutputsError, validate
from infra.outputs.contract import StackOutputs
from infra.verify.checks import Platform, Timeouts
from infra.verify.credentials import CredentialError, read_api_key
from infra.verify.report import CheckResult, console, markdown
from infra.verify.runner import run_checks

EXIT_FAILED = 1
EXIT_USAGE = 2


def _seconds(text: str) -> float:
    value = float(text)
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"{text} is not a number of seconds in (0, 3600]")
    return value


def parser() -> argparse.ArgumentParser:
    defaults = Timeouts()
    # No abbreviations: `--api-key SECRET` must be refused, not read as `--api-key-file` and echoed as a path.
    cli = argparse.ArgumentParser(
        prog="python -m infra.verify", description=__doc__.split("\n\n")[0], allow_abbrev=False
    )
    cli.add_argument("--outputs", type=Path, required=True, help="the stack outputs (pulumi stack output --json)")
    cli.add_argument("--prometheus-url", required=True, help="Prometheus's HTTP API base URL (e.g. a port-forward)")
    cli.add_argument("--loki-url", required=True, help="Loki's HTTP API base URL (e.g. a port-forward)")
    cli.add_argument("--api-key-file", type=Path, help="file holding the `verify` client's gateway API key")
    cli.add_argument("--ca-file", type=Path, help="PEM certificate(s) to trust besides the system's (gateway TLS)")
    cli.add_argument("--use-dns", action="store_true", help="resolve the public hostnames instead of gatewayAddress")
    cli.add_argument("--timeout", type=_seconds, default=defaults.request, help="seconds per quick request")
    cli.add_argument(
        "--generation-timeout", type=_seconds, default=defaults.generation, help="seconds for the generation"
    )
    cli.add_argument(
        "--settle-timeout",
        type=_seconds,
        default=defaults.settle,
        help="seconds targets may take to come up and the log line to reach Loki",
    )
    cli.add_argument("--summary", type=Path, help="append the markdown table here (e.g. $GITHUB_STEP_SUMMARY)")
    cli.add_argument("--json", type=Path, dest="json_out", help="write the results as JSON here")
    return cli


def _platform(outputs: StackOutputs, prometheus_url: str, loki_url: str) -> Platform:
    return Platform(
        generator_url=outputs.generator_url,
        llm_url=outputs.llm_url,
        models=tuple(outputs.ollama_models),
        prometheus_url=prometheus_url,
        loki_url=loki_url,
    )


def _load_outputs(path: Path) -> StackOutputs:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise OutputsError([f"{path}: {error}"]) from None
    # Only URLs and models are read: a file from `--show-secrets` is as good as one without.
    return validate(document, secrets_shown=True)


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    args = parser().parse_args(argv)
    try:
        outputs = _load_outputs(args.outputs)
        api_key = read_api_key(args.api_key_file)
    except OutputsError as error:
        stderr.write(f"error: the stack outputs {args.outputs} are unusable:\n  " + "\n  ".join(error.problems) + "\n")
        return EXIT_USAGE
    except CredentialError as error:
        stderr.write(f"error: {error}\n")
        return EXIT_USAGE
    timeouts = Timeouts(request=args.timeout, generation=args.generation_timeout, settle=args.settle_timeout)
    results = asyncio.run(
        run_checks(
            _platform(outputs, args.prometheus_url, args.loki_url),
            api_key=api_key,
            gateway_address=None if args.use_dns else outputs.gateway_address,
            ca_file=args.ca_file,
            timeouts=timeouts,
        )
    )
    stdout.write(console(results))
    _write_reports(results, args, title=f"Verification of `{outputs.environment}` ({outputs.generator_url})")
    return 0 if all(result.passed for result in results) else EXIT_FAILED


def _write_reports(results: list[CheckResult], args: argparse.Namespace, *, title: str) -> None:
    if args.summary is not None:
        with args.summary.open("a", encoding="utf-8") as summary:
            summary.write(markdown(results, title=title))
    if args.json_out is not None:
        args.json_out.write_text(json.dumps([asdict(result) for result in results], indent=2) + "\n", encoding="utf-8")
