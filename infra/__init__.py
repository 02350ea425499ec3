"""Reusable Pulumi components of the Prompt2Prod platform. Nothing here reads stack config or creates
resources at import time: `stacks/` passes validated settings and a Kubernetes provider in."""
