"""Verification verdicts, kept as GitHub deployments so that the next run (or a person) can read them.

Why GitHub deployments: the record must outlive the run and be readable before any `pulumi up`, by a job
holding only `deployments: write` (a git tag would need `contents: write`, a repository variable a token the
workflow does not have, and a stack output is overwritten by the very deploy that fails). Each verdict is one
deployment of the environment, task `prompt2prod:verification`, whose payload says which image was checked and
whether it passed, and whose status (success / failure) shows it in the repository's Environments page. Statuses
are created with `auto_inactive: false`, and the verdict is read from the payload, so GitHub marking older
deployments inactive never erases one.

    python -m infra.verify.deployments record --environment production --outputs build/outputs/prod.json \\
        --result verified --kind deploy
    python -m infra.verify.deployments history --environment production

Needs `GH_TOKEN` (or `GITHUB_TOKEN`) and the repository (`--repository` or `GITHUB_REPOSITORY`); the API is
`GITHUB_API_URL` (GitHub Enterprise) or api.github.com. Exit 0, 1 when GitHub refuses, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, TextIO

import aiohttp

from infra.verify.rollback import Verdict

TASK: Final = "prompt2prod:verification"
PAGE_SIZE: Final = 100
_TIMEOUT = aiohttp.ClientTimeout(total=30)


class GitHubError(Exception):
    """GitHub refused or answered something unusable."""


class UsageError(Exception):
    """Missing token, repository or outputs: nothing was asked of GitHub."""


@dataclass(frozen=True, kw_only=True)
class GitHub:
    api_url: str
    repository: str
    token: str

    @classmethod
    def from_environment(cls, repository: str | None, environ: Mapping[str, str] = os.environ) -> GitHub:
        token = environ.get("GH_TOKEN") or environ.get("GITHUB_TOKEN")
        repository = repository or environ.get("GITHUB_REPOSITORY")
        if not token:
            raise UsageError("no GitHub token: set GH_TOKEN (e.g. `export GH_TOKEN=$(gh auth token)`)")
        if not repository or repository.count("/") != 1:
            raise UsageError("no repository: give --repository OWNER/NAME or set GITHUB_REPOSITORY")
        return cls(api_url=environ.get("GITHUB_API_URL", "https://api.github.com"), repository=repository, token=token)

    def _headers(self) -> dict[str, str]:
        return {
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {self.token}",
            "X-GitHub-Api-Version": "2022-11-28",
        }

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        url = f"{self.api_url.rstrip('/')}/repos/{self.repository}{path}"
        async with (
            aiohttp.ClientSession(headers=self._headers(), timeout=_TIMEOUT) as session,
            session.request(method, url, **kwargs) as response,
        ):
            text = await response.text()
            if response.status >= 300:
                raise GitHubError(f"{method} {url} answered {response.status}: {text[:300]}")
            return json.loads(text) if text else None

    async def deployments(self, environment: str) -> list[dict[str, Any]]:
        params = {"environment": environment, "task": TASK, "per_page": str(PAGE_SIZE)}
        found = await self._call("GET", "/deployments", params=params)
        if not isinstance(found, list):
            raise GitHubError(f"GET deployments answered {type(found).__name__}, not a list")
        return found

    async def record(self, environment: str, verdict: Verdict, *, ref: str, run_url: str) -> int:
        """Create the verdict's deployment and its status; the deployment's id."""
        payload = {"image": verdict.image, "verified": verdict.verified, "kind": verdict.kind, "commit": verdict.commit}
        outcome = "passed" if verdict.verified else "failed"
        created = await self._call(
            "POST",
            "/deployments",
            json={
                "ref": ref,
                "task": TASK,
                "environment": environment,
                "auto_merge": False,
                "required_contexts": [],
                "payload": payload,
                "description": f"{verdict.kind}: verification {outcome}",
            },
        )
        deployment_id = int(created["id"])
        await self._call(
            "POST",
            f"/deployments/{deployment_id}/statuses",
            json={
                "state": "success" if verdict.verified else "failure",
                "log_url": run_url,
                "description": f"{verdict.image} {outcome} verification"[:140],
                "auto_inactive": False,
            },
        )
        return deployment_id


def verdicts(deployments: Sequence[Mapping[str, Any]]) -> list[Verdict]:
    """The verdicts in GitHub's deployment list; deployments of other tasks or without a verdict are ignored."""
    found = []
    for deployment in deployments:
        payload = deployment.get("payload")
        if isinstance(payload, str):  # the API returns a payload given as a string as that string
            try:
                payload = json.loads(payload)
            except ValueError:
                continue
        if deployment.get("task") != TASK or not isinstance(payload, dict):
            continue
        image, verified, kind = payload.get("image"), payload.get("verified"), payload.get("kind", "deploy")
        if not isinstance(image, str) or not isinstance(verified, bool) or kind not in ("deploy", "rollback"):
            continue
        found.append(
            Verdict(
                image=image,
                verified=verified,
                at=datetime.fromisoformat(str(deployment["created_at"]).replace("Z", "+00:00")),
                kind=kind,
                commit=str(payload.get("commit", "")),
            )
        )
    return found


