"""``assay demo``: a guided tour of what assay can do so far, on a throw-away SQLite store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console

from assay.config import DatabaseChoice
from assay.errors import ConfigurationError
from assay.reports.ledger_table import entry_table
from assay.store import open_store
from assay.store.chain import VerificationResult
from assay.store.ledger_file import export_ledger, verify_export

__all__ = ["DEMO_ENTRIES", "run_demo"]

DEMO_DATABASE = "assay.db"

# Entries of the kinds later capabilities append, with made-up but plausible values.
DEMO_ENTRIES: list[tuple[str, dict[str, Any]]] = [
    (
        "maturity.round",
        {"framework": "iml4e", "project": "credit-scoring", "round": 1, "overall_level": 1},
    ),
    (
        "measurement.result",
        {
            "spec": "credit-model",
            "measurement": "accuracy",
            "value": 0.912,
            "target": {"greater_or_equal": 0.85},
        },
    ),
    (
        "measurement.result",
        {
            "spec": "credit-model",
            "measurement": "demographic_parity_ratio",
            "value": 0.83,
            "target": {"greater_or_equal": 0.8},
        },
    ),
    (
        "evaluation.outcome",
        {"spec": "credit-model", "requirement": "performance", "outcome": "pass"},
    ),
    ("status.change", {"target": "credit-model@3", "from": "unknown", "to": "conformant"}),
]


def run_demo(directory: Path, console: Console, program: str = "assay") -> bool:
    """Create a fresh store in ``directory``, append entries, verify the ledger in the database
    and as an exported file, and show that a tampered copy is caught. ``program`` is how the
    closing hints spell the command. Returns True when every check came out as expected."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigurationError(
            f"cannot create the demo directory ({error.strerror})", source=str(directory)
        ) from error
    database_path = directory / DEMO_DATABASE
    for leftover in (database_path, *(Path(f"{database_path}{s}") for s in ("-wal", "-shm"))):
        leftover.unlink(missing_ok=True)

    console.rule("[bold]assay demo: the evidence ledger")
    console.print(f"1. Creating a store: SQLite file {database_path} (schema by migration)")
    store = open_store(DatabaseChoice(f"sqlite:///{database_path}", "demo"))
    try:
        console.print(f"   schema revision {store.schema.current}\n")
        console.print(
            f"2. Appending {len(DEMO_ENTRIES)} evidence entries, each chained to the last"
        )
        entries = store.ledger.append_many(DEMO_ENTRIES)
        console.print(entry_table(entries))

        console.print("\n3. Verifying the ledger in the database")
        in_database = store.ledger.verify()
        _report(console, in_database)

        export_path = directory / "ledger.jsonl"
        console.print(f"\n4. Exporting it to {export_path} and verifying the file offline")
        with export_path.open("w", encoding="utf-8") as stream:
            export_ledger(store.ledger, stream)
        offline = verify_export(export_path)
        _report(console, offline)
    finally:
        store.close()

    tampered_path = directory / "ledger-tampered.jsonl"
    console.print(f"\n5. Tampering with a copy ({tampered_path}): accuracy 0.912 becomes 0.95")
    lines = export_path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = lines[2].replace('"value":0.912', '"value":0.95')
    tampered_path.write_text("".join(lines), encoding="utf-8")
    caught = verify_export(tampered_path)
    _report(console, caught)

    as_expected = (
        in_database.ok
        and offline.ok
        and not caught.ok
        and caught.problem is not None
        and caught.problem.seq == 2
    )
    console.rule()
    console.print(
        "[bold green]demo complete[/]: the ledger verified, and the tampered copy was caught"
        if as_expected
        else "[bold red]demo failed[/]: a check did not come out as expected"
    )
    console.print(f"Try: {program} ledger list --db sqlite:///{database_path}")
    console.print(f"     {program} ledger verify --file {tampered_path}")
    return as_expected


def _report(console: Console, result: VerificationResult) -> None:
    if result.problem is None:
        console.print(
            f"   [green]intact[/]: {result.entries} entries, head {result.head.seq} "
            f"{result.head.hash}"
        )
    else:
        console.print(f"   [red]broken at entry {result.problem.seq}[/]: {result.problem.reason}")
