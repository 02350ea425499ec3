"""Prompt2Prod generator service: turns a prompt into a ready-to-ship project (its contract: docs/service.md)."""
