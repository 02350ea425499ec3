"""The platform contract: its end-to-end facts, stated once, as data.

- `budgets`: the per-request time budget of a generation and every timeout derived from it (gateway routes,
  the pod's grace period, the app's own deadline);
- `flows`: who talks to whom inside and out of the cluster, on which port, and which flows must be denied;
- `azure`: who must reach each firewalled Azure resource of prod, from which network, as which identity;
- `monitoring`: the workloads alerts and dashboards may select by pod name;
- `markdown`: README's "Platform contract" section, generated from the above (`make docs`).

The components build from these values, and `tests/platform` checks every layer of both renders against them.
"""
