"""Rendered manifests keep multi-line text line for line, so that a pull request's render diff is readable.

Guards the render that wrote ConfigMap data (the preload script, the dashboards) as escaped, folded strings: a
one-line change to the script showed up as a reflowed block. Multi-line text is now a YAML literal block, and
every such value in both renders must come out that way (PyYAML silently falls back to a quoted string when a
value has trailing spaces or tabs).
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import yaml

from infra.render.manifests import dump


def texts(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [text for value in node.values() for text in texts(value)]
    if isinstance(node, list):
        return [text for value in node for text in texts(value)]
    return []


def test_every_multi_line_value_is_written_line_for_line(rendered_dir: Path) -> None:
    checked = 0
    for path in sorted((rendered_dir / "manifests").glob("*.yaml")):
        written = path.read_text()
        lines = {line.strip() for line in written.splitlines()}
        document = yaml.safe_load(written)
        for text in texts(document):
            if "\n" not in text:
                continue
            checked += 1
            missing = [line for line in text.splitlines() if line.strip() and line.strip() not in lines]
            assert not missing, f"{path.name}: not written as a block, e.g. {missing[0]!r}"
    assert checked >= 5, "the preload script and the four dashboards are multi-line ConfigMap data"


def test_a_one_line_change_is_a_one_line_diff(rendered_dir: Path) -> None:
    path = next((rendered_dir / "manifests").glob("*--configmap--ollama-preload-script.yaml"))
    document = yaml.safe_load(path.read_text())
    (key, script), *_ = document["data"].items()
    changed = {**document, "data": {key: script.replace("import json\n", "import json  # changed\n", 1)}}

    diff = [
        line
        for line in difflib.unified_diff(dump(document).splitlines(), dump(changed).splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]

    assert diff == ["-    import json", "+    import json  # changed"]


def test_the_written_manifests_read_back_as_declared(rendered_dir: Path) -> None:
    for path in (rendered_dir / "manifests").glob("*.yaml"):
        assert yaml.safe_load(path.read_text()) == yaml.safe_load(dump(yaml.safe_load(path.read_text())))
    sample = {"data": {"a": "line one\nline two\n", "b": "no newline\nat the end", "c": "  indented\nfirst\n"}}
    assert yaml.safe_load(dump(sample)) == sample
