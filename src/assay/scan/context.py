"""One scan's view of a repository (and server), with the parses every probe shares cached:
the CI jobs, the commands they run through task runners, the code lines that mention a word."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any, TypeVar

from assay.scan.ci import CiJob, ci_jobs
from assay.scan.classify import CheckKind, kinds_of_action, kinds_of_command
from assay.scan.code import CodeLine, code_lines, is_code_path, is_test_path
from assay.scan.findings import Evidence, evidence_at
from assay.scan.mlflow_view import MlflowView
from assay.scan.runners import TaskRunners
from assay.scan.tree import Tree, suffix_of

__all__ = ["Check", "ScanContext"]


@lru_cache(maxsize=256)
def _alternatives(needles: tuple[str, ...]) -> re.Pattern[str]:
    """One regular expression matching any of the plain strings ``needles``."""
    return re.compile("|".join(re.escape(needle) for needle in needles))


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
        self._lines: dict[str, list[CodeLine]] = {}
        self._joins: dict[tuple[str, bool], tuple[str, list[int]]] = {}

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
        pattern = _alternatives(needles)
        for path in self.code_paths if paths is None else paths:
            text = self.text(path)
            if text is None or not pattern.search(text):
                continue
            lines = self.lines_of(path)
            joined, starts = self._joined(path, raw)
            last = -1
            # Search the file's code once; a match's offset tells its line.
            for match in pattern.finditer(joined):
                index = bisect_right(starts, match.start()) - 1
                if index != last:
                    last = index
                    yield lines[index]

    def with_suffix(self, *suffixes: str) -> list[str]:
        """The paths whose extension is one of ``suffixes`` (``.yaml``), in order."""
        key = "suffix:" + ",".join(sorted(suffixes))
        return self.memo(key, lambda: [p for p in self.tree.paths if suffix_of(p) in suffixes])

    def _joined(self, path: str, raw: bool) -> tuple[str, list[int]]:
        """The file's code lines joined by newlines, and where each line starts."""
        key = (path, raw)
        found = self._joins.get(key)
        if found is None:
            texts = [line.raw if raw else line.text for line in self.lines_of(path)]
            starts, offset = [], 0
            for text in texts:
                starts.append(offset)
                offset += len(text) + 1
            found = self._joins[key] = ("\n".join(texts), starts)
        return found

    def lines_of(self, path: str) -> list[CodeLine]:
        """The code lines of one file, read and split once per scan."""
        found = self._lines.get(path)
        if found is None:
            found = self._lines[path] = list(code_lines(self.tree, path))
        return found

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
                for reached in self.runners.expand(step, step.cwd):
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
