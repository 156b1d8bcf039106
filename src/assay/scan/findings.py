"""What a probe answers: an outcome, a confidence, a reason and content-addressed evidence."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from assay.scan.tree import Tree

__all__ = [
    "SNIPPET_LIMIT",
    "Confidence",
    "Evidence",
    "Finding",
    "Outcome",
    "evidence_at",
    "server_evidence",
]

SNIPPET_LIMIT = 200  # characters of a snippet; the sha256 names the whole file


class Outcome(StrEnum):
    """A probe's answer. ``unknown``: the scan could not observe it (never a guess);
    ``not_applicable``: the question does not arise (no Dockerfile, no base image to pin)."""

    yes = "yes"
    no = "no"
    unknown = "unknown"
    not_applicable = "not_applicable"


class Confidence(StrEnum):
    """How sure the probe is of its outcome."""

    high = "high"
    medium = "medium"
    low = "low"


@dataclass(frozen=True)
class Evidence:
    """Where a probe saw something: a file's lines at a commit, or a server's answer."""

    source: str  # "repository" or "mlflow"
    snippet: str
    path: str | None = None
    start_line: int | None = None
    end_line: int | None = None
    sha256: str | None = None
    commit: str | None = None
    uri: str | None = None
    read_at: str | None = None

    @property
    def id(self) -> str:
        """A stable id: the digest of where and what, not of when it was read, so two scans of
        the same content give the same ids."""
        key = "\n".join(
            str(part) for part in (self.source, self.path, self.uri, self.sha256, self.snippet)
        )
        return hashlib.sha256(key.encode()).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        """The evidence as the scan's JSON shows it (absent parts left out)."""
        data: dict[str, Any] = {"id": self.id, "source": self.source}
        for key in ("path", "start_line", "end_line", "sha256", "commit", "uri", "read_at"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        data["snippet"] = self.snippet
        return data


def evidence_at(tree: Tree, path: str, line: int | None, end_line: int | None = None) -> Evidence:
    """Evidence for lines ``line``..``end_line`` of ``path`` (the whole file when ``line`` is
    None), the snippet cut to :data:`SNIPPET_LIMIT` characters."""
    text = tree.text(path) or ""
    if line is None:
        snippet = text.strip().split("\n", 1)[0] if text else ""
    else:
        lines = text.split("\n")
        last = end_line if end_line is not None else line
        snippet = "\n".join(lines[line - 1 : last]).strip()
    if len(snippet) > SNIPPET_LIMIT:
        snippet = snippet[: SNIPPET_LIMIT - 1] + "…"
    return Evidence(
        "repository",
        snippet,
        path=path,
        start_line=line,
        end_line=end_line if end_line is not None else line,
        sha256=tree.sha256(path),
        commit=tree.commit,
    )


def server_evidence(uri: str, read_at: str, snippet: str) -> Evidence:
    """Evidence read from a server at ``uri`` at ``read_at`` (ISO 8601)."""
    if len(snippet) > SNIPPET_LIMIT:
        snippet = snippet[: SNIPPET_LIMIT - 1] + "…"
    return Evidence("mlflow", snippet, uri=uri, read_at=read_at)


@dataclass(frozen=True)
class Finding:
    """A probe's answer with its evidence and the tools it recognised."""

    probe: str
    outcome: Outcome
    confidence: Confidence
    reason: str
    evidence: Sequence[Evidence] = ()
    tools: Sequence[str] = field(default_factory=tuple)


def found(
    probe: str,
    evidence: Sequence[Evidence],
    *,
    tools: Sequence[str] = (),
    yes: str,
    absent: str,
    absent_outcome: Outcome = Outcome.no,
    confidence: Confidence = Confidence.high,
) -> Finding:
    """``yes`` with ``evidence`` when there is any, else ``absent_outcome`` with ``absent``."""
    if evidence:
        return Finding(probe, Outcome.yes, confidence, yes, tuple(evidence), tuple(sorted(tools)))
    return Finding(probe, absent_outcome, confidence, absent)
