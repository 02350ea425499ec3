"""docs/service.md's settings, errors and metrics tables say what the service itself defines.

Checked against the service's own definitions (`app.settings.Settings`, the `ServiceError` statuses,
`app.metrics.METRICS`), so a setting, a status or a metric added, renamed or given another default in `app/`
fails here until the page says so.
"""

from __future__ import annotations

import re

import app.main  # noqa: F401 - importing the app defines every ServiceError the service can raise
from app.errors import ServiceError
from app.metrics import METRICS
from app.settings import Settings
from tests.support import REPO

ROW = re.compile(r"^\| (?P<first>[^|]+) \| (?P<second>[^|]+) \|", re.MULTILINE)


def section(title: str) -> str:
    text = (REPO / "docs" / "service.md").read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def rows(title: str) -> list[tuple[str, str]]:
    return [(m["first"].strip(), m["second"].strip()) for m in ROW.finditer(section(title))][1:]  # past the header


def test_the_settings_table_lists_every_setting_with_its_default() -> None:
    documented = {name.strip("`"): default for name, default in rows("Settings")}
    defined = {name.upper(): field.default for name, field in Settings.model_fields.items()}

    assert set(documented) == set(defined)
    for name, default in defined.items():
        cell = documented[name]
        if default is None:
            assert cell == "unset", name
        elif isinstance(default, bool):
            assert cell == f"`{str(default).lower()}`", name
        elif isinstance(default, int | float):
            assert float(cell.strip("`")) == default, name
        else:
            assert cell == f"`{default}`", name


def test_the_errors_table_lists_every_status_the_service_answers_with() -> None:
    def subclasses(cls: type[ServiceError]) -> list[type[ServiceError]]:
        return [sub for direct in cls.__subclasses__() for sub in (direct, *subclasses(direct))]

    statuses = {cls.status_code for cls in subclasses(ServiceError)} | {422}  # 422: FastAPI's request validation
    documented = {int(status) for status, _ in rows("Errors")}
    assert documented == statuses


def test_the_metrics_table_lists_every_metric_with_its_labels() -> None:
    documented = {}
    for name, _ in rows("Metrics and logs"):
        labels_cell = next(line for line in section("Metrics and logs").splitlines() if line.startswith(f"| {name} |"))
        labels = re.sub(r"\([^)]*\)", "", labels_cell.split(" | ")[2])
        documented[name.strip("`")] = tuple(re.findall(r"`([a-z_]+)`", labels))
    assert documented == dict(METRICS)
