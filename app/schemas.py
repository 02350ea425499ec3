"""Request and response bodies of the API."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


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


class FileOut(BaseModel):
    path: str
    content: str


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
