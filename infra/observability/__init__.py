"""Metrics, logs, alerts and dashboards: the `Observability` component (`observability`), the charts' Helm values
(`values`), monitors, SLO rules, dashboards, the metric catalog and prod's Loki Azure storage (`loki_storage`)."""
