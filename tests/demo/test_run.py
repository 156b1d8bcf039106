"""``assay demo`` as a newcomer runs it: a real process, twice in the same directory."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.helpers.running import run_process


def test_demo_builds_verifies_and_catches_tampering(tmp_path: Path) -> None:
    from mlflow.tracking import MlflowClient

    demo_dir = tmp_path / "build" / "demo"
    # A second run starts afresh instead of piling onto the first; it names the directory as
    # make demo does, relative to the working directory.
    for named in (str(demo_dir), "build/demo"):
        result = run_process(
            "demo", "--dir", named, env={"ASSAY_HOME": str(tmp_path)}, cwd=tmp_path
        )
        assert result.exit_code == 0, result.stderr
        assert "demo complete" in result.stdout
        assert result.stderr == "", "MLflow's logs and progress bars stay quiet"
        assert f"Maturity report: {demo_dir / 'maturity-report.html'}" in result.stdout
        assert "credit-scoring@1: verdict pass" in result.stdout
        assert "credit-scoring@2: verdict fail (performance pass, fairness fail" in result.stdout
        assert "champion: promoted" in result.stdout
        assert "champion: refused" in result.stdout
        assert "production: rolled_back" in result.stdout
    lines = (demo_dir / "ledger.jsonl").read_text(encoding="utf-8").splitlines()
    head = json.loads(lines[0])["head"]["seq"]
    assert len(lines) == head + 1
    assert f"intact: {head} entries" in result.stdout
    entries = [json.loads(line) for line in lines[1:]]
    runs = [e["payload"] for e in entries if e["kind"] == "audit.run"]
    assert [(r["target"], r["verdict"]) for r in runs] == [
        ("credit-scoring@1", "pass"),
        ("credit-scoring@2", "fail"),
        ("support-assistant@1", "pass"),
        ("support-assistant@2", "pass"),
        ("support-assistant@3", "pass"),
    ]
    auc = next(
        e
        for e in entries
        if e["kind"] == "audit.measurement"
        and e["payload"]["element"] == "roc-auc"
        and e["payload"]["run_id"] == runs[0]["run_id"]
    )
    assert auc["payload"]["source"].startswith("mlflow:models:/credit-scoring")
    assert f"broken at entry {auc['seq']}" in result.stdout
    decisions = [e["payload"] for e in entries if e["kind"] == "mlflow.alias"]
    assert [(d["action"], d["alias"], d["version"]) for d in decisions] == [
        ("promoted", "champion", "1"),
        ("refused", "champion", "1"),
        ("rolled_back", "production", "1"),
        ("rolled_back", "champion", "2"),  # the P1 alert of the LLM assistant
    ]
    kinds = [e["kind"] for e in entries]
    assert kinds.count("audit.certificate") == 1
    # The paper's closing case: two P3 signals, one P1 correlation; rollback and review done.
    opened = [e["payload"] for e in entries if e["kind"] == "alert.opened"]
    assert sorted(a["class"] for a in opened) == ["P1", "P3", "P3"]
    assert "search-downvotes" not in {a["rule"] for a in opened}
    done = [
        (e["payload"]["action"], e["payload"]["outcome"])
        for e in entries
        if e["kind"] == "alert.action"
    ]
    assert done == [("rollback", "done"), ("review", "done")]
    assert kinds.count("alert.review") == 1
    assert "support-assistant@champion is now version 2" in result.stdout
    # 90 days of generated delivery and ML events, measured and recorded with their digest.
    snapshots = [e["payload"] for e in entries if e["kind"] == "metrics.snapshot"]
    assert [s["metrics"] for s in snapshots] == ["dora", "ml", "llm"]
    assert snapshots[0]["events"]["count"] > 300
    assert f"Metrics report:  {demo_dir / 'metrics-dora.html'}" in result.stdout
    assert "credit-api" in result.stdout
    page = (demo_dir / "metrics-dora.html").read_text(encoding="utf-8")
    assert "scoring-batch" in page
    assert "<svg" in page
    for name in (
        "champion-executive",
        "champion-auditor",
        "candidate-executive",
        "candidate-auditor",
    ):
        report = (demo_dir / f"audit-{name}.html").read_text(encoding="utf-8")
        assert "Verdict: " + ("PASS" if "champion" in name else "FAIL") in report
    rounds = [json.loads(line) for line in lines[1:3]]
    assert [(r["kind"], r["payload"]["round"]) for r in rounds] == [
        ("maturity.round", "2026-Q1"),
        ("maturity.round", "2026-Q3"),
    ]
    assert {len(r["payload"]["respondents"]) for r in rounds} == {3}
    assert [r["payload"]["scores"]["overall"] for r in rounds] == [0, 1]
    html = (demo_dir / "maturity-report.html").read_text(encoding="utf-8")
    assert re.findall(r'id="(series-\d+)"', html) == ["series-0", "series-1"]
    assert "<th>2026-Q1</th><th>2026-Q3</th><th>Change</th>" in html
    assert (demo_dir / "maturity-report.md").read_text(encoding="utf-8").startswith("# MLOps")
    # The registry holds the verdicts.
    uri = f"sqlite:///{demo_dir / 'mlflow' / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    assert str(client.get_model_version_by_alias("credit-scoring", "champion").version) == "1"
    assert str(client.get_model_version_by_alias("credit-scoring", "production").version) == "1"
    tags = {v: client.get_model_version("credit-scoring", v).tags for v in ("1", "2")}
    assert (tags["1"]["assay.verdict"], tags["2"]["assay.verdict"]) == ("pass", "fail")
    assert tags["2"]["assay.report"].endswith("audit-candidate-auditor.html")


def test_a_failing_step_is_named_with_its_reason(tmp_path: Path) -> None:
    demo_dir = tmp_path / "demo"
    demo_dir.mkdir()
    (demo_dir / "mlflow").write_text("a file where the MLflow store goes")
    (demo_dir / "credit-scoring").mkdir()
    result = run_process("demo", "--dir", str(demo_dir), env={"ASSAY_HOME": str(tmp_path)})
    assert result.exit_code == 4
    assert "demo failed at step 4 (MLflow: logging and registering both versions" in result.stdout
    assert "failed: " not in result.stdout.split("demo failed at")[1], "said once"
    assert "Traceback" not in result.stdout + result.stderr


def test_demo_directory_that_cannot_be_made_is_invalid_input(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run_process("demo", "--dir", str(blocker / "sub"), env={"ASSAY_HOME": str(tmp_path)})
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    assert "cannot create the demo directory" in result.stderr
