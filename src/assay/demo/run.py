"""``assay demo``: a guided tour of assay on a throw-away SQLite store and a local MLflow store,
without network: maturity rounds, two model versions audited and gated, 90 days of delivery
and ML life-cycle events measured, the ledger verified."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib.resources import as_file, files
from pathlib import Path

from rich.console import Console

from assay.demo.alerts import llm_alert_step
from assay.demo.audit import AuditDemo, audit_step, data_step, registry_step
from assay.demo.events import demo_events
from assay.errors import AssayError, ConfigurationError
from assay.files.answers import load_assessment
from assay.integrations.optional import require_mlflow
from assay.maturity.scoring import LevelScore
from assay.metrics.windows import window_of
from assay.reports.maturity_report import maturity_report
from assay.reports.maturity_terminal import history_table
from assay.reports.metrics_report import dora_html, dora_table, ml_html, ml_table
from assay.services.events import checked_events, ingest
from assay.services.metrics import DoraQuery, dora_report, ml_report, record_snapshot
from assay.store import Store, open_store
from assay.store.chain import VerificationResult
from assay.store.config import DatabaseChoice
from assay.store.ledger_file import export_ledger, verify_export
from assay.store.rounds import load_history, save_round
from assay.store.tokens import Role, create_token

__all__ = ["DEMO_PROJECT", "DEMO_ROUNDS", "DemoStepError", "run_demo"]

DEMO_DATABASE = "assay.db"
DEMO_PROJECT = "credit-scoring"
# The example team assessment shipped in assay/examples/maturity: round label → answers file.
DEMO_ROUNDS = {
    "2026-Q1": "credit-scoring-2026-q1.yaml",
    "2026-Q3": "credit-scoring-2026-q3.yaml",
}
MATURITY_REPORT = "maturity-report.html"


class DemoStepError(Exception):
    """A step of the demo failed: which one, and why."""

    def __init__(self, number: int, title: str, reason: str) -> None:
        super().__init__(f"step {number} ({title}): {reason}")
        self.number, self.title, self.reason = number, title, reason


@contextmanager
def _step(console: Console, number: int, title: str) -> Iterator[None]:
    """Print the step's title; turn anything that goes wrong in it into a
    :class:`DemoStepError` naming the step."""
    console.print(f"\n{number}. {title}")
    try:
        yield
    except AssayError as error:
        raise DemoStepError(number, title, error.message) from error
    except Exception as error:
        raise DemoStepError(number, title, f"{type(error).__name__}: {error}") from error


def run_demo(directory: Path, console: Console, program: str = "assay") -> bool:
    """Create a fresh store in ``directory``; score the example team's two assessment rounds,
    save them and write their reports; generate seeded credit data, train a fair and a biased
    model, log and register both in a local MLflow store, audit each version against the
    example specification, gate the champion and production aliases on the verdicts, certify
    the fair version and write the audit reports; generate 90 days of delivery and ML events and
    report their DORA and ML figures; verify the ledger in the database and as an
    exported file, and show that a tampered copy is caught. ``program`` is how the closing
    hints spell the command. Returns True when every check came out as expected; a step that
    fails is named with its reason."""
    require_mlflow("the demo (it registers its models in a local MLflow store)")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigurationError(
            f"cannot create the demo directory ({error.strerror})", source=str(directory)
        ) from error
    directory = directory.resolve()  # MLflow's artifact location must be an absolute file URI
    started = time.monotonic()
    console.rule("[bold]assay demo")
    try:
        outcome = _run_steps(directory, console, program)
    except DemoStepError as failure:
        console.rule()
        console.print(f"[bold red]demo failed[/] at {failure}")
        return False
    console.rule()
    console.print(
        "[bold green]demo complete[/]: two assessment rounds reported, two model versions "
        "audited — the fair one promoted to champion and certified, the biased one refused and "
        "rolled back from production — 90 days of delivery and ML events measured, an LLM "
        "assistant's falling faithfulness and rising down-votes turned into one P1 alert that "
        "rolled its alias back, the ledger verified, and the tampered copy caught"
        if outcome.as_expected
        else "[bold red]demo failed[/]: a check did not come out as expected"
    )
    console.print(f"Maturity report: {outcome.maturity_report}")
    for path in outcome.metrics_reports:
        console.print(f"Metrics report:  {path}")
    for path in outcome.audited.reports:
        console.print(f"Audit report:    {path}")
    database = f"sqlite:///{directory / DEMO_DATABASE}"
    console.print(f"MLflow store:    {outcome.audited.tracking_uri}")
    console.print(
        f"Dashboard:       {program} serve --db {database} --no-scheduler, then open "
        f"http://127.0.0.1:8080/ui and sign in with {outcome.dashboard_token}"
    )
    console.print(f"Try:             {program} audit status --db {database}")
    console.print(f"                 {program} ledger verify --file {outcome.tampered}")
    console.print(f"(the demo took {time.monotonic() - started:.1f} s)")
    return outcome.as_expected


@dataclass
class _Outcome:
    maturity_report: Path
    metrics_reports: list[Path]
    audited: AuditDemo
    tampered: Path
    dashboard_token: str
    checks: dict[str, bool]

    @property
    def as_expected(self) -> bool:
        return all(self.checks.values()) and self.audited.as_expected


def _run_steps(directory: Path, console: Console, program: str) -> _Outcome:
    database_path = directory / DEMO_DATABASE
    for leftover in (database_path, *(Path(f"{database_path}{s}") for s in ("-wal", "-shm"))):
        leftover.unlink(missing_ok=True)
    with _step(console, 1, f"Creating a store: SQLite file {database_path}"):
        store = open_store(DatabaseChoice(f"sqlite:///{database_path}", "demo"))
        console.print(f"   schema revision {store.schema.current}")
    try:
        with _step(console, 2, f"Maturity self-assessment of project {DEMO_PROJECT!r}"):
            report_path, rounds_ok = _maturity(store, directory, console, program)
        with _step(console, 3, "Data and models: seeded credit applicants, two model versions"):
            project, fair, biased = data_step(directory, console)
        with _step(console, 4, "MLflow: logging and registering both versions (local store)"):
            registry = registry_step(directory, console, project, (fair, biased))
        with _step(console, 5, "Continuous audit and promotion gates"):
            audited = audit_step(store, directory, console, program, project, registry)
            champion_auc = next(
                entry
                for entry in store.ledger.entries(kind="audit.measurement")
                if entry.content
                and entry.content.get("run_id") == audited.good.model.run_id
                and entry.content.get("element") == "roc-auc"
            )
            _, dashboard_token = create_token(store, name="demo auditor", role=Role.auditor)
        with _step(console, 6, "Delivery and ML life cycle: 90 days of events, three services"):
            metrics_reports, metrics_ok = _metrics(store, directory, console, program)
        with _step(
            console, 7, "An LLM assistant: faithfulness falls while users vote answers down"
        ):
            llm_files, llm_ok = llm_alert_step(
                store, directory, console, program, (registry[0], registry[1])
            )
            metrics_reports.append(llm_files[0])
        with _step(
            console, 8, f"Verifying the ledger in the database ({store.ledger.count()} entries)"
        ):
            in_database = store.ledger.verify()
            _report(console, in_database)
        export_path = directory / "ledger.jsonl"
        with _step(console, 9, f"Exporting it to {export_path} and verifying the file offline"):
            with export_path.open("w", encoding="utf-8") as stream:
                export_ledger(store.ledger, stream)
            _, offline = verify_export(export_path)
            _report(console, offline)
    finally:
        store.close()
    tampered_path = directory / "ledger-tampered.jsonl"
    assert champion_auc.content is not None
    value = champion_auc.content["value"]
    with _step(
        console,
        10,
        f"Tampering with a copy ({tampered_path}): the champion's ROC AUC {value:.3f} becomes 0.95",
    ):
        text = export_path.read_text(encoding="utf-8")
        tampered = text.replace(f'"value":{value!r}', '"value":0.95', 1)
        tampered_path.write_text(tampered, encoding="utf-8")
        _, caught = verify_export(tampered_path)
        _report(console, caught)
    checks = {
        "rounds": rounds_ok,
        "metrics": metrics_ok,
        "llm alert": llm_ok,
        "database": in_database.ok,
        "export": offline.ok,
        "tampering caught": not caught.ok
        and caught.problem is not None
        and caught.problem.seq == champion_auc.seq,
    }
    return _Outcome(report_path, metrics_reports, audited, tampered_path, dashboard_token, checks)


def _maturity(store: Store, directory: Path, console: Console, program: str) -> tuple[Path, bool]:
    """Step 2: the example team's rounds, saved, compared and reported."""
    console.print(f"   three respondents, {len(DEMO_ROUNDS)} rounds (IML4E framework)")
    copies = []
    examples = files("assay").joinpath("examples", "maturity")
    for label, name in DEMO_ROUNDS.items():
        copy = directory / name
        with as_file(examples.joinpath(name)) as source:
            shutil.copyfile(source, copy)
        copies.append(copy)
        assessment = load_assessment(copy)
        score = assessment.score()
        assert isinstance(score, LevelScore)
        entry = save_round(store.ledger, assessment, score, project=DEMO_PROJECT, label=label)
        console.print(
            f"   {label}: {copy.name} → overall level {score.overall} ({score.overall_name}), "
            f"{len(score.disputed)} topics to discuss; saved as ledger entry {entry.seq}"
        )
    history = load_history(store.ledger, DEMO_PROJECT, "iml4e")
    console.print(history_table(history))
    latest = load_assessment(copies[-1])
    score = latest.score()
    assert isinstance(score, LevelScore)
    report_path = directory / MATURITY_REPORT
    markdown_path = report_path.with_suffix(".md")
    report_path.write_text(maturity_report(latest, score, "html", history=history), "utf-8")
    markdown_path.write_text(maturity_report(latest, score, "markdown", history=history), "utf-8")
    console.print(f"   reports: {report_path} and {markdown_path.name}")
    console.print(f"   (yours: {program} maturity assess --framework iml4e)")
    rounds_ok = [r.overall for r in history.rounds] == [0, 1]
    return report_path, rounds_ok


