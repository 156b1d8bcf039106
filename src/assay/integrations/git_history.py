"""Deployments read from a local git history: each tag matching a pattern is a deployment at
the tag's time (the tagger's date for an annotated tag, the commit's for a lightweight one),
carrying the commits since the previous matching tag, each at its committer date."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from assay.errors import InvalidInputError

__all__ = ["git_deployments"]

_GIT_TIMEOUT = 300


def _git(repo: Path, *args: str) -> str:
    try:
        done = subprocess.run(
            ["git", "-C", str(repo), *args],
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT,
            check=False,
        )
    except FileNotFoundError:
        raise InvalidInputError(
            "git is not installed", source="git", expected="git on the PATH"
        ) from None
    if done.returncode != 0:
        problem = (done.stderr.strip().splitlines() or ["git failed"])[-1]
        raise InvalidInputError(
            f"git {args[0]} failed: {problem}", source=str(repo), expected="a git repository"
        )
    return done.stdout


def git_deployments(
    repo: Path,
    pattern: str,
    *,
    service: str,
    environment: str,
    team: str | None = None,
) -> list[dict[str, Any]]:
    """The canonical deployment events (not yet validated) of the tags matching ``pattern``
    (a glob: ``v*``, ``deploy/prod-*``), oldest first."""
    if not repo.is_dir():
        raise InvalidInputError(
            "no such directory", source=str(repo), expected="the directory of a git repository"
        )
    _git(repo, "rev-parse", "--git-dir")
    listing = _git(
        repo,
        "for-each-ref",
        "--sort=creatordate",
        "--format=%(refname:short)%09%(creatordate:iso-strict)%09%(objectname)%09%(*objectname)",
        f"refs/tags/{pattern}",
    )
    source = f"git:{service}@{environment}"
    events: list[dict[str, Any]] = []
    previous: str | None = None
    for line in listing.splitlines():
        tag, created, target, peeled = line.split("\t")
        commit = peeled or target
        span = f"{previous}..{commit}" if previous else commit
        log = _git(repo, "log", "--format=%H%x09%cI", span, "--")
        changes = [
            {"id": sha, "time": when}
            for sha, when in (entry.split("\t") for entry in log.splitlines() if entry)
        ]
        event: dict[str, Any] = {
            "id": f"tag:{tag}",
            "source": source,
            "type": "deployment",
            "time": created,
            "service": service,
            "environment": environment,
            "outcome": "success",
            "changes": changes,
            "version": tag,
        }
        if team is not None:
            event["team"] = team
        events.append(event)
        previous = commit
    return events
