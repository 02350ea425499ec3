"""Where a render goes: a new or empty folder, or a previous render, and nothing else.

A render is written to a fresh folder next to the destination, then swapped in; the previous render (if any) is
removed only after the swap. A render marks its folder with `MARKER`, and only a marked folder that holds nothing
but what a render writes (`resources.json`, `manifests/*.yaml`, the marker) is ever replaced: `--out .` from the
repository root, or `OUT=build` above other renders, is refused before anything is written or deleted.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

MARKER = ".prompt2prod-render"
MARKER_TEXT = "Written by `python -m infra.render`. The next render to this folder replaces everything in it.\n"
RESOURCES = "resources.json"
MANIFESTS = "manifests"


class DestinationError(Exception):
    """The destination holds something the render did not write; nothing was written or deleted."""


def check_destination(out: Path) -> None:
    """Refuse a destination the render could only take by deleting something it did not write."""
    if out.is_symlink():
        raise DestinationError(f"{out} is a symbolic link: give the folder it points to, or a new one")
    if not out.exists():
        return
    if not out.is_dir():
        raise DestinationError(f"{out} is a file, not a folder")
    if not any(out.iterdir()):
        return
    if not (out / MARKER).is_file():
        raise DestinationError(
            f"{out} is not empty and is not a previous render (it has no {MARKER} file): the render replaces its "
            "folder, so give a new or empty folder (e.g. build/render/dev)"
        )
    stray = _not_rendered(out)
    if stray is not None:
        raise DestinationError(
            f"{out} is a previous render, but {stray} was not written by the render: move it away, then render again"
        )


def _not_rendered(out: Path) -> Path | None:
    """The first entry of a previous render that a render does not write, if any."""
    for entry in sorted(out.iterdir()):
        if entry.name in (MARKER, RESOURCES) and entry.is_file() and not entry.is_symlink():
            continue
        if entry.name == MANIFESTS and entry.is_dir() and not entry.is_symlink():
            for manifest in sorted(entry.iterdir()):
                if manifest.suffix != ".yaml" or manifest.is_symlink() or not manifest.is_file():
                    return manifest
            continue
        return entry
    return None


def staging_next_to(out: Path) -> Path:
    """A fresh, marked folder beside `out` (same file system, so the swap is a rename)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".render-", dir=out.parent))
    (staging / MARKER).write_text(MARKER_TEXT)
    return staging


def swap_in(staging: Path, out: Path) -> None:
    """Put the finished render `staging` at `out`, then delete the previous render that was there."""
    check_destination(out)
    if out.is_dir() and not any(out.iterdir()):
        out.rmdir()
    if not out.exists():
        staging.rename(out)
        return
    previous = Path(tempfile.mkdtemp(prefix=".render-previous-", dir=out.parent))
    os.replace(out, previous / out.name)
    try:
        staging.rename(out)
    except OSError:
        os.replace(previous / out.name, out)
        raise
    finally:
        shutil.rmtree(previous, ignore_errors=True)
