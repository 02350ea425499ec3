"""Request and response bodies of the API."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

#: `owner/name` as GitHub spells them: an owner of at most 39 letters, digits and inner hyphens; a name of letters,
#: digits, `.`, `-` and `_`, not dots only (`.` and `..` would change the path of every API call). Written without
#: look-arounds, so that the OpenAPI document says exactly what is accepted; GitHub itself refuses names over 100.
REPOSITORY = r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?/\.*[A-Za-z0-9_-][A-Za-z0-9._-]*$"
#: A branch name `git check-ref-format` takes: components separated by `/`, each starting with a letter or digit,
#: dots only between other characters (no `..`, no leading or trailing dot).
_BRANCH_PART = r"[A-Za-z0-9][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*"
BRANCH = rf"^{_BRANCH_PART}(?:/{_BRANCH_PART})*$"


class PublishTarget(BaseModel):
    """Where to publish a project on GitHub."""

    model_config = ConfigDict(extra="forbid")

    repository: str = Field(
        pattern=REPOSITORY,
        max_length=140,
        description="`owner/name`: created when absent (one commit on its default branch); when it exists, the "
        "project goes to a new branch and a pull request. The owner must be one of PUBLISH_OWNERS.",
        examples=["acme/todo-api"],
    )
    private: bool = Field(default=True, description="Visibility of a repository the service creates.")


class GenerateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(
        min_length=1,
        pattern=r"\S",
        description="What to build: not blank, at most MAX_PROMPT_CHARS characters (else 413).",
    )
    model: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/@-]*$",
        description="Model to use; defaults to GENERATOR_MODEL (local) or CLOUD_LLM_MODEL (cloud).",
    )
    publish: PublishTarget | None = Field(
        default=None, description="Publish the generated project to GitHub (JSON and NDJSON answers only)."
    )


class FileOut(BaseModel):
    path: str
    content: str


class PublishRequest(PublishTarget):
    """A project to publish, as `POST /generate` returned it (or any project within the same rules)."""

    files: list[FileOut] = Field(
        min_length=1, description="The project's files; paths and sizes follow the rules of generated projects."
    )
    message: str | None = Field(
        default=None, min_length=1, max_length=4000, pattern=r"\S", description="The commit message."
    )
    branch: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        pattern=BRANCH,
        description="Branch of the pull request when the repository exists (default `prompt2prod/<commit>`).",
    )


class PublishResult(BaseModel):
    repository: str = Field(description="`owner/name`.")
    url: str = Field(description="The repository's page.")
    commit: str = Field(description="SHA of the commit holding every file.")
    branch: str = Field(description="The branch the commit is on.")
    pull_request: str | None = Field(description="The pull request's page when one was opened, else null.")
    created: bool = Field(description="Whether the repository is one the service created for this project.")


class Check(BaseModel):
    tool: Literal[
        "python-compile", "json", "yaml", "toml", "kubernetes-validate", "checkov", "hadolint", "actionlint", "zizmor"
    ]
    path: str
    ok: bool
    message: str = Field(
        description="What the tool found; for a check that could not run, `tool error: ...` or `skipped: ...`."
    )


class Usage(BaseModel):
    input_tokens: int
    output_tokens: int


class GenerateResponse(BaseModel):
    files: list[FileOut]
    model: str
    mode: Literal["local", "cloud"]
    summary: str
    language: Literal["python", "node", "unknown"]
    scaffolded: list[str] = Field(description="Paths the service added because the model did not write them.")
    warnings: list[str] = Field(description="Files from the model that were dropped, and why.")
    usage: Usage
    attempts: int
    publish: PublishResult | None = Field(default=None, description="Where the project was published, if asked.")
    checks: list[Check] = Field(
        default_factory=list,
        description="Each check of each file (CHECKS_ENABLED): a failing check is reported, never fixed.",
    )


class HealthResponse(BaseModel):
    status: Literal["ok"]


class ReadyResponse(BaseModel):
    status: Literal["ready"]
    model: str


class ModelOut(BaseModel):
    name: str
    size: int | None = None
    modified_at: str | None = None


class ModelsResponse(BaseModel):
    models: list[ModelOut]
    default: str
