"""The LLM, product and people figures for people: terminal tables and a self-contained HTML
page, both built from the same sections (a title, column heads, rows)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from assay.names import printable
from assay.reports.metrics_report import NONE, figure
from assay.reports.templating import template_environment
from assay.services.llm_metrics import report_value

__all__ = [
    "LLM_ROWS",
    "Section",
    "llm_sections",
    "people_sections",
    "product_sections",
    "sections_html",
    "sections_table",
]

Section = tuple[str, list[str], list[list[str]]]
# (label, path in a group's figures) of each line of the LLM report.
LLM_ROWS = (
    ("Responses", "responses"),
    ("Sessions", "sessions"),
    ("Cost per response", "cost.per_response"),
    ("Cost per session", "cost.per_session"),
    ("Cost per 1,000 tokens", "cost.per_1k_tokens"),
    ("Unpriced responses", "cost.unpriced"),
    ("Input tokens per response", "tokens_per_response.input"),
    ("Output tokens per response", "tokens_per_response.output"),
    ("Latency p50 (ms)", "latency_ms.p50"),
    ("Latency p95 (ms)", "latency_ms.p95"),
    ("Latency per output token (ms)", "latency_ms.per_output_token"),
    ("Time to first token p50 (ms)", "ttft_ms.p50"),
    ("Time to first token p95 (ms)", "ttft_ms.p95"),
    ("Refusal rate", "refusal_rate.value"),
    ("Hallucination rate", "hallucination_rate.value"),
    ("Faithfulness rate", "faithfulness_rate.value"),
    ("Safety violation rate", "safety_violation_rate.value"),
    ("Instruction-following rate", "instruction_following_rate.value"),
    ("Down-vote rate", "downvote_rate.value"),
)
_MAX_COLUMNS = 8  # groups shown side by side; the JSON holds them all


def _at(node: Mapping[str, Any], path: str) -> Any:
    return report_value(node, path)


def _group_name(group: Mapping[str, Any], keys: Sequence[str]) -> str:
    parts = [f"{key}={group[key]}" for key in keys if group.get(key) is not None]
    return printable(" ".join(parts) or "(unlabelled)")


def llm_sections(report: Mapping[str, Any]) -> list[Section]:
    """The figures by group (the first eight groups, then all responses together), the
    unpriced models and the diagnostics."""
    groups = list(report["groups"])[:_MAX_COLUMNS]
    heads = ["figure", *(_group_name(g, report["group_by"]) for g in groups), "all"]
    rows = [
        [label, *(figure(_at(g, path)) for g in groups), figure(_at(report["all"], path))]
        for label, path in LLM_ROWS
    ]
    sections: list[Section] = [(f"LLM figures ({report['currency']})", heads, rows)]
    unpriced = report["all"]["cost"]["unpriced_models"]
    if unpriced:
        sections.append(
            (
                "Responses without a price (not counted in the costs)",
                ["model", "responses"],
                [[printable(model), str(n)] for model, n in unpriced.items()],
            )
        )
    notes = [[key.replace("_", " "), str(n)] for key, n in report["diagnostics"].items() if n]
    if notes:
        sections.append(("Diagnostics", ["what", "count"], notes))
    return sections


def product_sections(report: Mapping[str, Any]) -> list[Section]:
    """Down-vote rate, AI adoption, and each feature's users."""
    votes, adoption = report["downvote_rate"], report["ai_adoption"]
    return [
        (
            "Product",
            ["figure", "value", "sample"],
            [
                ["Down-vote rate", figure(votes["value"]), f"{votes['votes']} votes"],
                [
                    "AI-feature adoption",
                    figure(adoption["value"]),
                    f"{adoption['active_users']} active users",
                ],
            ],
        ),
        (
            "Features",
            ["feature", "AI", "users", "share of active users"],
            [
                [
                    printable(f["feature"]),
                    "yes" if f["ai"] else "no",
                    str(f["users"]),
                    figure(f["share"]),
                ]
                for f in report["features"]
            ],
        ),
    ]


def people_sections(report: Mapping[str, Any]) -> list[Section]:
    """Incident proxies, role balance and pulse aggregates (withheld groups named only)."""
    raised, delay = report["raised_by_people"], report["detection_to_report_hours"]
    sections: list[Section] = [
        (
            "Incidents",
            ["figure", "value", "sample"],
            [
                [
                    "Share raised by people",
                    figure(raised["value"]),
                    f"{raised['people']} people, {raised['detectors']} detectors, "
                    f"{raised['unknown']} unknown",
                ],
                [
                    "Detection to report, median (h)",
                    figure(delay["median"]),
                    f"{delay['incidents']} incidents",
                ],
                ["Detection to report, p90 (h)", figure(delay["p90"]), ""],
            ],
        )
    ]
    balance = report.get("role_balance")
    if balance:
        sections.append(
            (
                "Role balance",
                ["role", "people", "capacity (FTE)", "share"],
                [
                    [
                        printable(r["role"]),
                        str(r["people"]),
                        figure(r["capacity"]),
                        figure(r["share"]),
                    ]
                    for r in balance["roles"]
                ],
            )
        )
    pulse = report.get("pulse")
    if pulse:
        rows = []
        for question in pulse["questions"]:
            everyone = question["all"]
            rows.append(
                [
                    printable(question["question"]),
                    "(all)",
                    str(everyone["answers"]) if everyone else NONE,
                    figure(everyone["mean"]) if everyone else "withheld",
                ]
            )
            rows += [
                ["", printable(g["group"]), str(g["answers"]), figure(g["mean"])]
                for g in question["groups"]
            ]
            rows += [["", printable(g), NONE, "withheld"] for g in question["withheld"]]
        sections.append(
            (
                f"Pulse survey (groups under {pulse['min_group']} answers withheld)",
                ["question", "group", "answers", "mean"],
                rows,
            )
        )
    return sections


def sections_table(title: str, sections: Sequence[Section], notes: Sequence[str] = ()) -> Group:
    """The sections as Rich tables under ``title``."""
    parts: list[Any] = [Text(title, style="bold")]
    for name, heads, rows in sections:
        table = Table(*heads, title=name)
        for row in rows:
            table.add_row(*row)
        parts.append(table)
    parts += [Text(f"! {note}") for note in notes]
    return Group(*parts)


def sections_html(title: str, report: Mapping[str, Any], sections: Sequence[Section]) -> str:
    """A self-contained HTML page of the sections."""
    template = template_environment(html=True).get_template("llm.html.j2")
    return template.render(
        title=title,
        report=report,
        sections=sections,
        generated=datetime.now(UTC).isoformat(timespec="seconds"),
    )
