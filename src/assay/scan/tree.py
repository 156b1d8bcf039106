"""What the probes may read of a repository: its file paths, their text and parsed documents.

The adapter in :mod:`assay.files.repository` implements :class:`Tree` over a directory; tests
and benchmarks hand in the same thing. Nothing here touches the file system.
"""

from __future__ import annotations

from collections.abc import Iterator
from fnmatch import fnmatchcase
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
    for path in tree.paths:
        name = path.rsplit("/", 1)[-1]
        for pattern in patterns:
            if fnmatchcase(path if "/" in pattern else name, pattern):
                yield path
                break
