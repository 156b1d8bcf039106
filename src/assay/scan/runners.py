"""Following task runners from a command to the commands they run: make, invoke, nox, tox,
poe/pdm/hatch scripts in ``pyproject.toml`` and npm scripts in ``package.json``.

A CI step that says ``make check`` runs whatever the ``check`` target (and its prerequisites)
runs; the probes look at the end of that chain. Parsing is of text only: nothing is executed.
"""

from __future__ import annotations

import ast
import configparser
import itertools
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from assay.scan.shell import commands_in, program_and_args
from assay.scan.tree import Tree

__all__ = ["Step", "TaskRunners"]

MAX_DEPTH = 6  # task runners calling task runners; deeper chains are cut off


@dataclass(frozen=True)
class Step:
    """A command written at ``path``:``line``, reached through ``via`` (outermost first)."""

    command: str
    path: str
    line: int
    via: tuple[tuple[str, int], ...] = ()
    cwd: str = ""  # the directory it runs in, relative to the repository

    @property
    def words(self) -> list[str]:
        """The program and its arguments, wrappers peeled off."""
        return program_and_args(self.command)


def _join(directory: str, name: str) -> str:
    directory = directory.strip("/")
    parts: list[str] = []
    for part in (f"{directory}/{name}" if directory and directory != "." else name).split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/".join(parts)


