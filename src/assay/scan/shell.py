"""Reading shell text the way CI systems and task runners hold it: one command per line,
continuations joined, ``&&``/``;``/``||``/``|`` chains split, environment assignments and
wrappers (``uv run``, ``poetry run``, ``python -m``) peeled off."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator

__all__ = ["commands_in", "program_and_args", "split_words"]

_SEPARATORS = re.compile(r"\s*(?:&&|\|\||;|\|)\s*")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_WRAPPERS = {
    ("uv", "run"),
    ("poetry", "run"),
    ("pdm", "run"),
    ("pipenv", "run"),
    ("hatch", "run"),
    ("rye", "run"),
    ("conda", "run"),
}
_PREFIXES = {"time", "exec", "sudo", "env", "xvfb-run", "timeout", "nohup", "command"}


def commands_in(text: str) -> Iterator[tuple[int, str]]:
    """The commands of a shell script as ``(0-based line offset, command)``: backslash
    continuations joined, comment lines dropped, chains split."""
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        start = index
        line = lines[index]
        while line.rstrip().endswith("\\") and index + 1 < len(lines):
            index += 1
            line = line.rstrip()[:-1] + " " + lines[index].strip()
        index += 1
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        for part in _SEPARATORS.split(stripped):
            if part:
                yield start, part


def split_words(command: str) -> list[str]:
    """Shell words of ``command``; an unbalanced quote falls back to splitting on spaces."""
    try:
        return shlex.split(command, comments=True)
    except ValueError:
        return command.split()


def program_and_args(command: str) -> list[str]:
    """The words of ``command`` from the program on: environment assignments, prefixes such as
    ``time`` and wrappers such as ``uv run --frozen`` or ``python -m`` peeled off, the program
    reduced to its base name (``.venv/bin/pytest`` → ``pytest``)."""
    words = split_words(command)
    changed = True
    while words and changed:
        changed = False
        while words and (_ASSIGNMENT.match(words[0]) or words[0] in _PREFIXES):
            words = words[1:]
            changed = True
        if len(words) >= 2 and (words[0].rsplit("/", 1)[-1], words[1]) in _WRAPPERS:
            words = words[2:]
            while words and words[0].startswith("-"):
                words = words[1:]
            changed = True
        if words and re.fullmatch(r"python[0-9.]*", words[0].rsplit("/", 1)[-1]):
            rest = words[1:]
            while rest and rest[0].startswith("-") and rest[0] != "-m":
                rest = rest[1:]
            if len(rest) >= 2 and rest[0] == "-m":
                words = rest[1:]
                changed = True
    if words:
        words[0] = words[0].rsplit("/", 1)[-1]
    return words