async def history(github: GitHub, environment: str) -> list[Verdict]:
    return verdicts(await github.deployments(environment))


def run_url(environ: Mapping[str, str] = os.environ) -> str:
    parts = [environ.get(name) for name in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")]
    return f"{parts[0]}/{parts[1]}/actions/runs/{parts[2]}" if all(parts) else ""


def _image_from_outputs(path: Path) -> str:
    try:
        image = json.loads(path.read_text(encoding="utf-8")).get("generatorImage")
    except (OSError, ValueError, AttributeError) as error:
        raise UsageError(f"cannot read generatorImage from {path}: {error}") from None
    if not isinstance(image, str) or not image:
        raise UsageError(f"{path} has no generatorImage output")
    return image


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(prog="python -m infra.verify.deployments", allow_abbrev=False)
    cli.add_argument("--repository", help="OWNER/NAME (default: GITHUB_REPOSITORY)")
    commands = cli.add_subparsers(dest="command", required=True)
    record = commands.add_parser("record", help="record a verification verdict", allow_abbrev=False)
    record.add_argument("--environment", required=True, help="the GitHub environment (dev, production)")
    record.add_argument("--outputs", type=Path, required=True, help="stack outputs: the verified generatorImage")
    record.add_argument("--result", choices=("verified", "failed"), required=True)
    record.add_argument("--kind", choices=("deploy", "rollback"), default="deploy")
    listing = commands.add_parser("history", help="print the recorded verdicts, newest first", allow_abbrev=False)
    listing.add_argument("--environment", required=True)
    return cli


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    args = parser().parse_args(argv)
    try:
        github = GitHub.from_environment(args.repository)
        if args.command == "record":
            verdict = Verdict(
                image=_image_from_outputs(args.outputs),
                verified=args.result == "verified",
                at=datetime.now(UTC),
                kind=args.kind,
                commit=os.environ.get("GITHUB_SHA", ""),
            )
            ref = os.environ.get("GITHUB_REF_NAME") or "main"
            deployment = asyncio.run(github.record(args.environment, verdict, ref=ref, run_url=run_url()))
            stdout.write(f"recorded: {verdict.image} {args.result} in {args.environment} (deployment {deployment})\n")
        else:
            for verdict in sorted(asyncio.run(history(github, args.environment)), key=lambda v: v.at, reverse=True):
                outcome = "passed" if verdict.verified else "FAILED"
                stdout.write(f"{verdict.at:%Y-%m-%d %H:%M} {outcome:6} {verdict.kind:8} {verdict.image}\n")
    except UsageError as error:
        stderr.write(f"error: {error}\n")
        return 2
    except GitHubError as error:
        stderr.write(f"error: {error}\n")
        return 1
    except aiohttp.ClientError as error:
        stderr.write(f"error: GitHub API unreachable: {error}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
