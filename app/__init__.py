"""The generator service: a FastAPI app that turns a prompt into a ready-to-ship project."""
