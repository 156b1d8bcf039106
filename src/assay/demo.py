"""``assay demo``: a guided tour of what assay can do so far, on a throw-away SQLite store."""

from __future__ import annotations

import shutil
from importlib.resources import as_file, files
from pathlib import Path

from rich.console import Console

from assay.config import DatabaseChoice
from assay.demo_audit import audit_step
from assay.errors import ConfigurationError
from assay.files.answers import load_assessment
from assay.maturity.scoring import LevelScore
from assay.reports.maturity_report import maturity_report
from assay.reports.maturity_terminal import history_table
from assay.store import Store, open_store
from assay.store.chain import VerificationResult
from assay.store.ledger_file import export_ledger, verify_export
from assay.store.rounds import load_history, save_round

__all__ = ["DEMO_PROJECT", "DEMO_ROUNDS", "run_demo"]

DEMO_DATABASE = "assay.db"
DEMO_PROJECT = "credit-scoring"
# The example team assessment shipped in assay/examples/maturity: round label → answers file.
DEMO_ROUNDS = {
    "2026-Q1": "credit-scoring-2026-q1.yaml",
    "2026-Q3": "credit-scoring-2026-q3.yaml",
}
MATURITY_REPORT = "maturity-report.html"


def run_demo(directory: Path, console: Console, program: str = "assay") -> bool:
    """Create a fresh store in ``directory``; score the example team's two assessment rounds,
    save them and write their reports; run the example audit specification on a champion and
    a biased candidate model, certify the champion and write the audit reports; verify the
    ledger in the database and as an exported file, and show that a tampered copy is caught.
    ``program`` is how the closing hints spell the command. Returns True when every check came
    out as expected."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigurationError(
            f"cannot create the demo directory ({error.strerror})", source=str(directory)
        ) from error
    database_path = directory / DEMO_DATABASE
    for leftover in (database_path, *(Path(f"{database_path}{s}") for s in ("-wal", "-shm"))):
        leftover.unlink(missing_ok=True)

    console.rule("[bold]assay demo")
    console.print(f"1. Creating a store: SQLite file {database_path} (schema by migration)")
    store = open_store(DatabaseChoice(f"sqlite:///{database_path}", "demo"))
    try:
        console.print(f"   schema revision {store.schema.current}\n")
        report_path, rounds_ok = _maturity(store, directory, console, program)
        console.print()
        audited = audit_step(store, directory, console, program)
        tampered_seq = next(
            entry.seq
            for entry in store.ledger.entries(kind="audit.measurement")
            if entry.payload
            and entry.payload.get("run_id") == audited.champion.model["run_id"]
            and entry.payload.get("element") == "accuracy"
        )

        console.print(f"\n4. Verifying the ledger in the database ({store.ledger.count()} entries)")
        in_database = store.ledger.verify()
        _report(console, in_database)

        export_path = directory / "ledger.jsonl"
        console.print(f"\n5. Exporting it to {export_path} and verifying the file offline")
        with export_path.open("w", encoding="utf-8") as stream:
            export_ledger(store.ledger, stream)
        offline = verify_export(export_path)
        _report(console, offline)
    finally:
        store.close()

    tampered_path = directory / "ledger-tampered.jsonl"
    console.print(
        f"\n6. Tampering with a copy ({tampered_path}): the champion's accuracy 0.842 becomes 0.95"
    )
    text = export_path.read_text(encoding="utf-8")
    tampered_path.write_text(text.replace('"value":0.842', '"value":0.95', 1), encoding="utf-8")
    caught = verify_export(tampered_path)
    _report(console, caught)

    as_expected = (
        rounds_ok
        and audited.as_expected
        and in_database.ok
        and offline.ok
        and not caught.ok
        and caught.problem is not None
        and caught.problem.seq == tampered_seq
    )
    console.rule()
    console.print(
        "[bold green]demo complete[/]: two assessment rounds reported, the champion certified, "
        "the biased candidate refused, the ledger verified, and the tampered copy caught"
        if as_expected
        else "[bold red]demo failed[/]: a check did not come out as expected"
    )
    console.print(f"Maturity report: {report_path}")
    for path in audited.reports:
        console.print(f"Audit report:    {path}")
    console.print(f"Try: {program} audit status --db sqlite:///{database_path}")
    console.print(f"     {program} ledger verify --file {tampered_path}")
    return as_expected


def _maturity(store: Store, directory: Path, console: Console, program: str) -> tuple[Path, bool]:
    """Step 2: the example team's rounds, saved, compared and reported."""
    console.print(
        f"2. Maturity self-assessment of project {DEMO_PROJECT!r}: three respondents, "
        f"{len(DEMO_ROUNDS)} rounds (IML4E framework)"
    )
    copies = []
    examples = files("assay").joinpath("examples", "maturity")
    for label, name in DEMO_ROUNDS.items():
        copy = directory / name
        with as_file(examples.joinpath(name)) as source:
            shutil.copyfile(source, copy)
        copies.append(copy)
        assessment = load_assessment(copy)
        score = assessment.score()
        entry = save_round(store.ledger, assessment, score, project=DEMO_PROJECT, label=label)
        assert isinstance(score, LevelScore)
        console.print(
            f"   {label}: {copy.name} → overall level {score.overall} ({score.overall_name}), "
            f"{len(score.disputed)} topics to discuss; saved as ledger entry {entry.seq}"
        )
    history = load_history(store.ledger, DEMO_PROJECT, "iml4e")
    console.print(history_table(history))
    latest = load_assessment(copies[-1])
    score = latest.score()
    report_path = directory / MATURITY_REPORT
    markdown_path = report_path.with_suffix(".md")
    report_path.write_text(maturity_report(latest, score, "html", history=history), "utf-8")
    markdown_path.write_text(maturity_report(latest, score, "markdown", history=history), "utf-8")
    console.print(f"   reports: {report_path} and {markdown_path.name}")
    console.print(f"   (yours: {program} maturity assess --framework iml4e)")
    rounds_ok = [r.overall for r in history.rounds] == [0, 1]
    return report_path, rounds_ok


def _report(console: Console, result: VerificationResult) -> None:
    if result.problem is None:
        console.print(
            f"   [green]intact[/]: {result.entries} entries, head {result.head.seq} "
            f"{result.head.hash}"
        )
    else:
        console.print(f"   [red]broken at entry {result.problem.seq}[/]: {result.problem.reason}")
