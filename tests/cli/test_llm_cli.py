"""``assay metrics llm|product|people`` and ``assay llm citations`` on real files, and the bad
files each refuses with one message naming the place."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from assay.collectors import CollectContext, parse_interface
from assay.integrations.plugins import load_plugins
from assay.store import open_store
from assay.store.config import DatabaseChoice
from tests.helpers.running import run_cli


def _recent(minutes: float) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat()


def _events(path: Path, events: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    return path


def test_product_and_people_from_events_roster_and_survey(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'assay.db'}"
    events: list[dict[str, Any]] = [
        {
            "type": "feature_used",
            "id": "f1",
            "time": _recent(5),
            "feature": "ask",
            "user": "u1",
            "ai": True,
        },
        {"type": "feature_used", "id": "f2", "time": _recent(5), "feature": "search", "user": "u2"},
        {"type": "feedback", "id": "v1", "time": _recent(4), "vote": "down"},
        {
            "type": "incident",
            "id": "i1",
            "time": _recent(60),
            "service": "s",
            "environment": "production",
            "reported_by": "person",
            "reported": _recent(30),
        },
    ]
    assert (
        run_cli(
            capsys, "events", "import", str(_events(tmp_path / "e.jsonl", events)), "--db", db
        ).exit_code
        == 0
    )
    product = run_cli(
        capsys, "metrics", "product", "--db", db, "--window", "1d", "--format", "json"
    )
    assert json.loads(product.stdout)["ai_adoption"]["value"] == 0.5
    roster = tmp_path / "roster.csv"
    roster.write_text("name,role,capacity\nAda,research,1\nBo,platform,0.5\nCy,applied,1\n")
    survey = tmp_path / "pulse.csv"
    survey.write_text(
        "group,question,score\n"
        + "".join(f"ml,safe,{s}\n" for s in (4, 5, 3, 4, 4))
        + "ops,safe,1\n"
    )
    people = run_cli(
        capsys,
        "metrics",
        "people",
        "--db",
        db,
        "--window",
        "1d",
        "--roster",
        str(roster),
        "--survey",
        str(survey),
        "--format",
        "json",
    )
    assert people.exit_code == 0, people.stderr
    report = json.loads(people.stdout)
    assert report["raised_by_people"]["value"] == 1.0
    assert report["detection_to_report_hours"]["median"] == pytest.approx(0.5, abs=0.01)
    assert {r["role"] for r in report["role_balance"]["roles"]} == {
        "research",
        "platform",
        "applied",
    }
    assert "Ada" not in people.stdout  # names in the roster are never read into the report
    question = report["pulse"]["questions"][0]
    assert question["withheld"] == ["ml", "ops"]  # ops alone would be all minus ml
    html = run_cli(
        capsys,
        "metrics",
        "people",
        "--db",
        db,
        "--survey",
        str(survey),
        "--format",
        "html",
        "-o",
        str(tmp_path / "p.html"),
    )
    assert html.exit_code == 0
    assert "withheld" in (tmp_path / "p.html").read_text()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("role,capacity\nresearch,lots\n", "roster.csv:2: capacity 'lots' is not a finite number"),
        ("role,capacity\nresearch,nan\n", "not a finite number"),
        ("name\nAda\n", "roster.csv:1: no column role"),
        ("role,capacity\n,1\n", "roster.csv:2: the role is empty"),
    ],
)
def test_bad_rosters_name_their_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(content)
    result = run_cli(
        capsys,
        "metrics",
        "people",
        "--db",
        f"sqlite:///{tmp_path / 'a.db'}",
        "--roster",
        str(roster),
    )
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_citations_and_their_bad_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    questions = _events(tmp_path / "q.jsonl", [{"question": "q1", "relevant": ["a", "b"]}])
    answers = _events(tmp_path / "a.jsonl", [{"question": "q1", "retrieval_ids": ["a", "z"]}])
    result = run_cli(capsys, "llm", "citations", str(questions), str(answers), "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["precision"]["macro"], report["recall"]["macro"]) == (0.5, 0.5)
    (tmp_path / "bad.jsonl").write_text('{"question": "q1", "relevant": "a"}\n')
    bad = run_cli(capsys, "llm", "citations", str(tmp_path / "bad.jsonl"), str(answers))
    assert bad.exit_code == 2
    assert "bad.jsonl:1: relevant: relevant is not a list of chunk ids" in bad.stderr
    (tmp_path / "twice.jsonl").write_text(
        '{"question": "q1", "relevant": []}\n{"question": "q1", "relevant": []}\n'
    )
    twice = run_cli(capsys, "llm", "citations", str(tmp_path / "twice.jsonl"), str(answers))
    assert "twice.jsonl:2: question 'q1' is given twice" in twice.stderr


def test_llm_options_and_price_files_are_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'a.db'}"
    grouped = run_cli(capsys, "metrics", "llm", "--db", db, "--group-by", "model,colour")
    assert grouped.exit_code == 2
    assert "cannot group by colour" in grouped.stderr
    prices = tmp_path / "prices.yaml"
    prices.write_text("currency: EUR\nmodels:\n  - {model: m, input: -1, output: 2}\n")
    priced = run_cli(capsys, "metrics", "llm", "--db", db, "--prices", str(prices))
    assert priced.exit_code == 2
    assert "line 3: models[0].input" in priced.stderr


def test_the_metrics_collector_reads_llm_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    load_plugins()
    db = f"sqlite:///{tmp_path / 'a.db'}"
    responses = [
        {
            "type": "llm_response",
            "id": f"r{n}",
            "time": _recent(n + 1),
            "response_id": f"r{n}",
            "service": "bot",
            "model": "gpt-4o",
            "duration_ms": 100.0 * (n + 1),
        }
        for n in range(3)
    ]
    assert (
        run_cli(
            capsys, "events", "import", str(_events(tmp_path / "r.jsonl", responses)), "--db", db
        ).exit_code
        == 0
    )
    collector, parameters = parse_interface(
        {"kind": "metrics", "metric": "llm_latency_p50", "service": "bot", "window": "1d"}
    )
    store = open_store(DatabaseChoice(db, "test"))
    try:
        traced = collector.collect(parameters, CollectContext(tmp_path, {}, store=store))
    finally:
        store.close()
    assert traced.value == 200.0
    assert traced.metadata["events"] == 3
    assert yaml.safe_dump(traced.metadata)  # plain data, storable as evidence


def test_an_uploaded_spec_reads_only_its_own_targets_figures(tmp_path: Path) -> None:
    from assay.collectors.base import CollectionError
    from assay.collectors.confinement import Allowances, Confinement

    load_plugins()
    confined = Confinement(tmp_path, Allowances(), ())
    store = open_store(DatabaseChoice(f"sqlite:///{tmp_path / 'a.db'}", "test"))
    try:
        for interface in (
            {"kind": "metrics", "metric": "llm_latency_p50", "service": "billing"},
            {"kind": "metrics", "metric": "change_failure_rate"},  # every service
        ):
            collector, parameters = parse_interface(interface)
            context = CollectContext(
                tmp_path, {}, target="bot@3", confinement=confined, store=store
            )
            with pytest.raises(CollectionError, match="its own target only"):
                collector.collect(parameters, context)
        collector, parameters = parse_interface(
            {"kind": "metrics", "metric": "llm_latency_p50", "service": "bot"}
        )
        context = CollectContext(tmp_path, {}, target="bot@3", confinement=confined, store=store)
        with pytest.raises(CollectionError, match="nothing to compute it from"):
            collector.collect(parameters, context)  # allowed: its own (empty) figures
    finally:
        store.close()
