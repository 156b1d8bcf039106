"""Progress of long work on a terminal: a transient bar on standard error, nothing at all when
standard error is not a terminal (CI logs and pipes stay clean)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

__all__ = ["Step", "progress"]


class Step(Protocol):
    """``step(what, done, total)``: what is happening now, and how far when it is counted."""

    def __call__(self, what: str, done: int | None = None, total: int | None = None) -> None:
        """Show ``what`` (and ``done`` of ``total``)."""


def _quiet(what: str, done: int | None = None, total: int | None = None) -> None:
    """Nothing: standard error is not a terminal."""


@contextmanager
def progress() -> Iterator[Step]:
    """A ``step`` callback that shows the current phase and, when counted, ``done`` of
    ``total``; it removes itself when the block ends."""
    if not sys.stderr.isatty():
        yield _quiet
        return
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, transient=True, console=Console(stderr=True)) as bar:
        task = bar.add_task("starting", total=None)

        def step(what: str, done: int | None = None, total: int | None = None) -> None:
            bar.update(task, description=what, completed=done or 0, total=total)

        yield step
