"""The delivery and ML life-cycle figures for people: a terminal table and an HTML report with
trend charts (inline SVG)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from assay.names import printable
from assay.reports.charts import trend_svg
from assay.reports.numbers import significant
from assay.reports.templating import template_environment

__all__ = [
    "DORA_ROWS",
    "ML_ROWS",
    "dora_html",
    "dora_table",
    "figure",
    "ml_html",
    "ml_table",
    "trend_charts",
]

NONE = "-"  # what a missing figure shows

# (label, group, value key, sample key, tier key) of each line of the DORA report.
DORA_ROWS = (
    (
        "Deployment frequency (per week)",
        "deployment_frequency",
        "per_week",
        "deployments",
        "deployment_frequency",
    ),
    ("Lead time for changes, median (h)", "lead_time_hours", "median", "changes", "lead_time"),
    ("Lead time for changes, p90 (h)", "lead_time_hours", "p90", "changes", None),
    ("Change failure rate", "change_failure_rate", "value", "deployments", "change_failure_rate"),
    (
        "Failed deployment recovery time, median (h)",
        "recovery_time_hours",
        "median",
        "failures",
        "recovery_time",
    ),
    ("Deployment rework rate", "rework_rate", "value", "deployments", None),
)
ML_ROWS = (
    ("Model age in production, median (days)", "model_age_days", "median", "models"),
    ("Time to redeploy, median (h)", "time_to_redeploy_hours", "median", "versions"),
    ("Time to retrain after drift, median (h)", "time_to_retrain_hours", "median", "alerts"),
    ("Model rollback time, median (h)", "model_rollback_time_hours", "median", "rollbacks"),
    ("Drift alerts per model per week", "drift_alerts", "per_model_per_week", "count"),
    ("Data freshness lag, median (h)", "data_freshness_lag_hours", "median", "deployments"),
    ("Retrain frequency (per week)", "retrain_frequency", "per_week", "trainings"),
    ("Governance coverage", "governance_coverage", "value", "versions"),
    ("Explainability coverage", "explainability_coverage", "value", "versions"),
)


def figure(value: Any) -> str:
    """A figure as people read it: three significant digits, NONE when there is none."""
    if value is None:
        return NONE
    if isinstance(value, float):
        return significant(value)
    return str(value)


def _title(report: Mapping[str, Any], what: str, subject: str) -> str:
    who = report.get(subject) or f"all {subject}s"
    return (
        f"{what} of {who} in {report['environment']}, "
        f"{report['since'][:19]} to {report['until'][:19]} (UTC)"
    )


def dora_table(report: Mapping[str, Any]) -> Group:
    """The five keys with sample counts and tiers, the breakdown, and the diagnostics."""
    tiers = report["tiers"]
    table = Table(
        "key", "value", "n", f"tier ({tiers['year']})", title=_title(report, "Delivery", "service")
    )
    for label, group, key, samples, tier in DORA_ROWS:
        table.add_row(
            label,
            figure(report[group][key]),
            str(report[group][samples]),
            (tiers.get(tier) or NONE) if tier else "",
        )
    parts: list[Any] = [table]
    if report.get("breakdown"):
        by = "team" if "team" in report["breakdown"][0] else "service"
        rows = Table(by, "deploys/week", "lead time (h)", "CFR", "recovery (h)", "rework")
        for row in report["breakdown"]:
            rows.add_row(
                printable(row[by]),
                figure(row["deployment_frequency"]["per_week"]),
                figure(row["lead_time_hours"]["median"]),
                figure(row["change_failure_rate"]["value"]),
                figure(row["recovery_time_hours"]["median"]),
                figure(row["rework_rate"]["value"]),
            )
        parts.append(rows)
    parts += [Text(f"! {note}") for note in report.get("diagnostics", [])]
    return Group(*parts)


def ml_table(report: Mapping[str, Any]) -> Group:
    """The ML life-cycle figures with sample counts, per model, and the diagnostics."""
    table = Table("figure", "value", "n", title=_title(report, "ML life cycle", "model"))
    for label, group, key, samples in ML_ROWS:
        table.add_row(label, figure(report[group][key]), str(report[group][samples]))
    parts: list[Any] = [table]
    if report.get("models"):
        rows = Table(
            "model",
            "serving",
            "age (days)",
            "redeploy (h)",
            "retrain (h)",
            "alerts",
            "governed",
            "explained",
        )
        for row in report["models"]:
            rows.add_row(
                printable(row["model"]),
                printable(row["serving_version"] or NONE),
                figure(row["model_age_days"]),
                figure(row["time_to_redeploy_hours"]["median"]),
                figure(row["time_to_retrain_hours"]["median"]),
                str(row["drift_alerts"]["count"]),
                figure(row["governance_coverage"]["value"]),
                figure(row["explainability_coverage"]["value"]),
            )
        parts.append(rows)
    parts += [Text(f"! {note}") for note in report.get("diagnostics", [])]
    return Group(*parts)


def trend_charts(trend: Sequence[Mapping[str, Any]]) -> list[str]:
    """An SVG line chart per key over the trend's windows (keys with fewer than two points
    are left out)."""
    charts = []
    for label, group, key, _, _ in DORA_ROWS:
        points = [
            (str(point["until"])[:10], float(point[group][key]))
            for point in trend
            if point[group][key] is not None
        ]
        if len(points) >= 2:
            charts.append(trend_svg(points, title=label, target=None))
    return charts


def dora_html(report: Mapping[str, Any]) -> str:
    """A self-contained HTML page: the keys, their tiers, trend charts, the breakdown."""
    title = _title(report, "Delivery", "service")
    return _page("dora", title, report, DORA_ROWS, trend_charts(report.get("trend", [])))


def ml_html(report: Mapping[str, Any]) -> str:
    """A self-contained HTML page of the ML life-cycle figures, per model."""
    return _page("ml", _title(report, "ML life cycle", "model"), report, ML_ROWS, [])


def _page(
    kind: str, title: str, report: Mapping[str, Any], rows: Sequence[Any], charts: list[str]
) -> str:
    template = template_environment(html=True, filters={"figure": figure}).get_template(
        "metrics.html.j2"
    )
    return template.render(
        kind=kind,
        title=title,
        report=report,
        rows=rows,
        charts=charts,
        generated=datetime.now(UTC).isoformat(timespec="seconds"),
    )
