"""``assay maturity assess``: the questionnaire driven through a real pseudo-terminal."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

import pexpect
import pytest
import yaml

from tests.helpers.frameworks import write_user_framework
from tests.helpers.running import run_cli

LEVEL_PROMPT = r"Answer \[0-4, s, b, q, \?\]: "
YES_NO_PROMPT = r"Answer \[y/n, s, b, q, \?\]: "
EVIDENCE_PROMPT = r"Evidence \(optional; Enter to [a-z ]+; s, b, q, \?\): "


def start(tmp_path: Path, *args: str) -> pexpect.spawn[str]:
    """``assay maturity assess ARGS`` in a real pseudo-terminal, in ``tmp_path``."""
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "140", "TERM": "dumb"}
    return pexpect.spawn(
        sys.executable,
        ["-m", "assay", "maturity", "assess", *args],
        cwd=str(tmp_path),
        env=env,
        encoding="utf-8",
        timeout=30,
        dimensions=(50, 140),
        preexec_fn=_default_interrupt,
    )


def _default_interrupt() -> None:
    """Ctrl-C reaches the child as a terminal's would, even when this test runs in a background
    job, where the shell starts everything with SIGINT ignored (and Python keeps ignoring it)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def finish(child: pexpect.spawn[str]) -> int:
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus is not None, "the process should exit, not die of a signal"
    return child.exitstatus