def _metrics(
    store: Store, directory: Path, console: Console, program: str
) -> tuple[list[Path], bool]:
    """Step 6: generated events of three services and two models, their DORA and ML figures
    over 90 days (recorded in the ledger with the digest of the events), and the reports."""
    now = datetime.now(UTC)
    raw = demo_events(now)
    result = ingest(store, checked_events(raw, now=now, where=lambda i: f"demo event {i}"))
    console.print(f"   {result.stored} events stored (deployments, incidents, rollbacks, models)")
    window = window_of(now=now, window=timedelta(days=90))
    dora = dora_report(store, DoraQuery(window=window))
    ml = ml_report(store, window=window)
    record_snapshot(store, "dora", dora)
    record_snapshot(store, "ml", ml)
    console.print(dora_table(dora))
    console.print(ml_table(ml))
    paths = [directory / "metrics-dora.html", directory / "metrics-ml.html"]
    paths[0].write_text(dora_html(dora), encoding="utf-8")
    paths[1].write_text(ml_html(ml), encoding="utf-8")
    console.print(f"   reports: {paths[0]} and {paths[1].name}")
    console.print(
        f"   (yours: {program} events backfill git REPO --deploy-tags 'v*' --service NAME, "
        f"then {program} metrics dora)"
    )
    tiers = {row["service"]: row["tiers"] for row in dora["breakdown"]}
    expected = (
        tiers.get("credit-api", {}).get("lead_time") == "elite"
        and tiers.get("web-app", {}).get("change_failure_rate") in ("high", "low")
        and len(ml["models"]) >= 2
    )
    return paths, expected


def _report(console: Console, result: VerificationResult) -> None:
    if result.problem is None:
        console.print(
            f"   [green]intact[/]: {result.entries} entries, head {result.head.seq} "
            f"{result.head.hash}"
        )
    else:
        console.print(f"   [red]broken at entry {result.problem.seq}[/]: {result.problem.reason}")
