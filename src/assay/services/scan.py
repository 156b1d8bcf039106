"""Use cases of ``assay scan``: scan a repository (and an MLflow server), record an override,
save a scan as a maturity round."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from assay import __version__
from assay.catalog import load_framework
from assay.catalog.scan import capability_catalog, probe_definitions
from assay.errors import InvalidInputError
from assay.files.repository import DirectoryTree, repository_commits
from assay.scan.context import ScanContext
from assay.scan.findings import Confidence, Finding, Outcome
from assay.scan.overrides import Override, apply_overrides
from assay.scan.probes import load_all
from assay.scan.result import FRAMEWORK_IDS, ScanInputs, scan_document
from assay.scan.rounds import scan_round_payload
from assay.store import Store
from assay.store.chain import LedgerEntry
from assay.store.rounds import append_round
from assay.store.scan_records import load_overrides, record_override

__all__ = [
    "FRAMEWORK_IDS",
    "add_override",
    "default_project",
    "overrides_of",
    "save_round_of_scan",
    "scan_path",
]


def default_project(path: Path) -> str:
    """The project a scan of ``path`` belongs to when none is named: the directory's name."""
    return path.resolve().name or "repository"


def scan_path(
    path: Path,
    *,
    mlflow_uri: str | None = None,
    project: str,
    overrides: Sequence[Override] = (),
    frameworks: Sequence[str] = FRAMEWORK_IDS,
    today: date | None = None,
) -> dict[str, Any]:
    """Run every probe over the repository at ``path`` (and the server at ``mlflow_uri``) and
    return the scan document. Reads only: nothing is written anywhere."""
    tree = DirectoryTree(path)
    view = None
    if mlflow_uri is not None:
        from assay.integrations.mlflow_scan import read_mlflow

        view = read_mlflow(mlflow_uri, repository_commits(tree))
    context = ScanContext(tree, view)
    functions = load_all()
    definitions = probe_definitions()
    missing = sorted({d.id for d in definitions} ^ set(functions))
    if missing:
        raise RuntimeError(f"probes without both a definition and a function: {missing}")
    findings = [_run(functions[d.id], d.id, context) for d in definitions]
    applied = apply_overrides(findings, overrides, today or datetime.now(UTC).date())
    repository = {"path": str(tree.root), "commit": tree.commit, "files": len(tree.paths)}
    mlflow = None
    if view is not None:
        mlflow = {
            "uri": view.uri,
            "read_at": view.read_at,
            "error": view.error,
            "runs": len(view.runs),
            "registered_models": len(view.models),
            "truncated": view.truncated,
        }
    inputs = ScanInputs(
        repository,
        mlflow,
        datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        findings,
        definitions,
        applied,
        project,
    )
    document = scan_document(
        inputs, {fid: load_framework(fid) for fid in frameworks}, capability_catalog()
    )
    document["assay_version"] = __version__
    return document


def _run(function: Any, probe_id: str, context: ScanContext) -> Finding:
    """A probe's finding; a probe that fails on odd input answers unknown and says why, so one
    file the probe could not read never hides the other forty-odd answers."""
    try:
        finding: Finding = function(context)
    except (ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as error:
        return Finding(
            probe_id,
            Outcome.unknown,
            Confidence.low,
            f"the probe could not read the repository: {type(error).__name__}: {error}",
        )
    return finding


def add_override(store: Store, override: Override) -> LedgerEntry:
    """Record an override as a ledger entry; its probe must exist."""
    known = {d.id for d in probe_definitions()}
    if override.probe not in known:
        raise InvalidInputError(
            f"no probe has the id {override.probe!r}",
            source="PROBE",
            expected="a probe id listed by `assay scan probes`",
        )
    return record_override(store.ledger, override)


def overrides_of(store: Store | None, project: str) -> list[Override]:
    """The overrides recorded for ``project`` (none without a store)."""
    return load_overrides(store.ledger, project) if store is not None else []


def save_round_of_scan(
    store: Store, document: dict[str, Any], framework_id: str, *, project: str, label: str
) -> LedgerEntry:
    """Save the scan as a maturity round of ``framework_id`` (iml4e or marvelous)."""
    if framework_id not in document["frameworks"] or framework_id == "ml-test-score":
        raise InvalidInputError(
            f"a scan saves rounds of iml4e or marvelous, not {framework_id!r}",
            source="--framework",
            expected="iml4e or marvelous with --round",
        )
    payload = scan_round_payload(
        document, load_framework(framework_id), project=project, label=label
    )
    return append_round(store.ledger, payload)
