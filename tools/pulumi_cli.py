"""Make the pinned Pulumi CLI available: `python3 -m tools.pulumi_cli` (the Makefile's `pulumi-cli` target).

- A CLI already installed in `<dest>/<version>/bin` (by an earlier run), or any `pulumi` on PATH, is used as is.
- Otherwise the release named in `.pulumi.version` is downloaded for this platform, checked against the release's
  published `pulumi-<version>-checksums.txt`, unpacked and run once (`pulumi version` must print the pinned
  version) before it is moved into `<dest>/<version>/bin`. A checksum mismatch, a checksums file without this
  platform's archive, an unsafe archive or a binary that reports another version is refused, and nothing is kept.
- When no mirror can be reached, it exits 1 having installed nothing, and says what to install by hand and from where.

Standard library only: it runs with the system Python, before the project's `.venv` exists.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

# Where Pulumi publishes each release, in the order tried: the archives and the checksums file sit side by side
# (the layout of pulumi/docs data/versions.json; names from pulumi/pulumi's .goreleaser.yml).
MIRRORS = (
    "https://get.pulumi.com/releases/sdk/",
    "https://github.com/pulumi/pulumi/releases/download/v{version}/",
)
INSTALL_DOCS = "https://www.pulumi.com/docs/iac/download-install/"
TIMEOUT_SECONDS = 30.0
CHUNK = 1 << 20
# goreleaser's archive names: `linux`/`darwin`, and `x64` where Go says amd64.
SYSTEMS = {"Linux": "linux", "Darwin": "darwin"}
MACHINES = {"x86_64": "x64", "amd64": "x64", "AMD64": "x64", "aarch64": "arm64", "arm64": "arm64"}
CHECKSUM_LINE = re.compile(r"^(?P<digest>[0-9a-fA-F]{64}) [ *](?P<name>\S+)$")


class InstallError(Exception):
    """The pinned CLI could not be installed; the message says why and what to do."""


class Unreachable(InstallError):
    """No mirror answered: the machine is offline or the release hosts are blocked."""


@dataclass(frozen=True, kw_only=True)
class Release:
    version: str
    platform: str  # e.g. linux-x64

    @property
    def archive(self) -> str:
        return f"pulumi-v{self.version}-{self.platform}.tar.gz"

    @property
    def checksums(self) -> str:
        return f"pulumi-{self.version}-checksums.txt"


def platform_name(system: str, machine: str) -> str:
    """Pulumi's name for this OS and CPU (`linux-x64`, `darwin-arm64`, …), or InstallError naming what is supported."""
    os_name, arch = SYSTEMS.get(system), MACHINES.get(machine)
    if os_name is None or arch is None:
        raise InstallError(
            f"Pulumi publishes no .tar.gz CLI release for {system}/{machine} "
            f"(this installer handles Linux and macOS on x86_64 and arm64): install the CLI from {INSTALL_DOCS}"
        )
    return f"{os_name}-{arch}"


def parse_checksums(text: str) -> dict[str, str]:
    """`sha256sum` lines (`<hex>  <file>`) as {file: lower-case hex}; other lines are not trusted and are skipped."""
    table: dict[str, str] = {}
    for line in text.splitlines():
        match = CHECKSUM_LINE.match(line.strip())
        if match:
            table[match["name"]] = match["digest"].lower()
    return table


def _open(url: str, timeout: float) -> http.client.HTTPResponse:
    if not url.startswith(("https://", "http://")):
        raise InstallError(f"refusing a mirror that is not http(s): {url}")
    # The scheme is checked above (S310 guards against file:// and custom schemes).
    response: http.client.HTTPResponse = urllib.request.urlopen(url, timeout=timeout)  # noqa: S310
    return response


def _fetch_text(url: str, timeout: float) -> str:
    with _open(url, timeout) as response:
        body: bytes = response.read(CHUNK)
    return body.decode("utf-8", errors="replace")


def _download(url: str, target: Path, timeout: float) -> str:
    """Stream `url` into `target`; return its SHA-256."""
    digest = hashlib.sha256()
    with _open(url, timeout) as response, target.open("wb") as out:
        while chunk := response.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def _unpack(archive: Path, bin_dir: Path) -> None:
    """Copy the regular files under the archive's `pulumi/` folder into `bin_dir`; refuse anything else."""
    bin_dir.mkdir(parents=True)
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar.getmembers():
            path = PurePosixPath(member.name)
            if member.isdir() and path.parts == ("pulumi",):
                continue
            if not (member.isfile() and len(path.parts) == 2 and path.parts[0] == "pulumi" and path.name != ".."):
                raise InstallError(f"{archive.name}: unexpected entry {member.name!r}; refusing the archive")
            source = tar.extractfile(member)
            if source is None:
                raise InstallError(f"{archive.name}: cannot read {member.name!r}")
            target = bin_dir / path.name
            with source, target.open("wb") as out:
                shutil.copyfileobj(source, out)
            target.chmod(0o755 if member.mode & 0o111 else 0o644)


