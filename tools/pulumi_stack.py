"""Select STACK before `make preview|up|destroy`: `python -m tools.pulumi_stack --stack dev [--create]`.

The Pulumi CLI takes its state backend from `PULUMI_BACKEND_URL`, else from `backend.url` in Pulumi.yaml, else
from the stored `pulumi login` (pulumi/pulumi pkg/workspace `GetCurrentCloudURL`). This resolves it the same way
and acts only where that is safe:
- a local file backend (`file://…`): create its folder (the CLI will not open a missing one), then
  `pulumi stack select [--create] STACK`, so a fresh machine gets a `dev` stack without a separate
  `pulumi login` / `pulumi stack init`;
- any other backend (a team's Azure Blob container, Pulumi Cloud): `pulumi stack select STACK` only. A stack
  missing there is an error: a mistyped STACK= never creates a stack in shared state.

It never runs `pulumi login`, which would change the default backend of every other project on the machine.
"""

from __future__ import annotations

import argparse
import os
import pwd
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

FILE_PREFIX = "file://"


@dataclass(frozen=True, kw_only=True)
class Backend:
    url: str | None  # None: whatever `pulumi login` stored, unknown here
    source: str

    def local_folder(self, home: Path, cwd: Path) -> Path | None:
        """The folder of a `file://` backend, resolved as the CLI does (`~` is the user's home); else None."""
        if self.url is None or not self.url.startswith(FILE_PREFIX):
            return None
        path = self.url.removeprefix(FILE_PREFIX).split("?", 1)[0]
        if path == "~" or path.startswith("~/"):
            path = str(home / path[2:])
        return Path(os.path.normpath(cwd / path))


def resolve_backend(env: Mapping[str, str], project_file: Path) -> Backend:
    """The backend the CLI will use, and where that choice comes from."""
    if env.get("PULUMI_BACKEND_URL"):
        return Backend(url=env["PULUMI_BACKEND_URL"], source="PULUMI_BACKEND_URL")
    project = yaml.safe_load(project_file.read_text(encoding="utf-8")) or {}
    backend = project.get("backend") or {}
    url = backend.get("url") if isinstance(backend, dict) else None
    if isinstance(url, str) and url:
        return Backend(url=url, source=f"{project_file.name} backend.url")
    return Backend(url=None, source="the stored `pulumi login`")


def user_home() -> Path:
    """The CLI expands `file://~` with Go's user.Current(), which reads the passwd entry before $HOME."""
    try:
        return Path(pwd.getpwuid(os.getuid()).pw_dir)
    except KeyError:
        return Path.home()


def prepare(stack: str, backend: Backend, *, create: bool, home: Path, cwd: Path) -> list[str]:
    """Create a local backend's folder; return the `pulumi stack select` to run (`--create` only there)."""
    folder = backend.local_folder(home, cwd)
    if folder is None:
        return ["pulumi", "stack", "select", stack]
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return ["pulumi", "stack", "select", *(["--create"] if create else []), stack]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.pulumi_stack", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", required=True)
    parser.add_argument("--create", action="store_true", help="create STACK if missing, on a local file backend")
    parser.add_argument("--project-file", type=Path, default=Path("Pulumi.yaml"))
    args = parser.parse_args(argv)
    backend = resolve_backend(os.environ, args.project_file)
    home, cwd = user_home(), Path.cwd()
    command = prepare(args.stack, backend, create=args.create, home=home, cwd=cwd)
    print(f"State backend: {backend.url or '(pulumi login)'} (from {backend.source})")
    # argv of our own making: `pulumi` resolved on the PATH the Makefile set up.
    completed = subprocess.run(command, check=False)  # noqa: S603
    if completed.returncode != 0 and backend.local_folder(home, cwd) is None:
        print(
            f"error: stack {args.stack!r} could not be selected on {backend.url or 'the logged-in backend'}; "
            f"a shared backend's stacks are created deliberately: pulumi stack init {args.stack} "
            "(see docs/delivery.md)",
            file=sys.stderr,
        )
    return completed.returncode


if __name__ == "__main__":
    sys.exit(main())
