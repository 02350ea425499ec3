"""`python -m infra.outputs schema|validate|summary|overview`: the stack outputs contract on the command line.

- `schema`: print the JSON Schema of `StackOutputs` (what `schema/stack-outputs.schema.json` must contain).
- `validate FILE`: check a stack's `pulumi stack output --json` against it. Secrets must appear as `"[secret]"`
  (a credential printed in clear means it was not exported as a secret) unless `--secrets-shown` says the file
  came from `--show-secrets`.
- `summary FILE`: the GitHub job summary (markdown) of those outputs.
- `overview FILE`: the platform-overview dashboard's links (see `overview_links`).

FILE may be `-` for stdin. Exit 0 on success, 1 when the outputs do not match the schema (one line per problem,
naming the output), 2 on a usage error or an unreadable file.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from pydantic import ValidationError

from infra.outputs.contract import SCHEMA_VERSION, SECRET, SECRET_OUTPUTS, StackOutputs

EXIT_INVALID = 1
EXIT_USAGE = 2
OVERVIEW_FORMAT_VERSION = 1
# Hosts only reachable from inside the cluster are not links a browser can follow.
_IN_CLUSTER = (".svc", ".svc.cluster.local", ".cluster.local", ".local")
_URL_SUFFIXES = ("Urls", "Url", "Uris", "Uri")
_ACRONYMS = {"llm": "LLM", "api": "API", "acr": "ACR", "aks": "AKS", "ui": "UI"}


def json_schema() -> dict[str, Any]:
    """The JSON Schema of `StackOutputs`, with secrets marked `x-pulumi-secret` and accepting `"[secret]"`."""
    schema = StackOutputs.model_json_schema(by_alias=True, mode="validation")
    # pydantic's per-property titles ("Clustername") say nothing the property name does not.
    properties = {name: {k: v for k, v in spec.items() if k != "title"} for name, spec in schema["properties"].items()}
    for name in SECRET_OUTPUTS:
        original = properties[name]
        description = original.pop("description", "")
        properties[name] = {
            "description": f'{description} (`pulumi stack output --json` prints it as "[secret]")'.strip(),
            "x-pulumi-secret": True,
            "anyOf": [{"const": SECRET}, original],
        }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:prompt2prod:schema:stack-outputs",
        "x-schema-version": SCHEMA_VERSION,
        **schema,
        "properties": properties,
    }


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"


class OutputsError(Exception):
    """The document does not match the contract; `problems` has one line per output."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def validate(document: Any, *, secrets_shown: bool = False) -> StackOutputs:
    """Validate a `pulumi stack output --json` document against `StackOutputs`."""
    if not isinstance(document, dict):
        raise OutputsError([f"expected a JSON object of stack outputs, got {type(document).__name__}"])
    problems = []
    try:
        outputs = StackOutputs.model_validate(document)
    except ValidationError as error:
        for item in error.errors():
            where = ".".join(str(part) for part in item["loc"]) or "(document)"
            problems.append(f"{where}: {item['msg']}")
        outputs = None
    if not secrets_shown:
        problems += [
            f"{name}: is a secret but appears in clear (export it as a secret)"
            for name in sorted(SECRET_OUTPUTS)
            if name in document and document[name] != SECRET
        ]
    if problems or outputs is None:
        raise OutputsError(problems)
    return outputs


def outputs_document(outputs: StackOutputs) -> dict[str, Any]:
    """The outputs as Pulumi exports them: an output an environment does not have is absent, not null."""
    return outputs.model_dump(by_alias=True, mode="json", exclude_none=True)


def _humanize(key: str) -> str:
    for suffix in _URL_SUFFIXES:
        if key.endswith(suffix) and key != suffix:
            key = key[: -len(suffix)]
            break
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", key).split()
    return " ".join(_ACRONYMS.get(word.lower(), word[:1].upper() + word[1:]) for word in words)


def _public_url(value: Any) -> str | None:
    if not isinstance(value, str) or value == SECRET:
        return None
    parts = urlsplit(value)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or "." not in host or host.endswith(_IN_CLUSTER):
        return None
    return value


