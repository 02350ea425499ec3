"""Verification after a deploy, and the record that rollbacks read.

- `python -m infra.verify --outputs outputs.json --prometheus-url URL --loki-url URL`: checks a deployed stack
  through its public gateway (with the `verify` client's API key) and through Prometheus and Loki, which the
  caller makes reachable (the deploy workflow port-forwards them: `tools/verify_stack.py`). See `infra.verify.cli`.
- `python -m infra.verify.deployments record|history`: the verdicts kept as GitHub deployments, per environment.
- `infra.verify.rollback`: which image a failed deploy rolls back to, decided from that history (pure).

Transport-agnostic on purpose: URLs in, results out. Nothing here runs kubectl, az or pulumi.
"""