def _reported_version(pulumi: Path) -> str:
    try:
        # Our own checksum-verified binary, or the `pulumi` already on PATH.
        completed = subprocess.run(  # noqa: S603
            [str(pulumi), "version"], capture_output=True, text=True, timeout=60, check=False
        )
    except OSError as error:  # e.g. "Exec format error" for another CPU's build
        return f"not runnable here ({error})"
    return completed.stdout.strip() or completed.stderr.strip()


def _expected_digest(release: Release, base: str, timeout: float) -> str:
    table = parse_checksums(_fetch_text(base + release.checksums, timeout))
    digest = table.get(release.archive)
    if digest is None:
        listed = ", ".join(sorted(table)) or "nothing"
        raise InstallError(
            f"{base}{release.checksums} lists no {release.archive} (this platform's archive); it lists: {listed}"
        )
    return digest


def install(release: Release, dest: Path, mirrors: Sequence[str], timeout: float = TIMEOUT_SECONDS) -> Path:
    """Download, verify and unpack `release` into `dest/<version>/bin`; return that folder.

    Mirrors are tried in order while they cannot be reached; a mirror that answers with a bad or missing checksum
    ends the install (a second mirror must not talk us out of a mismatch).
    """
    final = dest / release.version
    failures: list[str] = []
    for template in mirrors:
        base = template.format(version=release.version).rstrip("/") + "/"
        url = base + release.checksums
        try:
            expected = _expected_digest(release, base, timeout)
            url = base + release.archive
            dest.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(prefix=f".{release.version}-", dir=dest) as staging:
                archive = Path(staging) / release.archive
                actual = _download(url, archive, timeout)
                if actual != expected:
                    raise InstallError(
                        f"checksum mismatch for {url}: got sha256 {actual}, "
                        f"{release.checksums} says {expected}; refusing it (nothing was installed)"
                    )
                bin_dir = Path(staging) / "bin"
                _unpack(archive, bin_dir)
                reported = _reported_version(bin_dir / "pulumi")
                if reported != f"v{release.version}":
                    raise InstallError(
                        f"the downloaded pulumi reports {reported!r}, not v{release.version}; refusing it"
                    )
                final.mkdir(exist_ok=True)
                try:
                    bin_dir.rename(final / "bin")
                except OSError as error:
                    raise InstallError(f"cannot move the verified CLI into {final / 'bin'}: {error}") from error
            return final / "bin"
        except urllib.error.HTTPError as error:
            failures.append(f"{url}: HTTP {error.code} {error.reason}")
        except (urllib.error.URLError, http.client.HTTPException, TimeoutError, ConnectionError) as error:
            failures.append(f"{url}: {getattr(error, 'reason', error)}")
    raise Unreachable("\n".join(f"  {failure}" for failure in failures))


def manual_steps(release: Release, dest: Path) -> str:
    tag = f"v{release.version}"
    target = dest / release.version / "bin"
    return (
        f"Install Pulumi CLI {tag} yourself, then run the same make command again:\n"
        f"  download {release.archive} and {release.checksums}\n"
        f"    from https://github.com/pulumi/pulumi/releases/tag/{tag} (or {MIRRORS[0]}),\n"
        f"  check it:  sha256sum --check --ignore-missing {release.checksums}\n"
        f"  unpack it: mkdir -p {target} && tar -xzf {release.archive} --strip-components=1 -C {target}\n"
        f"or put a pulumi on PATH another way ({INSTALL_DOCS})."
    )


def ensure(release: Release, dest: Path, mirrors: Sequence[str], timeout: float = TIMEOUT_SECONDS) -> str:
    """What `main` reports: the CLI in use, installing the pinned one first when there is none."""
    pinned = dest / release.version / "bin" / "pulumi"
    if pinned.is_file():
        return f"Pulumi CLI v{release.version}: {pinned}"
    on_path = shutil.which("pulumi")
    if on_path:
        reported = _reported_version(Path(on_path))
        note = "" if reported == f"v{release.version}" else f" (the project pins v{release.version})"
        return f"Pulumi CLI {reported}: {on_path}{note}"
    bin_dir = install(release, dest, mirrors, timeout)
    return f"Installed Pulumi CLI v{release.version} into {bin_dir} (sha256 checked against {release.checksums})"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m tools.pulumi_cli", description=__doc__.splitlines()[0])
    parser.add_argument("--version-file", type=Path, default=Path(".pulumi.version"))
    parser.add_argument("--dest", type=Path, default=Path(".tools/pulumi"), help="holds <version>/bin/pulumi")
    parser.add_argument("--mirror", action="append", help="base URL of a release ({version} is replaced); repeatable")
    parser.add_argument("--timeout", type=float, default=TIMEOUT_SECONDS)
    args = parser.parse_args(argv)
    version = args.version_file.read_text(encoding="utf-8").strip().removeprefix("v")
    try:
        release = Release(version=version, platform=platform_name(platform.system(), platform.machine()))
        print(ensure(release, args.dest, args.mirror or MIRRORS, args.timeout))
    except Unreachable as error:
        print(
            f"error: the Pulumi CLI is not on PATH and its v{version} release could not be downloaded:\n{error}\n"
            f"Nothing else was done. {manual_steps(release, args.dest)}",
            file=sys.stderr,
        )
        return 1
    except InstallError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
