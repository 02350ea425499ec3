"""checkov's Kubernetes checks pass on every rendered manifest, with zero failures.

A check may be skipped only by a `checkov.io/skip<N>: CKV_…=<reason>` annotation on the object itself,
and the reason must be stated: an unexplained skip fails this gate as surely as a failed check.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import run_checkov

pytestmark = pytest.mark.slow


def test_checkov_kubernetes_has_no_failed_check(rendered_dir: Path) -> None:
    report = run_checkov(rendered_dir / "manifests", "kubernetes")
    results = report.get("results", {})
    failed = [
        f"{check['check_id']} {check['check_name']}: {check['resource']} ({Path(check['file_path']).name})"
        for check in results.get("failed_checks", [])
    ]
    assert not failed, "\n".join(failed)
    unexplained = [
        f"{check['check_id']} on {check['resource']}"
        for check in results.get("skipped_checks", [])
        if len((check.get("check_result", {}).get("suppress_comment") or "").strip()) < 10
    ]
    assert not unexplained, f"skips without a stated reason: {unexplained}"
    assert report.get("summary", {}).get("parsing_errors", 0) == 0


def test_a_skip_without_a_reason_is_seen(tmp_path: Path) -> None:
    """Guards the gate itself: checkov must report annotated skips with their comment, or reasons go unchecked."""
    (tmp_path / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: x\n  annotations:\n"
        "    checkov.io/skip1: CKV_K8S_43=pinned by tag on purpose\n"
        "spec:\n  containers:\n  - name: c\n    image: nginx:1.27.0\n"
    )
    skipped = run_checkov(tmp_path, "kubernetes")["results"]["skipped_checks"]
    assert [(c["check_id"], c["check_result"]["suppress_comment"]) for c in skipped] == [
        ("CKV_K8S_43", "pinned by tag on purpose")
    ]
