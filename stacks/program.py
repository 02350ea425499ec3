"""The Pulumi program: load config, build the platform for the stack's environment, export outputs."""

from __future__ import annotations

from typing import Any

import pulumi

from infra.config import ConfigError
from infra.outputs.contract import export_outputs
from stacks.config import load_stack_config


def main() -> dict[str, pulumi.Output[Any]]:
    try:
        config = load_stack_config()
    except ConfigError as error:
        # RunError prints the message without a traceback: the user sees one line per bad key.
        raise pulumi.RunError(str(error)) from None
    if config.platform.environment == "prod":
        from stacks import prod as environment  # imports Azure modules only on the prod path
    else:
        from stacks import dev as environment  # type: ignore[no-redef]
    return export_outputs(environment.build(config))
