"""`python -m tools.verify_stack --stack prod`: run `python -m infra.verify` against a deployed stack.

What `make verify STACK=…` and the deploy workflow run after `pulumi up`. It brings what the verification
command deliberately leaves to its caller:
- the stack outputs (`pulumi stack output --json`), written to `build/outputs/<stack>.json`;
- the cluster: the stack's kubeconfig (a secret output) in a private temporary file, used by kubectl;
- the `verify` client's API key from the Kubernetes Secret the gateway reads its keys from (`kubectl get secret`;
  in prod the CSI driver keeps it in step with Key Vault), into a 0600 file that is deleted afterwards; it never
  reaches argv, stdout or the logs;
- the gateway's certificate as an extra trust anchor when the generator is served over https (a self-signed
  certificate in dev-like set-ups; harmless for a CA-signed one);
- Prometheus and Loki, which are not public, through `kubectl port-forward` on loopback ports.

Exit code: that of `python -m infra.verify` (0 passed, 1 a check failed, 2 unusable inputs), or 2 when the
stack cannot be reached (a command above failed; its error is printed).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import re
import select
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from infra import topology
from infra.gateway.gateway import TLS_SECRET
from infra.observability.values import KPS_FULLNAME
from infra.verify import cli as verify_cli
from infra.verify import credentials

PROMETHEUS_SERVICE = f"{KPS_FULLNAME}-prometheus"
PROMETHEUS_PORT = 9090
_FORWARDING = re.compile(r"Forwarding from 127\.0\.0\.1:(\d+) ->")
_FORWARD_TIMEOUT_SECONDS = 30


class AccessError(Exception):
    """The stack could not be reached: a command failed or answered nothing usable."""


def _run(args: Sequence[str], env: Mapping[str, str]) -> str:
    """stdout of a command of our own making (pulumi, kubectl, az from PATH); its stderr on failure."""
    completed = subprocess.run(list(args), capture_output=True, text=True, env=dict(env), check=False)  # noqa: S603
    if completed.returncode != 0:
        raise AccessError(f"`{' '.join(args[:4])} …` failed: {completed.stderr.strip()[:500]}")
    return completed.stdout


def _private_file(folder: Path, name: str, content: bytes) -> Path:
    path = folder / name
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)
    return path


def fetch_api_key(env: Mapping[str, str]) -> bytes:
    encoded = _run(
        [
            *("kubectl", "get", "secret", credentials.KUBERNETES_SECRET_NAME),
            *("--namespace", credentials.KUBERNETES_SECRET_NAMESPACE),
            *("--output", f"jsonpath={{.data.{credentials.KUBERNETES_SECRET_KEY}}}"),
        ],
        env,
    )
    if not encoded.strip():
        raise AccessError(
            f"the Secret {credentials.KUBERNETES_SECRET_NAMESPACE}/{credentials.KUBERNETES_SECRET_NAME} has no "
            f"`{credentials.KUBERNETES_SECRET_KEY}`"
        )
    return base64.b64decode(encoded.strip())


def fetch_gateway_certificate(env: Mapping[str, str]) -> bytes:
    args = ["kubectl", "get", "secret", TLS_SECRET, "--namespace", topology.NAMESPACE_GATEWAY]
    return base64.b64decode(_run([*args, "--output", r"jsonpath={.data.tls\.crt}"], env).strip())


@contextlib.contextmanager
def port_forward(namespace: str, service: str, port: int, env: Mapping[str, str]) -> Iterator[str]:
    """`kubectl port-forward` to a Service on a free loopback port; yields `http://127.0.0.1:<port>`."""
    args = ["kubectl", "port-forward", "--namespace", namespace, "--address", "127.0.0.1", f"svc/{service}", f":{port}"]
    process = subprocess.Popen(  # noqa: S603 - argv of our own making
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(env)
    )
    try:
        # kubectl prints the forwarding line once it listens, or exits with an error.
        waited = select.select([process.stdout], [], [], _FORWARD_TIMEOUT_SECONDS)[0] if process.stdout else []
        line = process.stdout.readline() if process.stdout and waited else ""
        match = _FORWARDING.search(line)
        if match is None:
            process.kill()
            error = process.stderr.read() if process.stderr else ""
            raise AccessError(f"kubectl port-forward to svc/{service} failed: {(line + error).strip()[:500]}")
        yield f"http://127.0.0.1:{match[1]}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=_FORWARD_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(
        prog="python -m tools.verify_stack", description=__doc__.split("\n\n")[0], allow_abbrev=False
    )
    cli.add_argument("--stack", required=True)
    cli.add_argument("--outputs", type=Path, help="where to write the outputs (default build/outputs/STACK.json)")
    cli.add_argument("--summary", type=Path, help="append the results table here (e.g. $GITHUB_STEP_SUMMARY)")
    cli.add_argument("--use-dns", action="store_true", help="resolve the public hostnames instead of gatewayAddress")
    return cli


def verify(args: argparse.Namespace, workdir: Path) -> int:
    env = dict(os.environ)
    outputs_text = _run(["pulumi", "stack", "output", "--stack", args.stack, "--json"], env)
    outputs = json.loads(outputs_text)
    outputs_file = args.outputs or Path("build/outputs") / f"{args.stack}.json"
    outputs_file.parent.mkdir(parents=True, exist_ok=True)
    outputs_file.write_text(outputs_text, encoding="utf-8")
    kubeconfig = _run(["pulumi", "stack", "output", "--stack", args.stack, "kubeconfig", "--show-secrets"], env)
    env["KUBECONFIG"] = str(_private_file(workdir, "kubeconfig", kubeconfig.encode()))
    key_file = _private_file(workdir, "api-key", fetch_api_key(env))
    extra: list[str] = ["--summary", str(args.summary)] if args.summary else []
    if str(outputs.get("generatorUrl", "")).startswith("https://"):
        extra += ["--ca-file", str(_private_file(workdir, "gateway.crt", fetch_gateway_certificate(env)))]
    if args.use_dns:
        extra.append("--use-dns")
    with (
        port_forward(topology.NAMESPACE_MONITORING, PROMETHEUS_SERVICE, PROMETHEUS_PORT, env) as prometheus,
        port_forward(topology.NAMESPACE_MONITORING, topology.LOKI_SERVICE, topology.LOKI_PORT, env) as loki,
    ):
        return verify_cli.main(
            [
                *("--outputs", str(outputs_file), "--api-key-file", str(key_file)),
                *("--prometheus-url", prometheus, "--loki-url", loki, *extra),
            ]
        )


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="verify-") as workdir:
        try:
            return verify(args, Path(workdir))
        except (AccessError, ValueError) as error:
            print(f"error: cannot reach stack {args.stack}: {error}", file=sys.stderr)
            return verify_cli.EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
