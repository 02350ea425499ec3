"""Prompt2Prod generator service: turns a prompt into a ready-to-ship project (DESIGN 4.3)."""
