"""Finding code, not prose: lines of Python modules and notebook code cells, with comments,
docstrings and Markdown left out, so a tool merely mentioned is never taken for a tool used."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from assay.scan.tree import Tree, suffix_of

__all__ = ["CodeLine", "code_lines", "is_code_path", "is_test_path", "python_lines"]

_TEST_PATH = re.compile(r"(^|/)(tests?|testing)/|(^|/)(test_[^/]*|[^/]*_test|conftest)\.py$")

_CODE_SUFFIXES = {".py", ".ipynb"}


@dataclass(frozen=True)
class CodeLine:
    """One line of code: the file, its 1-based line in that file, the code on it with string
    contents blanked (``text``) and as written, comment cut off (``raw``)."""

    path: str
    line: int
    text: str
    raw: str


def is_code_path(path: str) -> bool:
    """Whether ``path`` holds Python code the probes read (modules and notebooks)."""
    return suffix_of(path) in _CODE_SUFFIXES


def is_test_path(path: str) -> bool:
    """Whether ``path`` belongs to a test suite (a ``tests``/``test`` directory or a pytest
    file name)."""
    return _TEST_PATH.search(path) is not None


# Comments and string literals of Python, found by one regular expression (far faster than the
# tokenize module, and enough to tell code from prose): triple-quoted strings first, then
# single-line strings, then comments.
_LEXEME = re.compile(
    r'''(?P<string>"""[\s\S]*?(?:"""|\Z)|\'\'\'[\s\S]*?(?:\'\'\'|\Z)'''
    r"""|"(?:\\.|[^"\\\n])*"?|\'(?:\\.|[^\'\\\n])*\'?)|(?P<comment>\#[^\n]*)"""
)
_PREFIX = re.compile(r"[rRbBfFuU]{0,2}")


def python_lines(source: str) -> Iterator[tuple[int, str, str]]:
    """The lines of Python ``source`` that hold code, as ``(line number, code, raw)``:
    comments are cut off, strings that stand alone as a statement (docstrings, string
    "comments") are dropped, and in ``code`` the contents of the other string literals are
    blanked, so a tool's name inside a string (a regular expression, a message) is not taken
    for its use. ``raw`` keeps the strings (comments still cut off)."""
    code: list[str] = []
    raw: list[str] = []
    position = 0
    for match in _LEXEME.finditer(source):
        start, end = match.span()
        code.append(source[position:start])
        raw.append(source[position:start])
        text = match.group()
        if match.group("comment") is not None:
            pass  # dropped from both
        elif _stands_alone(source, start, end):
            prefix = len(source[source.rfind("\n", 0, start) + 1 : start].strip())
            if prefix:  # r"""…""": the prefix letters belong to the string
                code[-1], raw[-1] = (
                    code[-1][:-prefix] + " " * prefix,
                    raw[-1][:-prefix] + " " * prefix,
                )
            blank = re.sub(r"[^\n]", " ", text)
            code.append(blank)
            raw.append(blank)
        else:
            quote = 3 if text[:3] in ('"""', "'''") else 1
            inner = re.sub(r"[^\n]", " ", text[quote:-quote]) if len(text) >= 2 * quote else ""
            code.append(text[:quote] + inner + text[len(text) - quote :] if inner else text)
            raw.append(text)
        position = end
    code.append(source[position:])
    raw.append(source[position:])
    for number, (line, written) in enumerate(
        zip("".join(code).split("\n"), "".join(raw).split("\n"), strict=True), 1
    ):
        if line.strip():
            yield number, line, written


def _stands_alone(source: str, start: int, end: int) -> bool:
    """A string literal that is the whole statement: only a prefix before it on its line, and
    nothing but spaces (or a comment) after it."""
    line_start = source.rfind("\n", 0, start) + 1
    before = source[line_start:start].strip()
    if before and not _PREFIX.fullmatch(before):
        return False
    line_end = source.find("\n", end)
    after = source[end : len(source) if line_end < 0 else line_end].strip()
    return not after or after.startswith("#")


def code_lines(tree: Tree, path: str) -> Iterator[CodeLine]:
    """The code lines of a module or of a notebook's code cells (Markdown cells are prose)."""
    if suffix_of(path) == ".ipynb":
        yield from _notebook_lines(tree, path)
        return
    text = tree.text(path)
    if text is None:
        return
    for number, code, raw in python_lines(text):
        yield CodeLine(path, number, code, raw)


def _notebook_lines(tree: Tree, path: str) -> Iterator[CodeLine]:
    document = tree.document(path)
    if document is None or not isinstance(document.data, dict):
        return
    cells = document.data.get("cells")
    if not isinstance(cells, list):
        return
    for index, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else str(source)
        start = document.line_of(("cells", index, "source")) or 1
        # IPython magics and shell escapes are not Python; they are not tokenized.
        text = re.sub(r"(?m)^\s*[%!].*$", "", text)
        for number, code, raw in python_lines(text):
            if isinstance(source, list):
                at = document.line_of(("cells", index, "source", number - 1)) or start
            else:
                at = start
            yield CodeLine(path, at, code, raw)
