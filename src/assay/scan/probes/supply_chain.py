"""Probes of reproducible dependencies: lock files, hash pinning, pre-commit hooks and
automated dependency updates."""

from __future__ import annotations

import re

from assay.scan.context import ScanContext
from assay.scan.findings import Confidence, Finding, Outcome, found
from assay.scan.probes import MAX_EVIDENCE, probe
from assay.scan.tree import matching

_LOCK_FILES = {
    "uv.lock": "uv",
    "poetry.lock": "poetry",
    "Pipfile.lock": "pipenv",
    "pdm.lock": "pdm",
    "conda-lock.yml": "conda-lock",
    "package-lock.json": "npm",
    "yarn.lock": "yarn",
    "pnpm-lock.yaml": "pnpm",
    "requirements.lock": "requirements-lock",
    "pylock.toml": "pylock",
}
_MANIFESTS = (
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "requirements*.txt",
    "requirements*.in",
    "Pipfile",
    "environment.yml",
    "package.json",
)
_REQUIREMENT_FILES = ("requirements*.txt", "requirements*.lock", "*.lock.txt", "constraints*.txt")
_PINNED = re.compile(r"^\s*[A-Za-z0-9_.\-\[\],]+\s*==\s*[^\s;#*]+")
_REQUIREMENT = re.compile(r"^\s*[A-Za-z0-9_.\-]+")


def _compiled_requirements(ctx: ScanContext) -> list[str]:
    """requirements files in which every requirement is pinned with == (pip-compile style)."""
    pinned = []
    for path in matching(ctx.tree, *_REQUIREMENT_FILES):
        lines = [
            line.split("#", 1)[0].rstrip("\\ ").strip()
            for line in (ctx.text(path) or "").split("\n")
        ]
        requirements = [
            line for line in lines if _REQUIREMENT.match(line) and not line.startswith("-")
        ]
        if requirements and all(_PINNED.match(line) for line in requirements):
            pinned.append(path)
    return pinned


@probe("dependencies-locked")
def dependencies_locked(ctx: ScanContext) -> Finding:
    """yes when a lock file or a fully pinned requirements file exists; not applicable when the
    repository declares no dependencies at all."""
    locks = list(matching(ctx.tree, *_LOCK_FILES))
    locks += [path for path in _compiled_requirements(ctx) if path not in locks]
    if not locks and not list(matching(ctx.tree, *_MANIFESTS)):
        return Finding(
            "dependencies-locked",
            Outcome.not_applicable,
            Confidence.high,
            "no dependency manifest found",
        )
    tools = {_LOCK_FILES.get(path.rsplit("/", 1)[-1], "pip-tools") for path in locks}
    return found(
        "dependencies-locked",
        [ctx.evidence(path, None) for path in locks[:MAX_EVIDENCE]],
        tools=sorted(tools),
        yes=f"{len(locks)} lock file(s)",
        absent="dependencies are declared but no lock file or fully pinned requirements file "
        "was found",
    )


@probe("dependencies-hash-pinned")
def dependencies_hash_pinned(ctx: ScanContext) -> Finding:
    """yes when installs are checked against hashes: requirements with ``--hash``, or a lock
    format that records hashes (uv, poetry, pipenv, pdm, npm)."""
    evidence = []
    for path in matching(ctx.tree, *_REQUIREMENT_FILES):
        for number, line in enumerate((ctx.text(path) or "").split("\n"), 1):
            if "--hash=sha256:" in line:
                evidence.append(ctx.evidence(path, number))
                break
    for path in matching(
        ctx.tree, "uv.lock", "poetry.lock", "Pipfile.lock", "pdm.lock", "package-lock.json"
    ):
        text = ctx.text(path) or ""
        match = re.search(r'(hash|sha256|integrity)"?\s*[:=]\s*"?(sha256|sha512)', text)
        if match:
            evidence.append(ctx.evidence(path, text.count("\n", 0, match.start()) + 1))
    if not evidence and not list(matching(ctx.tree, *_MANIFESTS, *_LOCK_FILES)):
        return Finding(
            "dependencies-hash-pinned",
            Outcome.not_applicable,
            Confidence.high,
            "no dependency manifest found",
        )
    return found(
        "dependencies-hash-pinned",
        evidence[:MAX_EVIDENCE],
        yes=f"{len(evidence)} file(s) pin dependencies by hash",
        absent="no lock or requirements file records hashes of the packages",
    )


@probe("pre-commit-configured")
def pre_commit_configured(ctx: ScanContext) -> Finding:
    """yes when ``.pre-commit-config.yaml`` declares at least one hook."""
    for path in matching(ctx.tree, ".pre-commit-config.yaml", ".pre-commit-config.yml"):
        document = ctx.tree.document(path)
        data = document.data if document else None
        repos = data.get("repos") if isinstance(data, dict) else None
        hooks = [
            hook.get("id")
            for repo in (repos if isinstance(repos, list) else [])
            if isinstance(repo, dict)
            for hook in (repo.get("hooks") or [])
            if isinstance(hook, dict)
        ]
        if hooks:
            return Finding(
                "pre-commit-configured",
                Outcome.yes,
                Confidence.high,
                f"{len(hooks)} hook(s): {', '.join(str(h) for h in hooks[:8])}",
                (ctx.evidence(path, document.line_of(("repos",)) if document else None),),
                ("pre-commit",),
            )
    return Finding(
        "pre-commit-configured",
        Outcome.no,
        Confidence.high,
        "no .pre-commit-config.yaml with hooks",
    )


@probe("dependency-update-automation")
def dependency_update_automation(ctx: ScanContext) -> Finding:
    """yes when Dependabot or Renovate is configured, so dependency changes reach the team."""
    paths = list(
        matching(
            ctx.tree,
            ".github/dependabot.yml",
            ".github/dependabot.yaml",
            "renovate.json",
            "renovate.json5",
            ".github/renovate.json",
            ".github/renovate.json5",
            ".renovaterc",
            ".renovaterc.json",
        )
    )
    tools = {"dependabot" if "dependabot" in path else "renovate" for path in paths}
    return found(
        "dependency-update-automation",
        [ctx.evidence(path, None) for path in paths],
        tools=sorted(tools),
        yes="dependency updates are proposed automatically",
        absent="no Dependabot or Renovate configuration in the repository (an organisation-wide "
        "setting would not show here)",
        absent_outcome=Outcome.no,
        confidence=Confidence.medium,
    )
