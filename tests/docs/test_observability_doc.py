"""docs/observability.md's alert table lists exactly the alerts the program declares, with their severities.

An alert added, renamed or moved between `page` and `ticket` in `infra/observability/slo_rules.py` fails here
until the page says so: on-call reads this table to know what wakes them.
"""

from __future__ import annotations

import re

from infra.config.observability import ObservabilityConfig
from infra.observability.slo_rules import SloTargets, rule_groups
from tests.support import REPO

ALERT_ROW = re.compile(r"^\| `(?P<alert>[A-Za-z0-9]+)`[^|]* \| (?P<severity>[a-z]+) \|", re.MULTILINE)


def test_the_alert_table_lists_every_alert_and_its_severity() -> None:
    text = (REPO / "docs" / "observability.md").read_text()
    documented = {(m["alert"], m["severity"]) for m in ALERT_ROW.finditer(text)}
    groups = rule_groups(SloTargets.from_config(ObservabilityConfig()))
    # One row may stand for an alert's instances (GeneratorLlmLatencyHigh per mode).
    declared = {
        (rule["alert"], rule["labels"]["severity"]) for group in groups for rule in group["rules"] if "alert" in rule
    }
    assert documented == declared
