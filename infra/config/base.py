"""Shared building blocks for the stack configuration models.

Every model is frozen, rejects unknown keys, validates defaults too, and reads camelCase keys as they are
written in `Pulumi.<stack>.yaml`. Types are strict: a string is never silently turned into a number.
"""

from __future__ import annotations

import re
from ipaddress import IPv4Network
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator


def camel_key(name: str) -> str:
    """`ssh_private_key` -> `sshPrivateKey`; unlike pydantic's `to_camel`, `k3s` stays `k3s`."""
    first, *rest = name.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


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

# Not strict: CIDRs are written as strings in YAML. Host bits set (10.0.0.1/16) are refused.
Cidr = Annotated[IPv4Network, Field(strict=False)]


def refuse_open_ranges(ranges: list[IPv4Network]) -> list[IPv4Network]:
    """An allow-list containing 0.0.0.0/0 is no allow-list."""
    for network in ranges:
        if network.prefixlen == 0:
            raise ValueError(f"{network} allows the whole internet: list the addresses that need access")
    return ranges


class Resources(Section):
    """Container requests and limits (Kubernetes quantities). Limits must not be below requests."""

    cpu_request: Quantity = "100m"
    memory_request: Quantity = "128Mi"
    cpu_limit: Quantity = "1"
    memory_limit: Quantity = "512Mi"

    @model_validator(mode="after")
    def _limits_cover_requests(self) -> Resources:
        if quantity_value(self.cpu_limit) < quantity_value(self.cpu_request):
            raise ValueError(f"cpuLimit {self.cpu_limit} is below cpuRequest {self.cpu_request}")
        if quantity_value(self.memory_limit) < quantity_value(self.memory_request):
            raise ValueError(f"memoryLimit {self.memory_limit} is below memoryRequest {self.memory_request}")
        return self
