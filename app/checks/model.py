"""One check's result, and the names of the tools (the `tool` of a result and of the metrics' labels)."""

from dataclasses import dataclass
from typing import Final, Literal, get_args

Tool = Literal[
    "python-compile", "json", "yaml", "toml", "kubernetes-validate", "checkov", "hadolint", "actionlint", "zizmor"
]
TOOLS: Final[tuple[Tool, ...]] = get_args(Tool)
#: `ok`: the file passed; `failed`: the tool found a problem in it; `error`: the tool could not say (it crashed,
#: timed out, ran out of memory, or was skipped because the request's deadline was near).
Outcome = Literal["ok", "failed", "error"]
OUTCOMES: Final[tuple[Outcome, ...]] = get_args(Outcome)
#: A message longer than this is cut: a tool may report thousands of findings on a hostile file.
MAX_MESSAGE_CHARS: Final = 2000


@dataclass(frozen=True, slots=True)
class Result:
    tool: Tool
    path: str
    outcome: Outcome
    message: str

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


def passed(tool: Tool, path: str, message: str = "") -> Result:
    return Result(tool, path, "ok", _cut(message))


def failed(tool: Tool, path: str, message: str) -> Result:
    return Result(tool, path, "failed", _cut(message))


def errored(tool: Tool, path: str, message: str) -> Result:
    return Result(tool, path, "error", _cut(message))


def _cut(message: str) -> str:
    return message if len(message) <= MAX_MESSAGE_CHARS else message[: MAX_MESSAGE_CHARS - 1] + "…"
