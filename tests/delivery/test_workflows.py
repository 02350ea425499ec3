"""The GitHub Actions workflows: clean under actionlint, zizmor (offline) and checkov, and hardened as promised.

Guards against a workflow that GitHub would reject, a script injection, an action pinned by a movable tag,
a job holding more permissions than it uses, a cloud preview running for fork PRs, an image deployed without
passing its scan and carrying its attestation, a deploy left unverified, and a rollback that runs for anything
but a failed verification.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tomllib
from typing import Any

import pytest

from tests.support import REPO, WORKFLOWS, run_checkov
from tests.support.workflows import load

WORKFLOW_FILES = sorted(WORKFLOWS.glob("*.yml"))
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")


def tool(name: str) -> str:
    local = REPO / ".venv" / "bin" / name
    found = str(local) if local.exists() else shutil.which(name)
    assert found, f"{name} is not installed: run `make install`"
    return found


def jobs() -> list[tuple[str, str, dict[str, Any]]]:
    return [(path.name, name, job) for path in WORKFLOW_FILES for name, job in load(path)["jobs"].items()]


def steps() -> list[tuple[str, dict[str, Any]]]:
    return [(f"{file}:{name}", step) for file, name, job in jobs() for step in job.get("steps", [])]


def test_the_workflows_exist() -> None:
    assert {p.name for p in WORKFLOW_FILES} == {"pr.yml", "main.yml", "drift.yml", "deploy-stack.yml"}


def test_actionlint_finds_nothing() -> None:
    completed = subprocess.run(
        [tool("actionlint"), "-no-color", *map(str, WORKFLOW_FILES)], cwd=REPO, capture_output=True, text=True
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_zizmor_offline_finds_nothing() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("GH_TOKEN", "GITHUB_TOKEN", "ZIZMOR_GITHUB_TOKEN")}
    completed = subprocess.run(
        [tool("zizmor"), "--offline", "--format", "json", str(WORKFLOWS)],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
    )
    findings = json.loads(completed.stdout or "[]")
    assert findings == [], "\n".join(f"{f['ident']}: {f['desc']}" for f in findings)
    assert completed.returncode == 0, completed.stderr


@pytest.mark.slow
def test_checkov_github_actions_has_no_failed_check() -> None:
    report = run_checkov(WORKFLOWS, "github_actions")
    failed = [
        f"{check['check_id']} {check['check_name']}: {check['file_path']}"
        for check in report.get("results", {}).get("failed_checks", [])
    ]
    assert not failed, "\n".join(failed)
    assert report["summary"]["passed"] > 0, "checkov did not check any workflow"
    assert report["summary"]["parsing_errors"] == 0


def test_every_action_is_pinned_by_commit_sha_with_its_version() -> None:
    unpinned = []
    for path in WORKFLOW_FILES:
        for line in path.read_text().splitlines():
            match = re.match(r"^\s*(?:- )?uses: (.+)$", line)
            if match and not match.group(1).startswith("$/") and not PINNED.match(match.group(1)):
                unpinned.append(f"{path.name}: {match.group(1)}")
    assert not unpinned


def test_permissions_are_empty_at_the_top_and_declared_per_job() -> None:
    for path in WORKFLOW_FILES:
        assert load(path)["permissions"] == {}, path.name
    assert [f"{file}:{name}" for file, name, job in jobs() if "permissions" not in job] == []


def test_only_jobs_that_log_in_to_azure_or_sign_attestations_can_mint_an_oidc_token() -> None:
    for file, name, job in jobs():
        uses = [str(step.get("uses", "")) for step in job.get("steps", [])]
        needs_token = any(use.startswith(("azure/login@", "actions/attest@")) for use in uses)
        calls_deploy = str(job.get("uses", "")).endswith("deploy-stack.yml")
        assert (job["permissions"].get("id-token") == "write") == (needs_token or calls_deploy), f"{file}:{name}"


def test_no_write_permission_beyond_what_each_job_needs() -> None:
    writes = {
        f"{file}:{name}": sorted(scope for scope, level in job["permissions"].items() if level == "write")
        for file, name, job in jobs()
    }
    assert writes == {
        "deploy-stack.yml:rollback": ["deployments", "id-token"],
        "deploy-stack.yml:up": ["deployments", "id-token"],
        "drift.yml:detect": ["id-token"],
        "drift.yml:report": ["issues"],
        "main.yml:attest": ["attestations", "id-token", "packages"],
        "main.yml:dev": ["deployments", "id-token"],
        "main.yml:image": ["packages"],
        "main.yml:import": ["id-token"],
        "main.yml:prod": ["deployments", "id-token"],
        "main.yml:scan": ["security-events"],
        "pr.yml:audit": [],
        "pr.yml:preview": ["id-token", "pull-requests"],
        "pr.yml:render": [],
        "pr.yml:test": [],
    }


def test_checkouts_do_not_persist_credentials() -> None:
    checkouts = [(where, step) for where, step in steps() if str(step.get("uses", "")).startswith("actions/checkout@")]
    assert checkouts
    assert [where for where, step in checkouts if step.get("with", {}).get("persist-credentials") is not False] == []


def test_no_expression_is_expanded_inside_a_script() -> None:
    assert [where for where, step in steps() if "${{" in str(step.get("run", ""))] == []


def test_cloud_previews_never_run_for_fork_pull_requests() -> None:
    preview = load(WORKFLOWS / "pr.yml")["jobs"]["preview"]
    assert "github.event.pull_request.head.repo.full_name == github.repository" in preview["if"]
    pulumi_step = next(s for s in preview["steps"] if str(s.get("uses", "")).startswith("pulumi/actions@"))
    assert pulumi_step["with"]["command"] == "preview"
    assert pulumi_step["with"]["policyPacks"] == "policy"
    assert pulumi_step["with"]["comment-on-pr"] is True


def test_main_deploys_dev_then_prod_behind_the_production_environment_by_digest() -> None:
    main = load(WORKFLOWS / "main.yml")["jobs"]
    assert main["dev"]["needs"] == ["image", "scan", "attest"]
    assert main["prod"]["needs"] == ["image", "scan", "attest", "import", "dev"]
    assert main["prod"]["with"] == {
        "stack": "prod",
        "environment": "production",
        "image-digest": "${{ needs.image.outputs.digest }}",
        "attested-repository": "${{ needs.image.outputs.repository }}",
    }
    assert main["image"]["outputs"]["digest"] == "${{ steps.build.outputs.digest }}"
    deploy = load(WORKFLOWS / "deploy-stack.yml")["jobs"]["up"]
    assert deploy["environment"] == "${{ inputs.environment }}"
    assert deploy["concurrency"] == {"group": "pulumi-${{ inputs.stack }}", "cancel-in-progress": False}
    scripts = "\n".join(str(step.get("run", "")) for step in deploy["steps"])
    assert 'pulumi config set --stack "$STACK" --path generator.imageDigest "$IMAGE_DIGEST"' in scripts
    assert "--policy-pack policy" in scripts


def test_drift_detection_changes_nothing_and_reports_through_an_issue() -> None:
    drift = load(WORKFLOWS / "drift.yml")
    assert "schedule" in drift["on"]
    detect_script = "\n".join(str(s.get("run", "")) for s in drift["jobs"]["detect"]["steps"])
    assert "pulumi refresh" in detect_script
    assert "--preview-only --expect-no-changes" in detect_script
    report_script = "\n".join(str(s.get("run", "")) for s in drift["jobs"]["report"]["steps"])
    assert "gh issue create" in report_script
    assert "gh issue comment" in report_script


def test_the_pulumi_cli_comes_from_pulumi_version_which_matches_the_sdk() -> None:
    pinned = next(
        dep.split("==")[1]
        for dep in tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
        if dep.startswith("pulumi==")
    )
    assert (REPO / ".pulumi.version").read_text().strip() == pinned
    installs = [step["with"] for _, step in steps() if str(step.get("uses", "")).startswith("pulumi/actions@")]
    assert installs
    assert all(install.get("pulumi-version-file") == ".pulumi.version" for install in installs)
