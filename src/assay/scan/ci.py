"""CI pipelines as the probes see them: per system, the jobs, whether each can run, and the
commands and actions its steps run.

GitHub Actions, GitLab CI, Jenkins (declarative or scripted ``sh`` steps), Azure Pipelines and
CircleCI. A job that cannot run (``if: false``, ``when: never``, a hidden GitLab template, a
workflow without triggers) is kept but marked disabled: its commands are not evidence of practice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from assay.scan.runners import Step
from assay.scan.shell import commands_in
from assay.scan.tree import Document, Tree, matching

__all__ = ["ActionUse", "CiJob", "ci_jobs"]

_GITLAB_RESERVED = {
    "stages",
    "variables",
    "default",
    "include",
    "workflow",
    "image",
    "services",
    "before_script",
    "after_script",
    "cache",
    "pages:deploy",
}
_FALSE = re.compile(r"^\s*(?:false|\$\{\{\s*false\s*\}\}|'false'|\"false\")\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class ActionUse:
    """A reusable action or orb a step uses (``actions/checkout@v4``) and where."""

    name: str
    path: str
    line: int


@dataclass(frozen=True)
class CiJob:
    """One job of one CI system: where it is defined, whether it can run, what it runs."""

    system: str
    path: str
    name: str
    line: int
    enabled: bool
    steps: tuple[Step, ...]
    uses: tuple[ActionUse, ...] = ()
    disabled_reason: str | None = None


def ci_jobs(tree: Tree) -> list[CiJob]:
    """Every CI job defined in ``tree``, in path order."""
    jobs: list[CiJob] = []
    for path in matching(tree, ".github/workflows/*.yml", ".github/workflows/*.yaml"):
        jobs += _github(tree, path)
    for path in matching(tree, ".gitlab-ci.yml", "*.gitlab-ci.yml"):
        jobs += _gitlab(tree, path)
    for path in matching(tree, "Jenkinsfile", "*.jenkinsfile", "Jenkinsfile.*"):
        jobs += _jenkins(tree, path)
    for path in matching(
        tree,
        "azure-pipelines.yml",
        "azure-pipelines.yaml",
        ".azure-pipelines/*.yml",
        ".azure-pipelines/*.yaml",
    ):
        jobs += _walked(tree, path, "azure-pipelines", ("script", "bash", "pwsh", "powershell"))
    for path in matching(tree, ".circleci/config.yml", ".circleci/config.yaml"):
        jobs += _walked(tree, path, "circleci", ("run", "command"))
    return jobs


def _mapping(document: Document | None) -> dict[str, Any] | None:
    if document is None or not isinstance(document.data, dict):
        return None
    return document.data


def _script_steps(
    document: Document, key_path: tuple[str | int, ...], text: str, path: str
) -> list[Step]:
    line = document.line_of(key_path) or 1
    first = line + 1 if "\n" in text.strip("\n") or text.endswith("\n") else line
    return [Step(command, path, first + offset) for offset, command in commands_in(text)]


def _github(tree: Tree, path: str) -> list[CiJob]:
    document = tree.document(path)
    data = _mapping(document)
    if document is None or data is None:
        return []
    triggers = data.get("on", data.get("true"))  # YAML 1.1 reads a bare on: as true elsewhere
    workflow_off = triggers in (None, "", [], {})
    jobs = data.get("jobs")
    if not isinstance(jobs, dict):
        return []
    found: list[CiJob] = []
    for name, job in jobs.items():
        if not isinstance(job, dict):
            continue
        reason = None
        if workflow_off:
            reason = "the workflow has no triggers (no 'on:')"
        elif isinstance(job.get("if"), bool | str) and _FALSE.match(str(job.get("if"))):
            reason = "the job's condition is always false"
        steps: list[Step] = []
        uses: list[ActionUse] = []
        job_directory = _working_directory(data, job)
        raw_steps: list[Any] = job["steps"] if isinstance(job.get("steps"), list) else []
        for index, step in enumerate(raw_steps):
            if not isinstance(step, dict):
                continue
            if isinstance(step.get("if"), bool | str) and _FALSE.match(str(step.get("if"))):
                continue
            where = ("jobs", name, "steps", index)
            if isinstance(step.get("run"), str):
                cwd = step.get("working-directory", job_directory)
                steps += [
                    replace(found, cwd=cwd if isinstance(cwd, str) else "")
                    for found in _script_steps(document, (*where, "run"), step["run"], path)
                ]
            if isinstance(step.get("uses"), str):
                uses.append(ActionUse(step["uses"], path, document.line_of((*where, "uses")) or 1))
        if isinstance(job.get("uses"), str):  # a reusable workflow
            uses.append(ActionUse(job["uses"], path, document.line_of(("jobs", name, "uses")) or 1))
        found.append(
            CiJob(
                "github-actions",
                path,
                str(name),
                document.line_of(("jobs", name)) or 1,
                reason is None,
                tuple(steps),
                tuple(uses),
                reason,
            )
        )
    return found


def _working_directory(workflow: dict[str, Any], job: dict[str, Any]) -> str:
    """``defaults.run.working-directory`` of the job, else of the workflow, else the root."""
    for holder in (job, workflow):
        defaults = holder.get("defaults")
        run = defaults.get("run") if isinstance(defaults, dict) else None
        directory = run.get("working-directory") if isinstance(run, dict) else None
        if isinstance(directory, str):
            return directory
    return ""


def _gitlab(tree: Tree, path: str) -> list[CiJob]:
    document = tree.document(path)
    data = _mapping(document)
    if document is None or data is None:
        return []
    default = data.get("default") if isinstance(data.get("default"), dict) else {}
    found: list[CiJob] = []
    for name, job in data.items():
        if name in _GITLAB_RESERVED or not isinstance(job, dict):
            continue
        if not any(key in job for key in ("script", "trigger", "extends")):
            continue
        reason = None
        if name.startswith("."):
            reason = "a hidden job (a template that never runs itself)"
        elif job.get("when") == "never":
            reason = "the job says when: never"
        elif (
            isinstance(job.get("rules"), list)
            and job["rules"]
            and all(isinstance(rule, dict) and rule.get("when") == "never" for rule in job["rules"])
        ):
            reason = "every rule of the job says when: never"
        steps: list[Step] = []
        for key in ("before_script", "script", "after_script"):
            holder, where = _gitlab_source(data, name, key)
            if holder is None:
                holder, where = default, ("default", key)
            value = holder.get(key) if isinstance(holder, dict) else None
            items = value if isinstance(value, list) else [value] if isinstance(value, str) else []
            for index, item in enumerate(items):
                if isinstance(item, str):
                    item_where = (*where, index) if isinstance(value, list) else where
                    steps += _script_steps(document, item_where, item, path)
        found.append(
            CiJob(
                "gitlab-ci",
                path,
                str(name),
                document.line_of((name,)) or 1,
                reason is None,
                tuple(steps),
                (),
                reason,
            )
        )
    return found


def _gitlab_source(
    data: dict[str, Any], name: str, key: str, depth: int = 0
) -> tuple[dict[str, Any] | None, tuple[str | int, ...]]:
    """The job (``name`` or a template it ``extends``, nearest first) that defines ``key``."""
    job = data.get(name)
    if not isinstance(job, dict) or depth > 10:
        return None, ()
    if key in job:
        return job, (name, key)
    parents = job.get("extends")
    for parent in reversed(parents if isinstance(parents, list) else [parents]):
        if isinstance(parent, str):
            found, where = _gitlab_source(data, parent, key, depth + 1)
            if found is not None:
                return found, where
    return None, ()


# Pipelines are short; a longer file is not read, so crafted text cannot make the lazy
# quote-matching below scan the file once per opening quote.
MAX_JENKINSFILE = 100_000
_JENKINS_STEP = re.compile(
    r"""\b(?:sh|bat|pwsh|powershell)\s*\(?\s*(?:script\s*:\s*)?(?P<q>'''|\"\"\"|'|")(?P<body>.*?)(?P=q)""",
    re.DOTALL,
)


def _jenkins(tree: Tree, path: str) -> list[CiJob]:
    text = tree.text(path)
    if text is None or len(text) > MAX_JENKINSFILE:
        return []
    # Groovy comments would otherwise read as steps.
    code = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.DOTALL)
    code = re.sub(r"(?m)^\s*//.*$", "", code)
    steps: list[Step] = []
    for match in _JENKINS_STEP.finditer(code):
        line = code.count("\n", 0, match.start("body")) + 1
        steps += [
            Step(command, path, line + offset)
            for offset, command in commands_in(match.group("body"))
        ]
    return [CiJob("jenkins", path, "pipeline", 1, True, tuple(steps))]


def _walked(tree: Tree, path: str, system: str, keys: tuple[str, ...]) -> list[CiJob]:
    document = tree.document(path)
    if document is None:
        return []
    steps: list[Step] = []
    uses: list[ActionUse] = []

    def walk(node: Any, where: tuple[str | int, ...], depth: int) -> None:
        if depth > 40:
            return
        if isinstance(node, dict):
            if _FALSE.match(str(node.get("condition", ""))) and "condition" in node:
                return
            for key, value in node.items():
                if key in keys and isinstance(value, str):
                    steps.extend(_script_steps(document, (*where, key), value, path))
                elif key in ("task", "orb", "template") and isinstance(value, str):
                    uses.append(ActionUse(value, path, document.line_of((*where, key)) or 1))
                else:
                    walk(value, (*where, key), depth + 1)
        elif isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, (*where, index), depth + 1)

    walk(document.data, (), 0)
    return [CiJob(system, path, "pipeline", 1, True, tuple(steps), tuple(uses))]
