"""`python -m tools.rollback --stack prod --environment production`: redeploy the last image that passed verification.

What `make rollback STACK=…` and the deploy workflow's rollback job run, in this order:
1. the image the stack runs now (`pulumi stack output --json`, `generatorImage`): the one that failed;
2. the target, from the environment's recorded verdicts (`infra.verify.deployments`, read from GitHub) by
   `infra.verify.rollback.decide`, or `--image REPO@sha256:…` given by hand;
3. the target's build-provenance attestation, made by this repository's main workflow from `main`
   (`gh attestation verify` of the same digest in GHCR, where it was built and attested; ACR holds an import of
   it): only an image the pipeline built, scanned and attested is ever deployed;
4. `pulumi config set generator.imageRepository / generator.imageDigest`, then `pulumi up` with the policy pack.

A rollback changes the generator's image and nothing else: the program and the rest of the config are those
of the deploy that failed (already applied), so persistent volumes, Key Vault contents and every other resource
are left as they are (tests/delivery/test_rollback.py checks this on the renders). The verification that follows
is the caller's next step (`make verify`), as after any deploy.

Exit 0 once `pulumi up` succeeded, 1 when there is nothing to roll back to or a command failed, 2 on a usage
error. `--summary FILE` appends what was decided and done (for `$GITHUB_STEP_SUMMARY`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from infra.generator.specs import IMAGE_NAME
from infra.verify.deployments import GitHub, GitHubError, UsageError, history
from infra.verify.rollback import Decision, decide, split_pinned

Runner = Callable[[Sequence[str]], int]
SIGNER_WORKFLOW = ".github/workflows/main.yml"
SOURCE_REF = "refs/heads/main"


def attested_image(image: str, repository: str) -> str:
    """The GHCR reference of `image`'s digest: main.yml pushes and attests there (`ghcr.io/<owner>/<image name>`,
    lower case), then imports that digest into ACR. A digest names the same image in both registries."""
    pinned = split_pinned(image)
    if pinned is None:
        raise ValueError(f"{image} is not pinned by digest (REPOSITORY@sha256:…)")
    owner = repository.split("/", 1)[0].lower()
    return f"ghcr.io/{owner}/{IMAGE_NAME}@{pinned[1]}"


def attestation_command(image: str, repository: str) -> list[str]:
    """`gh attestation verify` of the provenance our main workflow attests for every image it pushes."""
    return [
        "gh",
        "attestation",
        "verify",
        f"oci://{image}",
        "--repo",
        repository,
        "--signer-workflow",
        f"{repository}/{SIGNER_WORKFLOW}",
        "--source-ref",
        SOURCE_REF,
    ]


def deploy_commands(stack: str, image: str) -> list[list[str]]:
    """The commands that put `image` (digest-pinned) on `stack`: the same keys and flags as a deploy."""
    pinned = split_pinned(image)
    if pinned is None:
        raise ValueError(f"{image} is not pinned by digest (REPOSITORY@sha256:…)")
    repository, digest = pinned
    return [
        ["pulumi", "config", "set", "--stack", stack, "--path", "generator.imageRepository", repository],
        ["pulumi", "config", "set", "--stack", stack, "--path", "generator.imageDigest", digest],
        ["pulumi", "up", "--stack", stack, "--yes", "--non-interactive", "--diff", "--policy-pack", "policy"],
    ]


def run(command: Sequence[str]) -> int:
    print("+ " + " ".join(command), flush=True)
    # argv of our own making; `pulumi` and `gh` resolved on the PATH the Makefile or the workflow set up.
    return subprocess.run(list(command), check=False).returncode  # noqa: S603


def current_image(stack: str) -> str:
    completed = subprocess.run(  # noqa: S603 - argv of our own making
        ["pulumi", "stack", "output", "--stack", stack, "--json"],  # noqa: S607 - the PATH's pulumi, as above
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise UsageError(f"pulumi stack output failed: {completed.stderr.strip()}")
    try:
        image = json.loads(completed.stdout).get("generatorImage")
    except (ValueError, AttributeError):
        image = None
    if not isinstance(image, str):
        raise UsageError(f"stack {stack} has no generatorImage output")
    return image


@dataclass(frozen=True, kw_only=True)
class Outcome:
    failed_image: str
    decision: Decision
    decided_seconds: float
    code: int


def roll_back(args: argparse.Namespace, runner: Runner = run) -> Outcome:
    github = GitHub.from_environment(args.repository)
    failed_image = current_image(args.stack)
    started = time.monotonic()
    if args.image:
        if split_pinned(args.image) is None:
            raise UsageError(f"--image {args.image} is not pinned by digest (REPOSITORY@sha256:…)")
        decision = Decision(target=args.image, reason="given with --image")
    else:
        decision = decide(asyncio.run(history(github, args.environment)), failed_image)
    decided = time.monotonic() - started
    if decision.target is None:
        return Outcome(failed_image=failed_image, decision=decision, decided_seconds=decided, code=1)
    attested = attested_image(decision.target, github.repository)
    commands = [attestation_command(attested, github.repository), *deploy_commands(args.stack, decision.target)]
    for command in commands:
        if runner(command) != 0:
            return Outcome(failed_image=failed_image, decision=decision, decided_seconds=decided, code=1)
    return Outcome(failed_image=failed_image, decision=decision, decided_seconds=decided, code=0)


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(
        prog="python -m tools.rollback", description=__doc__.split("\n\n")[0], allow_abbrev=False
    )
    cli.add_argument("--stack", required=True)
    cli.add_argument("--environment", required=True, help="the GitHub environment whose verdicts to read")
    cli.add_argument("--repository", help="OWNER/NAME (default: GITHUB_REPOSITORY)")
    cli.add_argument("--image", help="roll back to this REPOSITORY@sha256:… instead of the recorded choice")
    cli.add_argument("--summary", type=Path, help="append the outcome here (e.g. $GITHUB_STEP_SUMMARY)")
    return cli


def _report(args: argparse.Namespace, outcome: Outcome) -> str:
    decision = outcome.decision
    if decision.target is None:
        return f"No rollback of `{args.stack}` from `{outcome.failed_image}`: {decision.reason}."
    verb = "Rolled back" if outcome.code == 0 else "Rollback failed:"
    return f"{verb} `{args.stack}` from `{outcome.failed_image}` to `{decision.target}` ({decision.reason})."


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    started = time.monotonic()
    try:
        outcome = roll_back(args)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except GitHubError as error:
        print(f"error: cannot read the recorded verdicts: {error}", file=sys.stderr)
        return 1
    report = _report(args, outcome)
    timing = f"decided in {outcome.decided_seconds * 1000:.0f} ms, done in {time.monotonic() - started:.1f} s"
    print(f"{report} ({timing})")
    if args.summary is not None:
        with args.summary.open("a", encoding="utf-8") as summary:
            summary.write(f"### Rollback\n\n{report}\n\n")
    return outcome.code


if __name__ == "__main__":
    sys.exit(main())
