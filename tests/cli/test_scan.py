"""``assay scan`` from the command line: formats, overrides as ledger entries, scanned rounds
in the maturity history, answers beside the evidence, and bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.repos import make_repo
from tests.helpers.running import Result, run_cli, run_process
from tests.scan.cases import CASES

REPO_FILES = {
    **CASES[0].files,
    "deploy/Dockerfile": "FROM python:3.12-slim\n",
    "src/train.py": "# mlflow.start_run() one day\nprint('train')\n",
    "README.md": "We track experiments with MLflow <script>alert(1)</script>.\n",
}
ANSWERS = """\
framework: iml4e
project: fixture
answers:
  "12": 3
  "26": 1
  "29": 2
"""


def assert_invalid(result: Result, *fragments: str) -> None:
    assert result.exit_code == 2, result
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    make_repo(tmp_path / "fixture", REPO_FILES)
    return tmp_path / "fixture"


def _scan(capsys: pytest.CaptureFixture[str], repo: Path, *args: str) -> dict[str, Any]:
    result = run_cli(capsys, "scan", str(repo), "-f", "json", *args)
    assert result.exit_code == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def _ledger_size(capsys: pytest.CaptureFixture[str]) -> int:
    result = run_cli(capsys, "ledger", "list", "-f", "json")
    return len(json.loads(result.stdout)) if result.exit_code == 0 else 0


def test_scan_json_in_a_subprocess_has_every_contracted_key(repo: Path) -> None:
    result = run_process("scan", str(repo), "--format", "json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["schema"] == "assay.scan/1"
    assert document["project"] == "fixture"
    assert set(document["frameworks"]) == {"iml4e", "marvelous", "ml-test-score"}
    assert len(document["capabilities"]) == 18
    for capability in document["capabilities"].values():
        assert capability["present"] in (True, False, None)
        assert isinstance(capability["tools"], list)
        assert isinstance(capability["evidence"], list)
    assert document["capabilities"]["ci-cd-pipelines"]["present"] is True
    assert document["capabilities"]["ci-cd-pipelines"]["tools"] == ["github-actions"]
    # Not in the code, and no server was read: not observed, rather than missing.
    assert document["capabilities"]["experiment-tracking"]["present"] is None
    assert document["capabilities"]["feature-provision-reuse"]["present"] is False
    assert sum(document["summary"].values()) == len(document["findings"])
    only = json.loads(
        run_process("scan", str(repo), "-f", "json", "--framework", "marvelous").stdout
    )
    assert list(only["frameworks"]) == ["marvelous"]


def test_the_scan_makes_no_request_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], repo: Path, assay_home: Path
) -> None:
    _scan(capsys, repo)
    assert not assay_home.exists()


def test_overrides_show_beside_the_automatic_answer_and_stale_ones_are_flagged(
    capsys: pytest.CaptureFixture[str], repo: Path, assay_home: Path
) -> None:
    def override(probe: str, reason: str, expires: str) -> Result:
        return run_cli(
            capsys, "scan", "override", probe, "--reason", reason, "--by", "alice",
            "--justification", "checked by hand", "--expires", expires, "--project", "fixture",
        )  # fmt: skip

    assert override("docker-base-image-pinned", "remediated", "2099-01-01").exit_code == 0
    assert override("codeowners", "not-detected", "2020-01-01").exit_code == 0
    assert override("ci-runs-tests", "remediated", "2099-01-01").exit_code == 0
    document = _scan(capsys, repo)
    findings = {f["id"]: f for f in document["findings"]}
    pinned = findings["docker-base-image-pinned"]
    assert (pinned["outcome"], pinned["automatic"]["outcome"]) == ("yes", "no")
    assert pinned["override"]["by"] == "alice"
    assert pinned["override"]["seq"] >= 1
    assert findings["codeowners"]["outcome"] == "no"  # expired: not applied
    assert [o["probe"] for o in document["overrides"]["expired"]] == ["codeowners"]
    unused = document["overrides"]["unused"]
    assert [(o["probe"], o["why"]) for o in unused] == [
        ("ci-runs-tests", "the automatic answer is already yes")
    ]
    table = run_cli(capsys, "scan", str(repo))
    assert "override remediated by alice" in table.stdout
    assert "expired override of codeowners" in table.stdout
    listed = json.loads(
        run_cli(capsys, "scan", "overrides", "--project", "fixture", "-f", "json").stdout
    )
    assert [(o["probe"], o["expired"]) for o in listed] == [
        ("docker-base-image-pinned", False),
        ("codeowners", True),
        ("ci-runs-tests", False),
    ]
    size = _ledger_size(capsys)
    assert_invalid(override("no-such-probe", "remediated", "2099-01-01"), "no-such-probe")
    assert_invalid(override("codeowners", "remediated", "next week"), "--expires", "YYYY-MM-DD")
    assert_invalid(override("codeowners", "because", "2099-01-01"), "because")
    assert _ledger_size(capsys) == size
    # Another project's overrides do not apply.
    other = _scan(capsys, repo, "--project", "other")
    assert all(f["override"] is None for f in other["findings"])


def test_a_scan_saved_as_a_round_sits_beside_answered_rounds(
    capsys: pytest.CaptureFixture[str], repo: Path, assay_home: Path, tmp_path: Path
) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text(ANSWERS)
    saved = run_cli(
        capsys, "maturity", "save", str(answers), "--project", "fixture", "--round", "q1"
    )
    assert saved.exit_code == 0, saved.stderr
    scanned = run_cli(capsys, "scan", str(repo), "--round", "scan-1", "-f", "json")
    assert scanned.exit_code == 0, scanned.stderr
    assert "saved the scan as round 'scan-1'" in scanned.stderr
    history = json.loads(
        run_cli(capsys, "maturity", "history", "--project", "fixture", "-f", "json").stdout
    )
    assert [r["round"] for r in history["rounds"]] == ["q1", "scan-1"]
    scan_round = history["rounds"][1]["areas"]
    assert scan_round["people"] is None  # the evidence reaches no people topic
    size = _ledger_size(capsys)
    again = run_cli(capsys, "scan", str(repo), "--round", "scan-1")
    assert_invalid(again, "already has a round 'scan-1'")
    assert _ledger_size(capsys) == size
    rubric = run_cli(capsys, "scan", str(repo), "--round", "s2", "--framework", "ml-test-score")
    assert_invalid(rubric, "iml4e or marvelous")


def test_answers_beside_the_evidence_show_conflicts_as_discussions(
    capsys: pytest.CaptureFixture[str], repo: Path, tmp_path: Path
) -> None:
    scan_file = tmp_path / "scan.json"
    assert run_cli(capsys, "scan", str(repo), "-f", "json", "-o", str(scan_file)).exit_code == 0
    answers = tmp_path / "answers.yaml"
    answers.write_text(ANSWERS)
    result = run_cli(
        capsys, "maturity", "score", str(answers), "--evidence", str(scan_file), "-f", "json"
    )
    assert result.exit_code == 0, result.stderr
    evidence = json.loads(result.stdout)["evidence"]
    items = {item["id"]: item for item in evidence["items"]}
    tracking = items["12"]
    assert (tracking["answered"], tracking["suggested"], tracking["ceiling"]) == (3, None, 1)
    assert tracking["conflict"] is True
    assert tracking["message"].startswith(
        "answered level 3 for tracking of experiments; the evidence allows at most 1: "
        "experiment-tracking-in-code: no tracking calls in code"
    )
    assert items["26"]["conflict"] is False
    assert items["26"]["suggested"] == 1
    assert evidence["conflicts"] == [i["message"] for i in evidence["items"] if i["conflict"]]
    page = tmp_path / "report.html"
    html = run_cli(
        capsys,
        "maturity",
        "score",
        str(answers),
        "--evidence",
        str(scan_file),
        "-f",
        "html",
        "-o",
        str(page),
    )
    assert html.exit_code == 0, html.stderr
    text = page.read_text()
    assert 'id="evidence-conflicts"' in text
    assert "answered level 3 for tracking" in text
    assert text.count('data-capability="') == 18
    markdown = run_cli(
        capsys, "maturity", "score", str(answers), "--evidence", str(scan_file), "-f", "markdown"
    )
    assert "## Discussions to have: answers the evidence contradicts" in markdown.stdout
    bogus = tmp_path / "bogus.json"
    bogus.write_text('{"schema": "something else"}')
    assert_invalid(
        run_cli(capsys, "maturity", "score", str(answers), "--evidence", str(bogus)),
        "bogus.json",
        "not a scan document",
    )
    narrow = tmp_path / "narrow.json"
    run_cli(capsys, "scan", str(repo), "-f", "json", "--framework", "marvelous", "-o", str(narrow))
    assert_invalid(
        run_cli(capsys, "maturity", "score", str(answers), "--evidence", str(narrow)),
        "did not pre-fill 'iml4e'",
    )


def test_html_report_escapes_repository_text_and_draws_the_map(
    capsys: pytest.CaptureFixture[str], repo: Path, tmp_path: Path
) -> None:
    (repo / "MODEL_CARD.md").write_text("# <script>alert(1)</script>\n## Intended use\nx\n")
    page = tmp_path / "scan.html"
    assert run_cli(capsys, "scan", str(repo), "-f", "html", "-o", str(page)).exit_code == 0
    text = page.read_text()
    assert "<script>" not in text
    assert "&lt;script&gt;" in text
    assert text.count('data-capability="') == 18
    assert 'id="finding-ci-runs-tests"' in text


def test_bad_input_gets_one_message_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert_invalid(
        run_cli(capsys, "scan", str(tmp_path / "missing")), "missing", "no such directory"
    )
    (tmp_path / "file.txt").write_text("x")
    assert_invalid(run_cli(capsys, "scan", str(tmp_path / "file.txt")), "not a directory")
    assert_invalid(
        run_cli(capsys, "scan", str(tmp_path), "--mlflow", "ftp://host/x"), "--mlflow", "http(s)"
    )
    assert_invalid(run_cli(capsys, "scan", str(tmp_path), "--project", "bad\x1b[31m"), "--project")


def test_credentials_in_the_mlflow_url_never_reach_the_output(
    capsys: pytest.CaptureFixture[str], repo: Path
) -> None:
    from tests.helpers.server import free_port

    url = f"http://reader:s3cret-token@127.0.0.1:{free_port()}"
    result = run_cli(capsys, "scan", str(repo), "--mlflow", url, "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert "s3cret-token" not in result.stdout + result.stderr
    document = json.loads(result.stdout)
    assert document["mlflow"]["uri"].startswith("http://127.0.0.1:")
    assert document["mlflow"]["error"]
