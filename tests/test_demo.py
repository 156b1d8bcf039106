"""``assay demo`` as a newcomer runs it: a real process, twice in the same directory."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.helpers.running import run_process


def test_demo_builds_verifies_and_catches_tampering(tmp_path: Path) -> None:
    demo_dir = tmp_path / "demo"
    for _ in range(2):  # a second run starts afresh instead of piling onto the first
        result = run_process("demo", "--dir", str(demo_dir), env={"ASSAY_HOME": str(tmp_path)})
        assert result.exit_code == 0, result.stderr
        assert "demo complete" in result.stdout
        assert f"Maturity report: {demo_dir / 'maturity-report.html'}" in result.stdout
        assert "credit-model@1: verdict pass, status conformant" in result.stdout
        assert "credit-model@2: verdict fail (failing: fairness)" in result.stdout
    lines = (demo_dir / "ledger.jsonl").read_text(encoding="utf-8").splitlines()
    head = json.loads(lines[0])["head"]["seq"]
    assert len(lines) == head + 1
    assert f"intact: {head} entries" in result.stdout
    entries = [json.loads(line) for line in lines[1:]]
    accuracy = next(
        e for e in entries if e["kind"] == "audit.measurement" and e["payload"]["value"] == 0.842
    )
    assert f"broken at entry {accuracy['seq']}" in result.stdout
    kinds = [e["kind"] for e in entries]
    assert kinds.count("audit.run") == 2
    assert kinds.count("audit.certificate") == 1
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


def test_demo_directory_that_cannot_be_made_is_invalid_input(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run_process("demo", "--dir", str(blocker / "sub"), env={"ASSAY_HOME": str(tmp_path)})
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    assert "cannot create the demo directory" in result.stderr
