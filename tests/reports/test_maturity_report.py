"""Markdown and HTML maturity reports, and the radar chart they carry."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ElementTree
from html.parser import HTMLParser
from pathlib import Path

import pytest

from assay.reports.charts import ChartSeries, radar_svg
from tests.helpers.running import run_cli

SVG = "{http://www.w3.org/2000/svg}"

TEAM = """\
framework: iml4e
project: "credit <scoring>"
respondents:
  - {name: Ann, answers: {%s}}
  - {name: Bob, answers: {%s}}
  - {name: Cem, answers: {%s}}
"""


def levels(**overrides: int) -> str:
    answers = {str(n): 2 for n in range(1, 33)} | overrides
    return ", ".join(f'"{k}": {v}' for k, v in answers.items())


def team_file(tmp_path: Path, name: str = "team.yaml", **overrides: int) -> Path:
    path = tmp_path / name
    text = TEAM % (levels(**{"1": 0} | overrides), levels(**{"1": 4}), levels(**{"1": 3, "9": 1}))
    path.write_text(text, encoding="utf-8")
    return path


def series_extent(svg: str, gid: str) -> float:
    """The width of the path drawn for one series (its polygon across the chart)."""
    root = ElementTree.fromstring(svg)
    group = next(element for element in root.iter() if element.get("id") == gid)
    path = next(group.iter(f"{SVG}path"))
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", path.get("d", ""))]
    xs = numbers[0::2]
    return max(xs) - min(xs)


def test_radar_chart_draws_each_series_at_its_values() -> None:
    axes = [("a", "Alpha"), ("b", "Beta"), ("c", "Gamma"), ("d", "Delta")]
    series = [
        ChartSeries("all four", dict.fromkeys("abcd", 4)),
        ChartSeries("all two", dict.fromkeys("abcd", 2)),
        ChartSeries("gap", {"a": 1, "b": None, "c": 1, "d": 1}),
    ]
    svg = radar_svg(axes, series, maximum=4, ticks=range(5))
    root = ElementTree.fromstring(svg)  # well-formed XML, no prolog
    assert root.tag == f"{SVG}svg"
    texts = " ".join(text for text in root.itertext())
    for label in ("Alpha", "Delta", "all four", "all two", "gap"):
        assert label in texts
    # Radius is proportional to the value: level 4 spans twice the width of level 2.
    assert series_extent(svg, "series-0") == pytest.approx(2 * series_extent(svg, "series-1"), 0.01)
    assert "Date" not in svg
    assert svg == radar_svg(axes, series, maximum=4, ticks=range(5)), "same data, same SVG"


def test_fewer_than_three_axes_are_drawn_as_bars() -> None:
    svg = radar_svg(
        [("a", "Alpha"), ("b", "Beta")],
        [ChartSeries("one", {"a": 1, "b": 3}), ChartSeries("two", {"a": 2, "b": None})],
        maximum=4,
        ticks=range(5),
    )
    ids = re.findall(r'id="(series-[\d-]+)"', svg)
    assert sorted(ids) == ["series-0-0", "series-0-1", "series-1-0", "series-1-1"]


def test_markdown_report_of_a_team(
    capsys: pytest.CaptureFixture[str], assay_home: Path, tmp_path: Path
) -> None:
    path = team_file(tmp_path)
    result = run_cli(capsys, "maturity", "score", str(path), "-f", "markdown")
    assert result.exit_code == 0, result
    text = result.stdout
    assert text.startswith("# MLOps maturity: IML4E MLOps maturity assessment — credit <scoring>")
    assert "**Level 2 — Automated Training** (the lowest area score)." in text
    assert "| People | 2 | 2, 3, 4, 5 |  |" in text
    topic_1 = "| 1. Involvement of data analysts and data engineers | people | 3 | 0\u20134 ⚠ |"
    assert f"{topic_1} 0 | 4 | 3 |" in text
    assert "- **1. Involvement of data analysts and data engineers**: Ann 0, Bob 4, Cem 3" in text
    assert "## Roadmap to level 3" in text
    # Every table row has as many cells as its header.
    for block in re.findall(r"((?:^\|.*\|\n)+)", text, flags=re.MULTILINE):
        rows = [row for row in block.splitlines() if row]
        counts = {len(re.findall(r"(?<!\\)\|", row)) for row in rows}
        assert len(counts) == 1, block


def test_html_report_is_self_contained_and_escapes_names(
    capsys: pytest.CaptureFixture[str], assay_home: Path, tmp_path: Path
) -> None:
    path = team_file(tmp_path)
    report = tmp_path / "report.html"
    result = run_cli(capsys, "maturity", "score", str(path), "-f", "html", "-o", str(report))
    assert result.exit_code == 0, result
    html = report.read_text(encoding="utf-8")

    class Collector(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.references: list[str] = []
            self.ids: list[str] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found = dict(attrs)
            self.ids += [found["id"] or ""] if "id" in found else []
            for key in ("src", "href"):
                if found.get(key):
                    self.references.append(f"{tag} {key}={found[key]}")
            if tag in ("script", "link", "img", "iframe"):
                self.references.append(tag)

    collector = Collector()
    collector.feed(html)
    assert collector.references == [], "the report must not load anything"
    assert not re.search(r"url\((?!#)", html), "only references inside the file"
    assert "@import" not in html
    assert {"verdict", "chart", "areas", "disputed", "roadmap", "topics"} <= set(collector.ids)
    assert "series-0" in collector.ids
    assert "series-1" not in collector.ids
    assert "credit &lt;scoring&gt;" in html
    assert "credit <scoring>" not in html
    svg = html[html.index("<svg") : html.index("</svg>") + 6]
    ElementTree.fromstring(svg)
    assert "Overall level 2 — Automated Training" in html


def test_rounds_are_overlaid_on_the_chart_and_tabled(
    capsys: pytest.CaptureFixture[str], assay_home: Path, tmp_path: Path, database_url: str
) -> None:
    first, second = team_file(tmp_path, "q1.yaml", **{"9": 0}), team_file(tmp_path, "q2.yaml")
    in_project = ("--project", "credit", "--db", database_url)
    for path, label in ((first, "2026-Q1"), (second, "2026-Q2")):
        saved = run_cli(capsys, "maturity", "save", str(path), "--round", label, *in_project)
        assert saved.exit_code == 0, saved
    now = team_file(tmp_path, "now.yaml", **{"9": 3, "29": 4})
    html = run_cli(capsys, "maturity", "score", str(now), "-f", "html", *in_project).stdout
    svg = html[html.index("<svg") : html.index("</svg>") + 6]
    assert re.findall(r'id="(series-\d+)"', svg) == ["series-0", "series-1", "series-2"]
    legend = " ".join(ElementTree.fromstring(svg).itertext())
    assert all(label in legend for label in ("2026-Q1", "2026-Q2", "now.yaml"))
    assert "<th>2026-Q1</th><th>2026-Q2</th><th>now.yaml</th><th>Change</th>" in html

    markdown = run_cli(capsys, "maturity", "score", str(now), "-f", "markdown", *in_project).stdout
    # Data: Ann's 0 on topic 9 held the first round at 1 (median of 0, 2, 1); then 2, then 2.
    assert "| Data gathering and preparation | 1 | 2 | 2 | +1 |" in markdown
    data = json.loads(
        run_cli(capsys, "maturity", "score", str(now), "-f", "json", *in_project).stdout
    )
    assert [r["round"] for r in data["history"]["rounds"]] == ["2026-Q1", "2026-Q2"]

    # Scoring the file saved last shows that round once, under its label.
    html = run_cli(capsys, "maturity", "score", str(second), "-f", "html", *in_project).stdout
    svg = html[html.index("<svg") : html.index("</svg>") + 6]
    assert re.findall(r'id="(series-\d+)"', svg) == ["series-0", "series-1"]
    assert "q2.yaml" not in svg
    assert "<th>2026-Q1</th><th>2026-Q2</th><th>Change</th>" in html


def test_checklist_reports(
    capsys: pytest.CaptureFixture[str], assay_home: Path, tmp_path: Path
) -> None:
    answers = tmp_path / "m.yaml"
    answers.write_text(
        'framework: marvelous\nanswers:\n  "1.1.1": yes\n  "1.1.2": {answer: no}\n  "5.1": yes\n',
        encoding="utf-8",
    )
    markdown = run_cli(capsys, "maturity", "score", str(answers), "-f", "markdown").stdout
    assert "**Not yet MLOps-mature**: 41 baseline statements are not yes." in markdown
    assert "| 5. " in markdown
    assert "| advanced | 1/7 |" in markdown
    assert re.search(r"^- \*\*1\.1\.2\*\* \(no\): ", markdown, flags=re.MULTILINE)
    assert re.search(r"^- \*\*1\.1\.3\*\* \(unanswered\): ", markdown, flags=re.MULTILINE)
    html = run_cli(capsys, "maturity", "score", str(answers), "-f", "html").stdout
    svg = html[html.index("<svg") : html.index("</svg>") + 6]
    assert "100%" in " ".join(ElementTree.fromstring(svg).itertext())
    assert 'id="blocking"' in html


def test_saved_checklist_rounds_chart_shares_of_yes() -> None:
    from assay.catalog.frameworks import load_framework
    from assay.maturity.history import Round
    from assay.reports.maturity_report import rounds_chart

    marvelous = load_framework("marvelous")
    full = {section.id: len(section.statements) for section in marvelous.sections}
    half = {section.id: len(section.statements) // 2 for section in marvelous.sections}
    svg = rounds_chart(
        marvelous,
        [
            Round("q1", 1, "t", "marvelous", half, None),
            Round("q2", 2, "t", "marvelous", full, None),
        ],
    )
    assert ">100%<" in svg
    assert svg.count('id="series-') == 2
    levels = rounds_chart(load_framework("iml4e"), [Round("q1", 1, "t", "iml4e", {"1": 2}, 2)])
    assert ">100%<" not in levels
    assert ">4<" in levels
