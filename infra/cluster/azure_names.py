"""Physical names of prod's Azure resources that must be unique across all of Azure (registries, key vaults).

Such a name takes a random suffix, made once by a `RandomId` child named `<component>-suffix` and kept in the
state, so that the name stays the same on every later run.
"""

from __future__ import annotations

from collections.abc import Callable

import pulumi
import pulumi_random as random


def random_suffixed_name(
    name: str, prefix: str, rule: Callable[[str, str], str], opts: pulumi.ResourceOptions
) -> pulumi.Output[str]:
    """`rule(prefix, suffix)` with a 6-hex-digit random suffix, created as the `RandomId` `<name>-suffix`."""
    suffix = random.RandomId(f"{name}-suffix", byte_length=3, opts=opts)
    return suffix.hex.apply(lambda hex_: rule(prefix, hex_))