def _directory(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


class TaskRunners:
    """Resolves commands through the task-runner files of one repository, caching each parse."""

    def __init__(self, tree: Tree) -> None:
        self._tree = tree
        self._paths = set(tree.paths)
        self._makefiles: dict[str, dict[str, tuple[list[str], list[tuple[int, str]], int]]] = {}
        self._python_tasks: dict[tuple[str, str], dict[str, list[tuple[int, str]]]] = {}
        self._pyprojects: dict[str, dict[str, Any]] = {}

    def expand(self, step: Step, directory: str = "", depth: int = 0) -> Iterator[Step]:
        """``step`` itself, then every command the task runner it calls runs, recursively."""
        yield step
        if depth >= MAX_DEPTH:
            return
        words = step.words
        if not words:
            return
        via = (*step.via, (step.path, step.line))
        for inner in self._called(words, directory):
            if (inner.path, inner.line) in via:
                continue  # a target calling itself
            inner = Step(inner.command, inner.path, inner.line, via)
            yield from self.expand(inner, _directory(inner.path), depth + 1)

    def _called(self, words: list[str], directory: str) -> Iterator[Step]:
        program, args = words[0], words[1:]
        if program in ("make", "gmake", "$(MAKE)", "${MAKE}"):
            yield from self._make(args, directory)
        elif program in ("invoke", "inv"):
            yield from self._invoke(args, directory)
        elif program == "nox":
            yield from self._nox(args, directory)
        elif program == "tox":
            yield from self._tox(args, directory)
        elif program == "pre-commit" and args[:1] == ["run"]:
            yield from self._pre_commit(args[1:], directory)
        elif program == "poe" and args:
            yield from self._pyproject_script(directory, ("tool", "poe", "tasks"), args[0])
        elif program in ("npm", "yarn", "pnpm"):
            yield from self._npm(args, directory)
        elif program in self._pyproject_names(directory):
            yield from self._pyproject_scripts(directory, program)

    # make -----------------------------------------------------------------------------------

    def _make(self, args: list[str], directory: str) -> Iterator[Step]:
        targets: list[str] = []
        makefile = None
        index = 0
        while index < len(args):
            arg = args[index]
            if arg in ("-C", "--directory") and index + 1 < len(args):
                directory = _join(directory, args[index + 1])
                index += 1
            elif arg in ("-f", "--file") and index + 1 < len(args):
                makefile = _join(directory, args[index + 1])
                index += 1
            elif not arg.startswith("-") and "=" not in arg:
                targets.append(arg)
            index += 1
        path = makefile or next(
            (
                _join(directory, name)
                for name in ("GNUmakefile", "makefile", "Makefile")
                if _join(directory, name) in self._paths
            ),
            None,
        )
        if path is None or path not in self._paths:
            return
        rules = self._makefile(path)
        if not targets:
            default = next(iter(rules), None)
            targets = [default] if default else []
        seen: set[str] = set()
        yield from self._make_targets(path, rules, targets, seen)

    def _make_targets(
        self,
        path: str,
        rules: dict[str, tuple[list[str], list[tuple[int, str]], int]],
        targets: list[str],
        seen: set[str],
    ) -> Iterator[Step]:
        for target in targets:
            if target in seen or target not in rules:
                continue
            seen.add(target)
            prerequisites, recipe, _ = rules[target]
            yield from self._make_targets(path, rules, prerequisites, seen)
            for line, command in recipe:
                yield Step(command, path, line)

    def _makefile(self, path: str) -> dict[str, tuple[list[str], list[tuple[int, str]], int]]:
        if path in self._makefiles:
            return self._makefiles[path]
        rules: dict[str, tuple[list[str], list[tuple[int, str]], int]] = {}
        current: list[str] = []
        for number, raw in enumerate((self._tree.text(path) or "").split("\n"), 1):
            if raw.startswith("\t"):
                body = raw.strip().lstrip("@-+").strip()
                if body and not body.startswith("#"):
                    for target in current:
                        for _, command in commands_in(body):
                            rules[target][1].append((number, command))
                continue
            match = re.match(r"^([^\s:=#][^:=#]*?)\s*::?(?!=)\s*([^=;#]*)(?:;\s*(.*))?$", raw)
            if match is None:
                if raw.strip() and not raw.startswith(" "):
                    current = []
                continue
            names = [name for name in match.group(1).split() if "%" not in name]
            current = [name for name in names if not name.startswith(".")]
            for name in current:
                prerequisites = [p for p in match.group(2).split() if not p.startswith("$")]
                rules.setdefault(name, ([], [], number))[0].extend(prerequisites)
                if match.group(3):
                    rules[name][1].append((number, match.group(3).strip()))
        self._makefiles[path] = rules
        return rules

    # invoke and nox: Python files whose functions run commands ------------------------------

    def _invoke(self, args: list[str], directory: str) -> Iterator[Step]:
        path = _join(directory, "tasks.py")
        if path not in self._paths:
            return
        tasks = self._python_tasks_of(path, "invoke")
        for name in (a for a in args if not a.startswith("-")):
            for line, command in tasks.get(name.replace("-", "_"), []):
                yield Step(command, path, line)

    def _nox(self, args: list[str], directory: str) -> Iterator[Step]:
        path = _join(directory, "noxfile.py")
        if path not in self._paths:
            return
        sessions = self._python_tasks_of(path, "nox")
        chosen = [
            name
            for flag, name in itertools.pairwise(args)
            if flag in ("-s", "--session", "--sessions", "-e")
        ]
        for name in chosen or list(sessions):
            for line, command in sessions.get(name.replace("-", "_"), []):
                yield Step(command, path, line)

    def _python_tasks_of(self, path: str, kind: str) -> dict[str, list[tuple[int, str]]]:
        """Per function: the commands its ``c.run("…")`` (invoke) or ``session.run("…", …)``
        (nox) calls name, as literal strings only."""
        key = (path, kind)
        if key in self._python_tasks:
            return self._python_tasks[key]
        tasks: dict[str, list[tuple[int, str]]] = {}
        try:
            module = ast.parse(self._tree.text(path) or "")
        except (SyntaxError, ValueError, RecursionError):
            module = ast.Module(body=[], type_ignores=[])
        for function in module.body:
            if not isinstance(function, ast.FunctionDef):
                continue
            commands: list[tuple[int, str]] = []
            for node in ast.walk(function):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                    continue
                if node.func.attr not in ("run", "run_always", "sudo"):
                    continue
                literals = [
                    arg.value
                    for arg in node.args
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                ]
                if not literals:
                    continue
                text = literals[0] if kind == "invoke" else " ".join(literals)
                commands += [(node.lineno, command) for _, command in commands_in(text)]
            tasks[function.name] = commands
        self._python_tasks[key] = tasks
        return tasks

    # pre-commit ------------------------------------------------------------------------------

    def _pre_commit(self, args: list[str], directory: str) -> Iterator[Step]:
        """The hooks ``pre-commit run [HOOK]`` runs, each as its tool's command; formatters
        count in check mode, since a hook fails when it would change a file."""
        path = _join(directory, ".pre-commit-config.yaml")
        document = self._tree.document(path) if path in self._paths else None
        data = document.data if document is not None else None
        repos = data.get("repos") if isinstance(data, dict) else None
        chosen = [a for a in args if not a.startswith("-")][:1]
        for r, repo in enumerate(repos if isinstance(repos, list) else []):
            hooks = repo.get("hooks") if isinstance(repo, dict) else None
            for h, hook in enumerate(hooks if isinstance(hooks, list) else []):
                hook_id = hook.get("id") if isinstance(hook, dict) else None
                if not isinstance(hook_id, str) or (chosen and hook_id not in chosen):
                    continue
                line = document.line_of(("repos", r, "hooks", h, "id")) if document else None
                command = {"ruff-format": "ruff format --check", "ruff-check": "ruff check"}.get(
                    hook_id, hook_id
                )
                if hook_id in ("black", "isort"):
                    command += " --check"
                yield Step(command, path, line or 1)

    # tox --------------------------------------------------------------------------------------

    def _tox(self, args: list[str], directory: str) -> Iterator[Step]:
        path = _join(directory, "tox.ini")
        text = self._tree.text(path) if path in self._paths else None
        if text is None:
            pyproject = self._pyproject(directory)
            text = pyproject.get("tool", {}).get("tox", {}).get("legacy_tox_ini")
            path = _join(directory, "pyproject.toml")
            if not isinstance(text, str):
                return
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        try:
            parser.read_string(text)
        except configparser.Error:
            return
        chosen = [
            env
            for flag, value in itertools.pairwise(args)
            if flag in ("-e", "--env")
            for env in value.split(",")
        ]
        if not chosen and parser.has_option("tox", "envlist"):
            chosen = [e.strip() for e in re.split(r"[,\s]+", parser.get("tox", "envlist")) if e]
        lines = text.split("\n")
        for env in chosen or [""]:
            # An environment without its own commands runs those of [testenv].
            section = f"testenv:{env}"
            if not parser.has_option(section, "commands"):
                section = "testenv"
            if not parser.has_option(section, "commands"):
                continue
            for command in parser.get(section, "commands").split("\n"):
                command = command.strip()
                if command:
                    yield Step(command, path, _line_containing(lines, command))

    # pyproject scripts and npm -----------------------------------------------------------------

    def _pyproject(self, directory: str) -> dict[str, Any]:
        path = _join(directory, "pyproject.toml")
        if path not in self._pyprojects:
            try:
                parsed = tomllib.loads(self._tree.text(path) or "") if path in self._paths else {}
            except (tomllib.TOMLDecodeError, ValueError):
                parsed = {}
            self._pyprojects[path] = parsed
        return self._pyprojects[path]

    def _script_tables(self, directory: str) -> Iterator[dict[str, Any]]:
        tool = self._pyproject(directory).get("tool", {})
        if not isinstance(tool, dict):
            return
        for table in (
            tool.get("poe", {}).get("tasks"),
            tool.get("pdm", {}).get("scripts"),
            *(
                env.get("scripts")
                for env in tool.get("hatch", {}).get("envs", {}).values()
                if isinstance(env, dict)
            ),
        ):
            if isinstance(table, dict):
                yield table

    def _pyproject_names(self, directory: str) -> set[str]:
        return {name for table in self._script_tables(directory) for name in table}

    def _pyproject_scripts(self, directory: str, name: str) -> Iterator[Step]:
        for table in self._script_tables(directory):
            if name in table:
                yield from self._script_steps(directory, table[name])

    def _pyproject_script(self, directory: str, keys: tuple[str, ...], name: str) -> Iterator[Step]:
        table: Any = self._pyproject(directory)
        for key in keys:
            table = table.get(key, {}) if isinstance(table, dict) else {}
        if isinstance(table, dict) and name in table:
            yield from self._script_steps(directory, table[name])

    def _script_steps(self, directory: str, value: Any) -> Iterator[Step]:
        path = _join(directory, "pyproject.toml")
        lines = (self._tree.text(path) or "").split("\n")
        texts: list[str] = []
        if isinstance(value, str):
            texts = [value]
        elif isinstance(value, list):
            texts = [item for item in value if isinstance(item, str)]
            texts += [
                item.get("cmd") or item.get("shell") or ""
                for item in value
                if isinstance(item, dict)
            ]
        elif isinstance(value, dict):
            texts = [value.get("cmd") or value.get("shell") or value.get("call") or ""]
            sequence = value.get("sequence") or value.get("composite")
            if isinstance(sequence, list):
                texts += [item for item in sequence if isinstance(item, str)]
        for text in texts:
            for _, command in commands_in(str(text)):
                yield Step(command, path, _line_containing(lines, command))

    def _npm(self, args: list[str], directory: str) -> Iterator[Step]:
        words = [a for a in args if not a.startswith("-")]
        if words and words[0] in ("run", "run-script"):
            words = words[1:]
        elif words and words[0] == "test":
            pass
        if not words:
            return
        path = _join(directory, "package.json")
        document = self._tree.document(path) if path in self._paths else None
        scripts = (
            document.data.get("scripts") if document and isinstance(document.data, dict) else None
        )
        if isinstance(scripts, dict) and isinstance(scripts.get(words[0]), str):
            line = document.line_of(("scripts", words[0])) or 1 if document else 1
            for _, command in commands_in(scripts[words[0]]):
                yield Step(command, path, line)


def _line_containing(lines: list[str], text: str) -> int:
    probe = text.strip()[:60]
    for number, line in enumerate(lines, 1):
        if probe and probe in line:
            return number
    return 1
