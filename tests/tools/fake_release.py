"""A Pulumi CLI release as Pulumi publishes it (archive + checksums file), served over real HTTP on loopback.

The archive holds `pulumi/pulumi`, a shell script that prints its version for `pulumi version` and appends
every other command line to `$FAKE_PULUMI_LOG`, so a test can see what `make up` asked the CLI to do.
"""

from __future__ import annotations

import hashlib
import io
import socket
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any

from tests.support.processes import http_server

FAKE_PULUMI = """#!/bin/sh
if [ "$1" = version ]; then echo {reported}; exit 0; fi
printf '%s\\n' "$*" >> "${{FAKE_PULUMI_LOG:-/dev/null}}"
"""


@dataclass
class Served:
    url: str
    requests: list[str] = field(default_factory=list)


def write_release(
    root: Path,
    *,
    version: str,
    platform: str,
    reported: str | None = None,
    listed_as: str | None = None,
    listed_digest: str | None = None,
    extra_member: tarfile.TarInfo | None = None,
) -> Path:
    """Write `pulumi-v<version>-<platform>.tar.gz` and its checksums file into `root`; return the archive.

    `listed_as` names the archive differently in the checksums file (and on the server); `listed_digest` lists a
    wrong digest; `reported` is what the fake binary says for `pulumi version`; `extra_member` is added as is.
    """
    root.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        folder = tarfile.TarInfo("pulumi")
        folder.type, folder.mode = tarfile.DIRTYPE, 0o755
        tar.addfile(folder)
        for name, text in {
            "pulumi": FAKE_PULUMI.format(reported=reported or f"v{version}"),
            "pulumi-language-python": "#!/bin/sh\nexit 0\n",
        }.items():
            data = text.encode()
            member = tarfile.TarInfo(f"pulumi/{name}")
            member.size, member.mode = len(data), 0o755
            tar.addfile(member, io.BytesIO(data))
        if extra_member is not None:
            tar.addfile(extra_member, io.BytesIO(b"x" * extra_member.size))
    archive_name = listed_as or f"pulumi-v{version}-{platform}.tar.gz"
    archive = root / archive_name
    archive.write_bytes(buffer.getvalue())
    digest = listed_digest or hashlib.sha256(buffer.getvalue()).hexdigest()
    other = "0" * 64
    (root / f"pulumi-{version}-checksums.txt").write_text(
        f"{other}  pulumi-v{version}-windows-x64.zip\n{digest}  {archive_name}\n", encoding="utf-8"
    )
    return archive


class _Handler(SimpleHTTPRequestHandler):
    def __init__(self, *args: Any, served: Served, **kwargs: Any) -> None:
        self.served = served
        super().__init__(*args, **kwargs)

    def log_message(self, format: str, *args: Any) -> None:
        self.served.requests.append(self.path)


@contextmanager
def serve(root: Path) -> Iterator[Served]:
    """Serve `root` on 127.0.0.1 until the block ends."""
    served = Served(url="")
    with http_server(partial(_Handler, directory=str(root), served=served)) as url:
        served.url = f"{url}/"
        yield served


def closed_port_url() -> str:
    """A loopback URL nothing listens on: what an offline machine sees."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/"
