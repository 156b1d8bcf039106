"""Finding code, not prose: lines of Python modules and notebook code cells, with comments,
docstrings and Markdown left out, so a tool merely mentioned is never taken for a tool used."""

from __future__ import annotations

import io
import re
import tokenize
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


def python_lines(source: str) -> Iterator[tuple[int, str, str]]:
    """The lines of Python ``source`` that hold code, as ``(line number, code, raw)``:
    comments are cut off, lines that are only a string statement (docstrings) are dropped, and
    in ``code`` the contents of string literals are blanked (``"…"`` → ``""``), so a tool's
    name inside a string (a regular expression, a message) is not taken for its use. ``raw`` is
    the line without its comment. Source that does not tokenize falls back to dropping ``#``
    lines only, strings kept."""
    lines = source.split("\n")
    prose: set[int] = set()
    comment_at: dict[int, int] = {}
    strings: list[tuple[tuple[int, int], tuple[int, int]]] = []
    try:
        previous = tokenize.NEWLINE
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                comment_at[token.start[0]] = token.start[1]
            elif token.type == tokenize.STRING:
                if previous in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.NL):
                    prose.update(range(token.start[0], token.end[0] + 1))
                else:
                    strings.append((token.start, token.end))
            if token.type not in (tokenize.COMMENT, tokenize.NL):
                previous = token.type
    except (tokenize.TokenError, IndentationError, SyntaxError):
        prose = {n for n, text in enumerate(lines, 1) if text.lstrip().startswith("#")}
        comment_at, strings = {}, []
    masked = _blank_strings(lines, strings)
    for number, text in enumerate(lines, 1):
        if number in prose:
            continue
        code = masked[number - 1]
        if number in comment_at:
            text = text[: comment_at[number]]
            code = code[: comment_at[number]]
        if text.strip():
            yield number, code, text


def _blank_strings(
    lines: list[str], strings: list[tuple[tuple[int, int], tuple[int, int]]]
) -> list[str]:
    """``lines`` with every string literal's span replaced by spaces inside its quotes, so
    columns (and comment positions) stay where they were."""
    masked = list(lines)
    for (start_row, start_col), (end_row, end_col) in strings:
        for row in range(start_row, end_row + 1):
            line = masked[row - 1]
            first = start_col + 1 if row == start_row else 0
            last = end_col - 1 if row == end_row else len(line)
            if last > first:
                masked[row - 1] = line[:first] + " " * (last - first) + line[last:]
    return masked


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