def read(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_answers_are_kept_when_interrupted_and_resumed_later(tmp_path: Path) -> None:
    child = start(tmp_path, "--framework", "ai-first", "-o", "af.yaml", "--project", "credit")
    child.expect("question 1 of 4")
    child.expect("Initial")  # the descriptors are shown with the scale's level names
    child.expect(LEVEL_PROMPT)
    child.sendline("2")
    child.expect(EVIDENCE_PROMPT)
    child.sendline("CI pipeline for every model")
    child.expect("question 2 of 4 \\(1 answered\\)")
    child.expect(LEVEL_PROMPT)
    child.sendline("s")
    child.expect("question 3 of 4")
    child.expect(LEVEL_PROMPT)
    child.sendline("7")
    child.expect("'7' is not an answer here: type a level from 0 to 4")
    child.expect(LEVEL_PROMPT)
    child.sendline("b")
    child.expect("question 2 of 4")
    child.expect(LEVEL_PROMPT)
    child.sendline("3")
    child.expect(EVIDENCE_PROMPT)
    child.sendline("")
    child.expect("question 3 of 4 \\(2 answered\\)")
    child.expect(LEVEL_PROMPT)
    child.sendintr()
    child.expect("interrupted: 2 answer\\(s\\) are saved in af.yaml")
    assert finish(child) == 130
    data = read(tmp_path / "af.yaml")
    assert data["project"] == "credit"
    assert data["answers"] == {
        "process": {"level": 2, "evidence": "CI pipeline for every model"},
        "platform": 3,
        "team": None,
        "product": None,
    }

    resumed = start(tmp_path, "-o", "af.yaml")
    # Only what is still open, numbered within the whole framework.
    resumed.expect("question 3 of 4 \\(2 answered\\)")
    resumed.expect("Competencies")
    resumed.expect(LEVEL_PROMPT)
    resumed.sendline("1")
    resumed.expect(EVIDENCE_PROMPT)
    resumed.sendline("")
    resumed.expect(LEVEL_PROMPT)
    resumed.sendline("s")
    resumed.expect("1 question\\(s\\) are unanswered. Go through them again\\? \\[y/n, q, \\?\\]: ")
    resumed.sendline("y")
    resumed.expect("question 4 of 4 \\(3 answered\\)")
    resumed.expect(LEVEL_PROMPT)
    resumed.sendline("4")
    resumed.expect(EVIDENCE_PROMPT)
    resumed.sendline("")
    resumed.expect("4 of 4 answered, saved in af.yaml")
    resumed.expect("Overall level 1: Emerging")
    assert finish(resumed) == 0
    data = read(tmp_path / "af.yaml")
    assert data["answers"]["team"] == 1
    assert data["answers"]["process"]["evidence"] == "CI pipeline for every model"
    scored = run_cli_process(tmp_path, "score", "af.yaml")
    assert "Overall level 1" in scored


@pytest.mark.parametrize("stop", ["interrupt", "end of input", "q"])
def test_a_level_is_kept_when_stopped_at_its_evidence_prompt(tmp_path: Path, stop: str) -> None:
    child = start(tmp_path, "--framework", "ai-first", "-o", "af.yaml")
    child.expect(LEVEL_PROMPT)
    child.sendline("3")
    child.expect(EVIDENCE_PROMPT)
    if stop == "interrupt":
        child.sendintr()
        child.expect("interrupted: 1 answer\\(s\\) are saved in af.yaml")
        assert finish(child) == 130
    elif stop == "end of input":
        child.sendeof()
        child.expect("1 of 4 answered")
        assert finish(child) == 0
    else:
        child.sendline("q")
        child.expect("1 of 4 answered")
        assert finish(child) == 0
    assert read(tmp_path / "af.yaml")["answers"]["process"] == 3


def test_commands_act_at_the_evidence_prompt(tmp_path: Path) -> None:
    child = start(tmp_path, "--framework", "ai-first", "-o", "af.yaml")
    child.expect(LEVEL_PROMPT)
    child.sendline("2")
    child.expect(EVIDENCE_PROMPT)
    child.sendline("?")
    child.expect("they work at every prompt")
    child.expect(EVIDENCE_PROMPT)
    child.sendline("s")
    child.expect("question 2 of 4 \\(1 answered\\)")
    child.expect(LEVEL_PROMPT)
    child.sendline("1")
    child.expect(EVIDENCE_PROMPT)
    child.sendline("b")
    child.expect("question 1 of 4 \\(2 answered\\)")
    child.expect(LEVEL_PROMPT)
    child.sendline("q")
    assert finish(child) == 0
    answers = read(tmp_path / "af.yaml")["answers"]
    assert (answers["process"], answers["platform"]) == (2, 1), "no command became evidence"


def run_cli_process(tmp_path: Path, *args: str) -> str:
    child = pexpect.spawn(
        sys.executable, ["-m", "assay", "maturity", *args], cwd=str(tmp_path), encoding="utf-8"
    )
    output = child.read()
    assert finish(child) == 0, output
    return output


def test_two_respondents_answer_a_checklist_into_one_file(tmp_path: Path) -> None:
    ann = start(tmp_path, "--framework", "marvelous", "-o", "team.yaml", "--respondent", "Ann")
    ann.expect("question 1 of 56")
    ann.expect(YES_NO_PROMPT)
    ann.sendline("y")
    ann.expect(EVIDENCE_PROMPT)
    ann.sendline("README in every repo")
    ann.expect(YES_NO_PROMPT)
    ann.sendline("no")
    ann.expect(EVIDENCE_PROMPT)
    ann.sendline("")
    ann.expect(YES_NO_PROMPT)
    ann.sendline("q")
    ann.expect("2 of 56 answered, saved in team.yaml")
    assert finish(ann) == 0

    bob = start(tmp_path, "-o", "team.yaml", "--respondent", "Bob")
    bob.expect(YES_NO_PROMPT)
    bob.sendline("maybe")
    bob.expect("'maybe' is not an answer here: type y or n")
    bob.expect(YES_NO_PROMPT)
    bob.sendline("n")
    bob.expect(EVIDENCE_PROMPT)
    bob.sendline("")
    bob.expect(YES_NO_PROMPT)
    bob.sendeof()  # Ctrl-D: stop and keep the answers, like q
    bob.expect("1 of 56 answered")
    assert finish(bob) == 0

    data = read(tmp_path / "team.yaml")
    people = {person["name"]: person["answers"] for person in data["respondents"]}
    assert list(people) == ["Ann", "Bob"]
    assert people["Ann"]["1.1.1"] == {"answer": True, "evidence": "README in every repo"}
    assert people["Ann"]["1.1.2"] is False
    assert people["Bob"]["1.1.1"] is False
    assert sum(value is not None for value in people["Bob"].values()) == 1


def test_assess_refuses_what_it_cannot_resume(
    capsys: pytest.CaptureFixture[str], assay_home: Path, tmp_path: Path
) -> None:
    nothing = run_cli(capsys, "maturity", "assess")
    assert nothing.exit_code == 2
    assert "--framework ID for a new assessment, or -o FILE to resume one" in nothing.stderr

    missing = run_cli(capsys, "maturity", "assess", "-o", str(tmp_path / "none.yaml"))
    assert missing.exit_code == 2
    assert "none.yaml: no such file to resume" in missing.stderr

    team = tmp_path / "team.yaml"
    team.write_text(
        "framework: iml4e\nrespondents:\n  - {name: A, answers: {}}\n  - {name: B, answers: {}}\n",
        encoding="utf-8",
    )
    before = team.read_bytes()
    several = run_cli(capsys, "maturity", "assess", "-o", str(team))
    assert several.exit_code == 2
    assert "holds the answers of A, B; expected --respondent NAME" in several.stderr
    other = run_cli(capsys, "maturity", "assess", "-o", str(team), "--framework", "marvelous")
    assert other.exit_code == 2
    assert "team.yaml: the file is an assessment of 'iml4e', not of 'marvelous'" in other.stderr
    assert team.read_bytes() == before

    scale = run_cli(capsys, "maturity", "assess", "--framework", "microsoft")
    assert scale.exit_code == 2
    assert "only names levels" in scale.stderr


def test_a_users_framework_file_is_named_by_its_path_so_the_file_resumes(
    capsys: pytest.CaptureFixture[str], assay_home: Path, tmp_path: Path
) -> None:
    write_user_framework(tmp_path / "ours.yaml")
    (tmp_path / "answers").mkdir()
    child = start(tmp_path, "--framework", "ours.yaml", "-o", "answers/ours.yaml")
    child.expect("Lineage")
    child.expect(LEVEL_PROMPT)
    child.sendline("3")
    child.expect(EVIDENCE_PROMPT)
    child.sendline("")
    child.expect("Overall level 3: Automated Model Deployment")
    assert finish(child) == 0
    assert read(tmp_path / "answers" / "ours.yaml")["framework"] == "../ours.yaml"
    again = start(tmp_path, "-o", "answers/ours.yaml")
    again.expect("Every question is answered already; use --all to go through them again.")
    assert finish(again) == 0
    result = run_cli(capsys, "maturity", "score", str(tmp_path / "answers" / "ours.yaml"))
    assert "Overall level 3" in result.stdout
