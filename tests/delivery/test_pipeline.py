"""The delivery pipeline's order, read from the workflows: nothing reaches a cluster that was not scanned and
attested, every deploy is verified right after `pulumi up` and its verdict recorded, the rollback job runs only
after a failed verification, and pull requests audit every lock file.

Guards the delivery promise: the deploy jobs depend on the scan and the attestation, and the rollback job
runs only after a failed verification; plus the details that make those dependencies mean something (the scan
blocks on fixable HIGH/CRITICAL findings, the attestation is of the pushed digest, the deploy checks it). And the
delivery path against a registry with no public endpoint: the image is built on the runner and pushed to GHCR,
ACR imports that same digest itself, and nothing on a hosted runner talks to ACR or Key Vault.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

from infra.generator.specs import IMAGE_NAME
from tests.support import REPO, WORKFLOWS
from tests.support.workflows import load
from tools.rollback import attestation_command, attested_image

DIGEST = "${{ needs.image.outputs.digest }}"


def main_jobs() -> dict[str, Any]:
    jobs: dict[str, Any] = load(WORKFLOWS / "main.yml")["jobs"]
    return jobs


def deploy_jobs() -> dict[str, Any]:
    jobs: dict[str, Any] = load(WORKFLOWS / "deploy-stack.yml")["jobs"]
    return jobs


def step(job: dict[str, Any], *, uses: str | None = None, name: str | None = None) -> dict[str, Any]:
    found = [
        s
        for s in job["steps"]
        if (uses is None or str(s.get("uses", "")).startswith(uses)) and (name is None or s.get("name") == name)
    ]
    assert len(found) == 1, f"{uses or name}: {len(found)} steps"
    return found[0]


def position(job: dict[str, Any], text: str) -> int:
    """Index of the first step whose script or action contains `text`."""
    return next(i for i, s in enumerate(job["steps"]) if text in str(s.get("run", "")) + str(s.get("uses", "")))


def test_every_deploy_job_depends_on_the_scan_and_the_attestation() -> None:
    main = main_jobs()
    deploys = {name: job for name, job in main.items() if str(job.get("uses", "")).endswith("deploy-stack.yml")}

    assert set(deploys) == {"dev", "prod"}
    assert all({"scan", "attest"} <= set(job["needs"]) for job in deploys.values())
    assert main["scan"]["needs"] == ["image"]
    assert main["attest"]["needs"] == ["image", "scan"], "only a digest that passed the scan is attested"
    assert main["import"]["needs"] == ["image", "attest"], "only an attested digest gets into ACR"
    assert "import" in deploys["prod"]["needs"], "prod pulls from ACR: the digest must be there first"


def test_the_scan_blocks_fixable_high_and_critical_findings_of_the_pushed_digest() -> None:
    scan = main_jobs()["scan"]
    gate = step(scan, name="Scan (fixable HIGH and CRITICAL findings fail)")["with"]

    assert scan["env"]["IMAGE"] == "${{ needs.image.outputs.repository }}@" + DIGEST
    assert gate["image-ref"] == "${{ env.IMAGE }}"
    assert (gate["severity"], gate["ignore-unfixed"], gate["exit-code"]) == ("HIGH,CRITICAL", True, "1")
    upload = step(scan, uses="github/codeql-action/upload-sarif@")
    assert upload["with"]["sarif_file"] == gate["output"] == "trivy.sarif"
    assert "!cancelled()" in upload["if"], "findings are uploaded when the scan fails, above all then"


def test_the_attestations_are_of_the_pushed_digest_provenance_and_sbom() -> None:
    main = main_jobs()
    attest = main["attest"]
    attestations = [s["with"] for s in attest["steps"] if str(s.get("uses", "")).startswith("actions/attest@")]
    sbom = step(main["scan"], name="SBOM (CycloneDX)")["with"]
    uploaded = step(main["scan"], uses="actions/upload-artifact@")["with"]

    assert [a["subject-digest"] for a in attestations] == [DIGEST, DIGEST]
    assert [a["subject-name"] for a in attestations] == ["${{ needs.image.outputs.repository }}"] * 2
    assert all(a["push-to-registry"] is True for a in attestations), "the attestations live next to the image"
    assert [a.get("sbom-path") for a in attestations] == [None, sbom["output"]]
    assert uploaded["path"] == sbom["output"]
    assert sbom["format"] == "cyclonedx"
    assert step(attest, uses="actions/download-artifact@")["with"]["name"] == uploaded["name"]


def test_the_deploy_checks_the_attestation_as_a_rollback_does_before_pulumi_up() -> None:
    up = deploy_jobs()["up"]
    check = step(up, name="Refuse an image without its provenance attestation")
    command = shlex.split(str(check["run"]).replace("\\\n", " ").splitlines()[-1])

    assert check["if"] == "inputs.image-digest != ''"
    # The digest attested in GHCR, the same one ACR imported and the stack is pinned to.
    assert check["env"]["IMAGE"] == "${{ inputs.attested-repository }}@${{ inputs.image-digest }}"
    assert command == attestation_command("$IMAGE", "$GITHUB_REPOSITORY")
    assert position(up, "gh attestation verify") < position(up, "generator.imageDigest") < position(up, "pulumi up")


def test_the_image_is_built_into_ghcr_and_its_digest_imported_into_acr_by_acr_itself() -> None:
    main = main_jobs()
    image, imported = main["image"], main["import"]
    repository = step(image, name="Image repository")["run"]
    build = step(image, name="Build and push")["with"]
    copy = step(imported, name="Import by digest (server-side)")

    assert f'echo "name=ghcr.io/${{OWNER,,}}/{IMAGE_NAME}" >> "$GITHUB_OUTPUT"' == repository
    assert build["push"] is True
    assert build["provenance"] is False, "the digest pushed is the image's own, not a buildx attestation index"
    assert build["tags"] == "${{ steps.repository.outputs.name }}:${{ github.sha }}"
    assert copy["env"]["SOURCE"] == "${{ needs.image.outputs.repository }}@" + DIGEST
    assert shlex.split(copy["run"].replace("\\\n", " "))[:9] == [
        "az", "acr", "import", "--name", "$ACR_NAME", "--source", "$SOURCE", "--image", "$TARGET"
    ]  # fmt: skip
    # The rollback finds a deployed ACR digest's attestation where main.yml made it.
    digest = "sha256:" + "e" * 64
    assert attested_image(f"reg.azurecr.io/{IMAGE_NAME}@{digest}", "Example-Org/x") == (
        f"ghcr.io/example-org/{IMAGE_NAME}@{digest}"
    )


def test_nothing_on_a_hosted_runner_talks_to_acr_or_key_vault() -> None:
    """ACR's public endpoint is off (only its private endpoint serves it) and Key Vault admits the node subnet:
    from a runner only Azure Resource Manager answers. `az acr import` is an ARM call; ACR then pulls itself."""
    data_plane = re.compile(r"az acr (?!import\b)\w+|az keyvault|docker (push|pull)|docker login (?!ghcr\.io\b)")
    found, ghcr_logins, packages = [], {}, {}
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for name, job in load(path)["jobs"].items():
            where = f"{path.name}:{name}"
            scripts = [str(s.get("run", "")) for s in job.get("steps", [])]
            found += [(where, m.group(0)) for script in scripts for m in data_plane.finditer(script)]
            ghcr_logins[where] = [script for script in scripts if "docker login ghcr.io" in script]
            packages[where] = job["permissions"].get("packages")
    assert found == []
    assert {job for job, level in packages.items() if level == "write"} == {"main.yml:image", "main.yml:attest"}
    for job, logins in ghcr_logins.items():
        assert all("--password-stdin" in login for login in logins), f"{job}: the token never goes on argv"
        assert not logins or packages[job] in ("read", "write"), f"{job}: a GHCR login needs the packages scope"


def test_every_deploy_is_verified_right_after_pulumi_up_and_the_verdict_recorded() -> None:
    up = deploy_jobs()["up"]
    verify = step(up, name="Verify the deployment")
    record = step(up, name="Record the verdict")

    assert verify["id"] == "verify"
    assert up["outputs"]["verification"] == "${{ steps.verify.outcome }}"
    assert position(up, "pulumi up") < position(up, "infra.outputs validate") < position(up, "tools.verify_stack")
    assert '--summary "$GITHUB_STEP_SUMMARY"' in verify["run"]
    assert "steps.verify.outcome == 'success' || steps.verify.outcome == 'failure'" in record["if"]
    assert "--kind deploy" in record["run"]


def test_the_rollback_job_runs_only_after_a_failed_verification() -> None:
    deploy = deploy_jobs()
    rollback, up = deploy["rollback"], deploy["up"]

    assert rollback["needs"] == ["up"]
    # `failure()` lets the job start although `up` failed; the output narrows it to a failed verification
    # (a failed `pulumi up` skips the verify step, whose outcome is then `skipped`).
    assert rollback["if"] == "${{ failure() && needs.up.outputs.verification == 'failure' }}"
    assert (rollback["environment"], rollback["concurrency"]) == (up["environment"], up["concurrency"])
    order = [position(rollback, text) for text in ("tools.rollback", "tools.verify_stack", "--kind rollback")]
    assert order == sorted(order)
    assert '--summary "$GITHUB_STEP_SUMMARY"' in step(rollback, name="Roll back to the last verified image")["run"]


def test_pull_requests_audit_every_lock_file() -> None:
    audit = load(WORKFLOWS / "pr.yml")["jobs"]["audit"]
    recipe = re.search(r"^audit:.*?(?=^\S)", (REPO / "Makefile").read_text(), re.MULTILINE | re.DOTALL)
    ignored = {".venv", ".tools", "node_modules", "build"}
    locks = {
        str(path.relative_to(REPO))
        for pattern in ("**/*.lock", "**/*.lock.txt", "**/requirements.txt", "**/package-lock.json")
        for path in REPO.glob(pattern)
        if not ignored & set(path.relative_to(REPO).parts)
    }

    assert step(audit, name="make audit")["run"] == "make audit"
    assert recipe is not None
    text = recipe.group(0)
    assert "$(UV) export --quiet --frozen --all-groups" in text  # uv.lock, as pinned requirements with hashes
    assert "for lock in build/audit/uv.lock.txt app/requirements.txt tools/*.lock.txt" in text
    assert "$(NPM) audit --prefix $(CRD_TOOLS) --package-lock-only" in text
    python = {"uv.lock", "app/requirements.txt"} | {str(p.relative_to(REPO)) for p in REPO.glob("tools/*.lock.txt")}
    assert locks == python | {"tools/crds/package-lock.json"}
