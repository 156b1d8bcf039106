"""What the probes may read of a repository: its file paths, their text and parsed documents.

The adapter in :mod:`assay.files.repository` implements :class:`Tree` over a directory; tests
and benchmarks hand in the same thing. Nothing here touches the file system.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from fnmatch import translate
from functools import lru_cache
from typing import Any, Protocol

__all__ = ["Document", "Tree", "matching", "suffix_of"]


class Document(Protocol):
    """A parsed YAML or JSON file with the line of each key path."""

    @property
    def data(self) -> Any:
        """The parsed value."""
        ...

    def line_of(self, path: tuple[str | int, ...]) -> int | None:
        """The 1-based line of ``path`` or of its nearest enclosing element."""
        ...


class Tree(Protocol):
    """A snapshot of a repository: relative POSIX paths, their text and their digests."""

    @property
    def paths(self) -> tuple[str, ...]:
        """Every regular file, sorted, vendored and generated directories left out."""
        ...

    @property
    def commit(self) -> str | None:
        """The commit checked out (``HEAD``), or None outside a git work tree."""
        ...

    def text(self, path: str) -> str | None:
        """The file's text, or None when it is binary, too large or unreadable."""
        ...

    def sha256(self, path: str) -> str:
        """The hex SHA-256 of the file's bytes."""
        ...

    def document(self, path: str) -> Document | None:
        """The file parsed as YAML or JSON by the strict loader, None when it does not parse."""
        ...


def suffix_of(path: str) -> str:
    """The lower-case extension of ``path`` including the dot (``.yml``), or ``""``."""
    name = path.rsplit("/", 1)[-1]
    return "." + name.rsplit(".", 1)[-1].lower() if "." in name.lstrip(".") else ""


def matching(tree: Tree, *patterns: str) -> Iterator[str]:
    """The paths of ``tree`` that match one of the glob ``patterns``; a pattern without ``/``
    matches the file name in any directory."""
    by_path, by_name = _compiled(patterns)
    for path in tree.paths:
        if (by_path and by_path.match(path)) or (
            by_name and by_name.match(path[path.rfind("/") + 1 :])
        ):
            yield path


@lru_cache(maxsize=256)
def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
    """One regular expression for the patterns with a ``/`` and one for the name patterns."""
    paths = [translate(p) for p in patterns if "/" in p]
    names = [translate(p) for p in patterns if "/" not in p]
    return (
        re.compile("|".join(paths)) if paths else None,
        re.compile("|".join(names)) if names else None,
    )
