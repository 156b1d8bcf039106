"""Every probe on fixture repositories made here: positive, negative and tricky cases, with
the places of their evidence."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assay.catalog.scan import probe_definitions
from assay.scan.probes import load_all
from tests.helpers.repos import make_repo, scan_findings
from tests.scan.cases import CASES, Case


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_probe_outcomes_and_evidence(case: Case, tmp_path: Path) -> None:
    commit = make_repo(tmp_path / "repo", case.files)
    findings = scan_findings(tmp_path / "repo")
    answered = {probe: findings[probe]["outcome"] for probe in case.outcomes}
    assert answered == case.outcomes, {p: findings[p]["automatic"]["reason"] for p in case.outcomes}
    for probe, path, line in case.places:
        places = [(e.get("path"), e.get("start_line")) for e in findings[probe]["evidence"]]
        assert (path, line) in places, (probe, places)
        evidence = next(e for e in findings[probe]["evidence"] if e.get("path") == path)
        assert evidence["commit"] == commit
        assert len(evidence["sha256"]) == 64
    for probe, tools in case.tools.items():
        assert tuple(findings[probe]["tools"]) == tools


def test_every_probe_has_a_definition_a_function_and_cases_both_ways() -> None:
    definitions = {definition.id for definition in probe_definitions()}
    assert definitions == set(load_all())
    yes = {p for case in CASES for p, outcome in case.outcomes.items() if outcome == "yes"}
    other = {p for case in CASES for p, outcome in case.outcomes.items() if outcome != "yes"}
    server = {p for p in definitions if p.startswith("mlflow-") and p != "mlflow-project"}
    # The server probes' yes cases run against a real MLflow server (test_mlflow_probes.py).
    assert definitions - server <= yes, sorted(definitions - server - yes)
    assert definitions <= other, sorted(definitions - other)


def test_evidence_snippet_is_the_line_and_the_digest_is_the_files(tmp_path: Path) -> None:
    make_repo(tmp_path, {"Dockerfile": "# base\nFROM python:3.12\n"})
    evidence = scan_findings(tmp_path)["docker-base-image-pinned"]["evidence"][0]
    assert evidence["snippet"] == "FROM python:3.12"
    import hashlib

    assert evidence["sha256"] == hashlib.sha256(b"# base\nFROM python:3.12\n").hexdigest()


def test_symlinks_are_never_followed_and_odd_files_do_not_stop_the_scan(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "train.py").write_text("import mlflow\nmlflow.start_run()\n")
    repo = tmp_path / "repo"
    make_repo(
        repo,
        {
            "blob.bin": b"\x00\x01mlflow.start_run()",
            "broken.yml": "key: [unclosed\n",
            ".github/workflows/bad.yml": "on: push\njobs: [not, a, mapping]\n",
            "bad.py": 'def broken(:\n    x = """never closed\n',
            "Makefile": "check: check\n\tmake check\n",
            ".github/workflows/loop.yml": (
                "on: push\njobs:\n  a:\n    steps:\n      - run: make check\n"
            ),
        },
    )
    os.symlink(outside / "train.py", repo / "train.py")
    os.symlink(outside, repo / "linked")
    findings = scan_findings(repo)
    assert findings["experiment-tracking-in-code"]["outcome"] == "no"
    assert findings["ci-configured"]["outcome"] == "yes"
    assert findings["ci-runs-tests"]["outcome"] == "no"


def test_two_scans_of_the_same_content_diff_cleanly(tmp_path: Path) -> None:
    files = {**CASES[0].files, **CASES[-3].files}
    make_repo(tmp_path / "a", files)
    first = scan_findings(tmp_path / "a")
    (tmp_path / "a" / "NOTES.txt").write_text("unrelated\n")
    second = scan_findings(tmp_path / "a")
    assert first == second
    ids = [f["id"] for f in first.values()]
    assert ids == sorted(ids)


def test_the_guide_describes_every_probe() -> None:
    from tests.helpers.paths import REPO

    guide = (REPO / "docs" / "scan.md").read_text(encoding="utf-8")
    for definition in probe_definitions():
        assert f"\n### {definition.id}\n" in guide, definition.id
        assert definition.remediation in guide, definition.id


def test_hostile_files_are_skipped_not_fatal(tmp_path: Path) -> None:
    bomb = "on: push\na: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(9)
    )
    make_repo(
        tmp_path,
        {
            ".github/workflows/bomb.yml": bomb + "jobs:\n  t:\n    steps:\n      - run: pytest\n",
            "notebook.ipynb": "[" * 5000 + "]" * 5000,
            "Jenkinsfile": "sh '''" * 30_000,
            "big.py": "import mlflow\nmlflow.start_run()\n" + "#" * 1_100_000,
        },
    )
    findings = scan_findings(tmp_path)
    # The bomb is refused by the strict loader, so its job is not read at all.
    assert findings["ci-configured"]["outcome"] == "no"
    # Files over 1 MB are not read as text.
    assert findings["experiment-tracking-in-code"]["outcome"] == "no"
