"""`make up` on a machine without the Pulumi CLI installs the pinned release, and only a verified one.

Guards: the CLI comes from a release whose archive matches the published checksums file; a
mismatch, a checksums file without this platform's archive, an unsafe archive or a binary of another version
is refused and leaves nothing behind; an unreachable mirror ends with what to install by hand. Every release
here is a fake one served over real HTTP on loopback.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from tests.support import REPO
from tests.tools.fake_release import closed_port_url, serve, write_release
from tools.pulumi_cli import InstallError, platform_name

VERSION = (REPO / ".pulumi.version").read_text(encoding="utf-8").strip()
PLATFORM = platform_name(platform.system(), platform.machine())
ARCHIVE = f"pulumi-v{VERSION}-{PLATFORM}.tar.gz"


def run_installer(dest: Path, *mirrors: str, path: str) -> subprocess.CompletedProcess[str]:
    """The Makefile's call, with the interpreter's site-packages off (-S): the installer needs only the stdlib."""
    args = [sys.executable, "-S", "-m", "tools.pulumi_cli", "--dest", str(dest), "--timeout", "10"]
    for mirror in mirrors:
        args += ["--mirror", mirror]
    env = {"PATH": path, "LANG": "C.UTF-8"}
    return subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, check=False, timeout=120)


@pytest.fixture
def no_pulumi_path(tmp_path: Path) -> str:
    """A PATH with no `pulumi` on it (the fake binaries run through their own #!/bin/sh)."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    return str(empty)


def test_installs_the_pinned_release_after_checking_the_published_checksum(tmp_path: Path, no_pulumi_path: str) -> None:
    write_release(tmp_path / "release", version=VERSION, platform=PLATFORM)
    dest = tmp_path / "tools" / "pulumi"
    with serve(tmp_path / "release") as server:
        first = run_installer(dest, server.url, path=no_pulumi_path)
        second = run_installer(dest, server.url, path=no_pulumi_path)
    assert first.returncode == 0, first.stderr
    assert f"Installed Pulumi CLI v{VERSION}" in first.stdout
    binary = dest / VERSION / "bin" / "pulumi"
    reported = subprocess.run([str(binary), "version"], capture_output=True, text=True, check=True)
    assert reported.stdout.strip() == f"v{VERSION}"
    assert (dest / VERSION / "bin" / "pulumi-language-python").is_file()
    assert sorted(p.name for p in dest.iterdir()) == [VERSION], "no staging folder or archive is left behind"
    # The second run finds the installed CLI and downloads nothing.
    assert second.returncode == 0, second.stderr
    assert server.requests == [f"/pulumi-{VERSION}-checksums.txt", f"/{ARCHIVE}"]


def test_a_checksum_mismatch_is_refused_and_no_other_mirror_overrules_it(tmp_path: Path, no_pulumi_path: str) -> None:
    write_release(tmp_path / "tampered", version=VERSION, platform=PLATFORM, listed_digest="ab" * 32)
    write_release(tmp_path / "good", version=VERSION, platform=PLATFORM)
    dest = tmp_path / "tools" / "pulumi"
    with serve(tmp_path / "tampered") as tampered, serve(tmp_path / "good") as good:
        result = run_installer(dest, tampered.url, good.url, path=no_pulumi_path)
    assert result.returncode == 1
    assert f"checksum mismatch for {tampered.url}{ARCHIVE}" in result.stderr
    assert "nothing was installed" in result.stderr
    assert good.requests == []
    assert not (dest / VERSION).exists()
    assert list(dest.iterdir()) == [], "the rejected download is deleted"


def test_an_unreachable_release_stops_with_what_to_install_by_hand(tmp_path: Path, no_pulumi_path: str) -> None:
    offline = closed_port_url()
    dest = tmp_path / "tools" / "pulumi"
    result = run_installer(dest, offline, path=no_pulumi_path)
    assert result.returncode == 1
    assert f"{offline}pulumi-{VERSION}-checksums.txt" in result.stderr
    assert "Nothing else was done" in result.stderr
    assert f"https://github.com/pulumi/pulumi/releases/tag/v{VERSION}" in result.stderr
    assert f"download {ARCHIVE} and pulumi-{VERSION}-checksums.txt" in result.stderr
    assert f"-C {dest / VERSION / 'bin'}" in result.stderr
    assert not dest.exists()


def test_the_next_mirror_is_tried_when_one_is_unreachable(tmp_path: Path, no_pulumi_path: str) -> None:
    write_release(tmp_path / "release", version=VERSION, platform=PLATFORM)
    dest = tmp_path / "tools" / "pulumi"
    with serve(tmp_path / "release") as server:
        result = run_installer(dest, closed_port_url(), server.url, path=no_pulumi_path)
    assert result.returncode == 0, result.stderr
    assert (dest / VERSION / "bin" / "pulumi").is_file()


def test_a_checksums_file_without_this_platforms_archive_is_refused(tmp_path: Path, no_pulumi_path: str) -> None:
    # Go's own arch name where Pulumi publishes `x64`: the right bytes under the wrong name are not trusted.
    misnamed = f"pulumi-v{VERSION}-{PLATFORM.replace('x64', 'amd64').replace('arm64', 'aarch64')}.tar.gz"
    write_release(tmp_path / "release", version=VERSION, platform=PLATFORM, listed_as=misnamed)
    dest = tmp_path / "tools" / "pulumi"
    with serve(tmp_path / "release") as server:
        result = run_installer(dest, server.url, path=no_pulumi_path)
    assert result.returncode == 1
    assert f"lists no {ARCHIVE} (this platform's archive)" in result.stderr
    assert misnamed in result.stderr
    assert server.requests == [f"/pulumi-{VERSION}-checksums.txt"]
    assert not (dest / VERSION).exists()


def test_an_archive_with_an_entry_outside_its_folder_is_refused(tmp_path: Path, no_pulumi_path: str) -> None:
    escape = tarfile.TarInfo("pulumi/../../escaped")
    escape.size = 1
    write_release(tmp_path / "release", version=VERSION, platform=PLATFORM, extra_member=escape)
    dest = tmp_path / "tools" / "pulumi"
    with serve(tmp_path / "release") as server:
        result = run_installer(dest, server.url, path=no_pulumi_path)
    assert result.returncode == 1
    assert "unexpected entry 'pulumi/../../escaped'" in result.stderr
    assert not (tmp_path / "escaped").exists()
    assert not (dest / VERSION).exists()


def test_a_binary_reporting_another_version_is_refused(tmp_path: Path, no_pulumi_path: str) -> None:
    write_release(tmp_path / "release", version=VERSION, platform=PLATFORM, reported="v3.1.0")
    dest = tmp_path / "tools" / "pulumi"
    with serve(tmp_path / "release") as server:
        result = run_installer(dest, server.url, path=no_pulumi_path)
    assert result.returncode == 1
    assert f"reports 'v3.1.0', not v{VERSION}" in result.stderr
    assert not (dest / VERSION).exists()


def test_a_pulumi_already_on_path_is_used_without_downloading(tmp_path: Path) -> None:
    own = tmp_path / "own-bin"
    own.mkdir()
    (own / "pulumi").write_text("#!/bin/sh\necho v3.200.0\n", encoding="utf-8")
    (own / "pulumi").chmod(0o755)
    dest = tmp_path / "tools" / "pulumi"
    result = run_installer(dest, closed_port_url(), path=f"{own}{os.pathsep}/usr/bin{os.pathsep}/bin")
    assert result.returncode == 0, result.stderr
    assert f"Pulumi CLI v3.200.0: {own / 'pulumi'} (the project pins v{VERSION})" in result.stdout
    assert not dest.exists()


@pytest.mark.parametrize(
    ("system", "machine", "expected"),
    [
        ("Linux", "x86_64", "linux-x64"),
        ("Linux", "aarch64", "linux-arm64"),
        ("Darwin", "arm64", "darwin-arm64"),
        ("Darwin", "x86_64", "darwin-x64"),
    ],
)
def test_platform_names_follow_pulumis_release_archives(system: str, machine: str, expected: str) -> None:
    assert platform_name(system, machine) == expected


@pytest.mark.parametrize(("system", "machine"), [("Linux", "armv7l"), ("Linux", "riscv64"), ("Windows", "AMD64")])
def test_a_platform_without_a_tar_release_is_refused_with_where_to_get_the_cli(system: str, machine: str) -> None:
    with pytest.raises(InstallError, match=rf"no \.tar\.gz CLI release for {system}/{machine}.*download-install"):
        platform_name(system, machine)
