"""Shared building blocks for the stack configuration models.

Every model is frozen, rejects unknown keys, validates defaults too, and reads camelCase keys as they are
written in `Pulumi.<stack>.yaml`. Types are strict, except that a value in the shape the Pulumi CLI writes it
(`infra.config.cli_values`) is read as the type its key declares: the number `0.995` arrives as text, a zone
`1` as an integer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from ipaddress import IPv4Network
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from infra.config.cli_values import cli_values
from infra.config.problems import camel_key


class Section(BaseModel):
    """Base of every config model: frozen, strict, `extra="forbid"`, camelCase keys."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        strict=True,
        validate_default=True,
        alias_generator=camel_key,
        populate_by_name=True,
        # Defaults that are models are validated again with the stack's context (prod rules apply to them too).
        revalidate_instances="always",
        # The docstring under a field is its description (shown in docs/configuration.md).
        use_attribute_docstrings=True,
    )

    @model_validator(mode="before")
    @classmethod
    def _as_written(cls, data: Any) -> Any:
        """Values in the shapes the CLI writes them, and a section's own defaults under the keys a user sets."""
        if not isinstance(data, dict):
            return data
        fields = {key: field for name, field in cls.model_fields.items() for key in (name, field.alias) if key}
        data = cli_values({key: field.annotation for key, field in fields.items()}, data)
        # A section may size its parts itself (the generator's `resources`, the system pool): setting one of their
        # keys keeps the others at the section's values, not at the part's own class defaults.
        for key, value in data.items():
            default = fields[key].default if key in fields else None
            if isinstance(default, BaseModel) and isinstance(value, dict):
                data[key] = deep_merge(default.model_dump(by_alias=True, exclude_unset=True), value)
        return data


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """`override` on top of `base`, merging nested mappings key by key (other values are replaced)."""
    merged = dict(base)
    for key, value in override.items():
        current = merged.get(key)
        merged[key] = deep_merge(current, value) if isinstance(current, dict) and isinstance(value, dict) else value
    return merged


def matching(pattern: str, what: str) -> AfterValidator:
    """A validator refusing strings that do not match `pattern`, saying "'<value>' is not <what>"."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.match(value):
            raise ValueError(f"{value!r} is not {what}")
        return value

    return AfterValidator(check)


# Kubernetes resource quantities, e.g. "500m", "2", "512Mi", "20Gi".
_QUANTITY = re.compile(r"^(\d+(\.\d+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$")
_BINARY_SUFFIX = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}
_DECIMAL_SUFFIX = {"": 1.0, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}


def quantity_value(quantity: str) -> float:
    """The numeric value of a Kubernetes quantity: bytes for memory/storage, cores for CPU."""
    match = _QUANTITY.match(quantity)
    if match is None:
        raise ValueError(f"{quantity!r} is not a Kubernetes quantity (e.g. 500m, 2, 512Mi, 20Gi)")
    number, suffix = float(match.group(1)), match.group(3) or ""
    return number * (_BINARY_SUFFIX.get(suffix) or _DECIMAL_SUFFIX[suffix])


def _positive_quantity(value: str) -> str:
    if quantity_value(value) <= 0:
        raise ValueError(f"{value!r} must be greater than zero")
    return value


Quantity = Annotated[str, AfterValidator(_positive_quantity)]
"""A Kubernetes quantity greater than zero."""

_DNS_LABEL = r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"
_HOSTNAME = re.compile(rf"^{_DNS_LABEL}(\.{_DNS_LABEL})*$")


def _hostname(value: str) -> str:
    if len(value) > 253 or not _HOSTNAME.match(value):
        raise ValueError(f"{value!r} is not a valid lower-case DNS hostname")
    return value


Hostname = Annotated[str, AfterValidator(_hostname)]
"""A lower-case RFC 1123 DNS name such as `generator.example.com`."""

_IMAGE_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


def _image_tag(value: str) -> str:
    if not _IMAGE_TAG.match(value):
        raise ValueError(f"{value!r} is not a valid image tag")
    if value == "latest":
        raise ValueError("'latest' is not allowed: pin a version so that deployments are reproducible")
    return value


# An image repository (no tag, no digest): optional registry host[:port], then path components.
ImageRepository = Annotated[
    str,
    matching(
        r"^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$",
        "an image repository (e.g. ghcr.io/org/app, without tag)",
    ),
]
ImageTag = Annotated[str, AfterValidator(_image_tag)]
"""A pinned image tag: never `latest`."""

PositiveInt = Annotated[int, Field(gt=0)]
NonNegativeInt = Annotated[int, Field(ge=0)]


def written_as_text(example: str) -> BeforeValidator:
    """Refuse anything but text before a lax parse: ipaddress would read the integer 10 as the address 0.0.0.10."""

    def check(value: object) -> object:
        if isinstance(value, int | float):
            raise ValueError(f"expected text such as {example}, got the number {value!r}")
        return value

    return BeforeValidator(check)


# Not strict: CIDRs are written as strings in YAML. Host bits set (10.0.0.1/16) are refused.
Cidr = Annotated[IPv4Network, written_as_text("10.0.0.0/16"), Field(strict=False)]


def refuse_open_ranges(ranges: list[IPv4Network]) -> list[IPv4Network]:
    """An allow-list containing 0.0.0.0/0 is no allow-list."""
    for network in ranges:
        if network.prefixlen == 0:
            raise ValueError(f"{network} allows the whole internet: list the addresses that need access")
    return ranges


class Resources(Section):
    """Container requests and limits (Kubernetes quantities). Limits must not be below requests."""

    cpu_request: Quantity = "100m"
    """CPU the scheduler reserves (a Kubernetes quantity: `500m` is half a core)."""
    memory_request: Quantity = "128Mi"
    """Memory the scheduler reserves (`512Mi`, `4Gi`)."""
    cpu_limit: Quantity = "1"
    """CPU the container may use at most (it is throttled beyond)."""
    memory_limit: Quantity = "512Mi"
    """Memory the container may use at most (it is killed beyond)."""

    @model_validator(mode="after")
    def _limits_cover_requests(self) -> Resources:
        if quantity_value(self.cpu_limit) < quantity_value(self.cpu_request):
            raise ValueError(f"cpuLimit {self.cpu_limit} is below cpuRequest {self.cpu_request}")
        if quantity_value(self.memory_limit) < quantity_value(self.memory_request):
            raise ValueError(f"memoryLimit {self.memory_limit} is below memoryRequest {self.memory_request}")
        return self
