"""Checks on a generated project with the tools a reviewer would use, reported per file, never fixed.

In process (app/checks/documents.py): every Python file compiles, every JSON, YAML and TOML file parses, and every
Kubernetes manifest is valid for the platform's Kubernetes version (kubernetes-validate, strict; an HTTPRoute
against the Gateway API CRD's schema). In bounded subprocesses (app/checks/tools.py, app/checks/process.py):
checkov on the manifests, hadolint on the Dockerfiles, actionlint and zizmor on the workflows.
`Checker` (app/checks/runner.py) runs them all within what is left of a request's deadline.
"""

from app.checks.model import TOOLS, Result
from app.checks.runner import Checker, ChecksUnavailable

__all__ = ["TOOLS", "Checker", "ChecksUnavailable", "Result"]
