"""Where generated projects run: the `apps` namespace's platform-side guard rails."""
