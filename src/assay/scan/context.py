"""One scan's view of a repository (and server), with the parses every probe shares cached:
the CI jobs, the commands they run through task runners, the code lines that mention a word."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

from assay.scan.ci import CiJob, ci_jobs
from assay.scan.classify import CheckKind, kinds_of_action, kinds_of_command
from assay.scan.code import CodeLine, code_lines, is_code_path, is_test_path
from assay.scan.findings import Evidence, evidence_at
from assay.scan.mlflow_view import MlflowView
from assay.scan.runners import TaskRunners
from assay.scan.tree import Tree

__all__ = ["Check", "ScanContext"]

T = TypeVar("T")


@dataclass(frozen=True)
class Check:
    """A check an enabled CI job runs: its kind, the tool, the job, and the chain of places
    from the CI file to the command (CI step first)."""

    kind: CheckKind
    tool: str
    job: CiJob
    chain: tuple[tuple[str, int], ...]


class ScanContext:
    """A repository and, optionally, what an MLflow server holds, as the probes read them."""

    def __init__(self, tree: Tree, mlflow: MlflowView | None = None) -> None:
        self.tree = tree
        self.mlflow = mlflow
        self._texts: dict[str, str | None] = {}
        self._memo: dict[str, Any] = {}

    def memo(self, key: str, compute: Callable[[], T]) -> T:
        """``compute()`` once per scan, for parses several probes share."""
        if key not in self._memo:
            self._memo[key] = compute()
        result: T = self._memo[key]
        return result

    def text(self, path: str) -> str | None:
        """The file's text (read once per scan)."""
        if path not in self._texts:
            self._texts[path] = self.tree.text(path)
        return self._texts[path]

    def evidence(self, path: str, line: int | None, end_line: int | None = None) -> Evidence:
        """Evidence for a place in the repository (see :func:`evidence_at`)."""
        return evidence_at(self.tree, path, line, end_line)

    @cached_property
    def code_paths(self) -> tuple[str, ...]:
        """Python modules and notebooks, tests included."""
        return tuple(path for path in self.tree.paths if is_code_path(path))

    @cached_property
    def product_code_paths(self) -> tuple[str, ...]:
        """Code paths outside test suites: what the project runs, not what its tests exercise."""
        return tuple(path for path in self.code_paths if not is_test_path(path))

    def code_matching(
        self,
        *needles: str,
        paths: tuple[str, ...] | None = None,
        raw: bool = False,
    ) -> Iterator[CodeLine]:
        """Code lines (not comments, docstrings or Markdown) of ``paths`` (default: every code
        file) containing one of ``needles`` in their code, or anywhere on the line (string
        contents included) when ``raw``."""
        for path in self.code_paths if paths is None else paths:
            text = self.text(path)
            if text is None or not any(needle in text for needle in needles):
                continue
            for line in code_lines(self.tree, path):
                if any(needle in (line.raw if raw else line.text) for needle in needles):
                    yield line

    @cached_property
    def jobs(self) -> tuple[CiJob, ...]:
        """Every CI job, enabled or not."""
        return tuple(ci_jobs(self.tree))

    @cached_property
    def runners(self) -> TaskRunners:
        """Task-runner resolution over this repository."""
        return TaskRunners(self.tree)

    @cached_property
    def checks(self) -> tuple[Check, ...]:
        """The checks enabled CI jobs run, directly, through task runners or as actions."""
        found: list[Check] = []
        for job in self.jobs:
            if not job.enabled:
                continue
            for step in job.steps:
                for reached in self.runners.expand(step):
                    for kind, tool in kinds_of_command(reached.words):
                        chain = (*reached.via, (reached.path, reached.line))
                        found.append(Check(kind, tool, job, chain))
            for use in job.uses:
                for kind, tool in kinds_of_action(use.name):
                    found.append(Check(kind, tool, job, ((use.path, use.line),)))
        return tuple(found)

    def checks_of(self, kind: CheckKind) -> list[Check]:
        """The enabled CI checks of one kind."""
        return [check for check in self.checks if check.kind is kind]

    def chain_evidence(self, check: Check) -> list[Evidence]:
        """Evidence for every place of a check's chain, CI step first."""
        return [self.evidence(path, line) for path, line in check.chain]