def overview_links(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every browsable URL among the outputs, as Grafana dashboard links.

    Read generically so that new outputs show up without a change here: a string output that is an http(s) URL
    with a public host, every such value of an object output (`dashboardUrls: {name: url}`), every such item
    of a list output. Titles come from the output name (`grafanaUrl` → "Grafana", `llmUrl` → "LLM",
    `dashboardUrls.generator` → "Dashboard: generator"). Secrets and in-cluster URLs (`*.svc.cluster.local`)
    are left out.
    """
    links = []

    def add(title: str, url: str, key: str) -> None:
        links.append(
            {"title": title, "type": "link", "url": url, "tooltip": f"stack output {key}", "targetBlank": True}
        )

    for key in sorted(document):
        if key in SECRET_OUTPUTS:
            continue
        value = document[key]
        if url := _public_url(value):
            add(_humanize(key), url, key)
        elif isinstance(value, Mapping):
            for name in sorted(value):
                if url := _public_url(value[name]):
                    add(f"{_humanize(key)}: {name}", url, f"{key}.{name}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if url := _public_url(item):
                    add(f"{_humanize(key)}: {urlsplit(url).netloc}", url, f"{key}[{index}]")
    return links


def overview(outputs: StackOutputs) -> dict[str, Any]:
    """The document the platform-overview dashboard consumes (docs/outputs.md documents it)."""
    document = outputs_document(outputs)
    return {
        "formatVersion": OVERVIEW_FORMAT_VERSION,
        "schemaVersion": outputs.schema_version,
        "environment": outputs.environment,
        "clusterName": outputs.cluster_name,
        "links": overview_links(document),
    }


def _cell(value: Any) -> str:
    if value == SECRET:
        return "🔒 secret"
    if isinstance(value, Mapping):
        return "<br>".join(f"{name}: {_cell(item)}" for name, item in sorted(value.items())) or "—"
    if isinstance(value, list):
        return ", ".join(_cell(item) for item in value) or "—"
    text = json.dumps(value) if not isinstance(value, str) else value
    return f"`{text}`".replace("|", "\\|").replace("\n", " ")


def summary(outputs: StackOutputs) -> str:
    """Markdown for `$GITHUB_STEP_SUMMARY`: every output (secrets redacted) and the dashboard links."""
    document = outputs_document(outputs)
    lines = [
        f"### Stack outputs: {outputs.environment} ({outputs.cluster_kind} cluster `{outputs.cluster_name}`)",
        "",
        f"Contract `schema_version` {outputs.schema_version}, {len(document)} outputs.",
        "",
        "| Output | Value |",
        "|---|---|",
        *(f"| `{key}` | {_cell(SECRET if key in SECRET_OUTPUTS else document[key])} |" for key in sorted(document)),
    ]
    links = overview_links(document)
    if links:
        lines += ["", "#### Links", "", *(f"- [{link['title']}]({link['url']})" for link in links)]
    return "\n".join(lines) + "\n"


def _read(path: str) -> Any:
    text = sys.stdin.read() if path == "-" else Path(path).read_text()
    return json.loads(text)


def _write(text: str, out: Path | None, stdout: TextIO) -> None:
    if out is None:
        stdout.write(text)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)


def main(argv: list[str] | None = None, stdout: TextIO | None = None) -> int:
    out_stream = stdout if stdout is not None else sys.stdout
    parser = argparse.ArgumentParser(prog="python -m infra.outputs", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("schema", help="print the JSON Schema of the stack outputs")
    for name, text in (
        ("validate", "check `pulumi stack output --json` against the schema"),
        ("summary", "write the GitHub job summary (markdown)"),
        ("overview", "write the platform-overview dashboard links (JSON)"),
    ):
        command = commands.add_parser(name, help=text)
        command.add_argument("file", help="the output of `pulumi stack output --json`, or - for stdin")
        command.add_argument("--secrets-shown", action="store_true", help="the file came from --show-secrets")
        if name != "validate":
            command.add_argument("--out", type=Path, help="write here instead of stdout")
    args = parser.parse_args(argv)

    if args.command == "schema":
        out_stream.write(schema_text())
        return 0
    try:
        document = _read(args.file)
    except (OSError, json.JSONDecodeError) as error:
        print(f"error: cannot read stack outputs from {args.file}: {error}", file=sys.stderr)
        return EXIT_USAGE
    try:
        outputs = validate(document, secrets_shown=args.secrets_shown)
    except OutputsError as error:
        for problem in error.problems:
            print(f"error: {problem}", file=sys.stderr)
        return EXIT_INVALID
    if args.command == "validate":
        out_stream.write(f"ok: {len(document)} outputs match schema_version {outputs.schema_version}\n")
    elif args.command == "summary":
        _write(summary(outputs), args.out, out_stream)
    else:
        _write(json.dumps(overview(outputs), indent=2) + "\n", args.out, out_stream)
    return 0
