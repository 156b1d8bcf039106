"""Options and output helpers shared by the command modules."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import IO, Annotated, Any

import typer
from rich.console import Console, RenderableType

from assay.errors import ConfigurationError
from assay.store import Store, open_existing_store, open_store
from assay.store.config import choose_database

__all__ = [
    "DbOption",
    "FormatOption",
    "OutputFormat",
    "OutputOption",
    "PendingOutputs",
    "announce",
    "emit",
    "existing_store",
    "open_output",
    "store_from_option",
    "write_binary_output",
]


class OutputFormat(StrEnum):
    """How a command prints its results."""

    table = "table"
    json = "json"


DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL (SQLAlchemy form). Default: $ASSAY_DATABASE_URL, else the SQLite file "
        "assay.db in $ASSAY_HOME (~/.local/share/assay).",
        show_default=False,
    ),
]
FormatOption = Annotated[
    OutputFormat,
    typer.Option("--format", "-f", help="table for people, json for machines."),
]
OutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help="Write to this file instead of standard output.",
        dir_okay=False,
        show_default=False,
    ),
]


@contextmanager
def store_from_option(db: str | None) -> Iterator[Store]:
    """Open (and migrate) the database the user chose, closing it afterwards."""
    store = open_store(choose_database(db))
    try:
        yield store
    finally:
        store.close()


@contextmanager
def existing_store(db: str | None) -> Iterator[Store]:
    """Open the database the user chose to read it: it must exist already, and nothing is
    created, migrated or written (exit 2 "no store at …" otherwise)."""
    store = open_existing_store(choose_database(db))
    try:
        yield store
    finally:
        store.close()


@contextmanager
def open_output(output: Path | None) -> Iterator[IO[str]]:
    """Standard output, or ``output`` written whole only when the block succeeds.

    The text goes to a temporary file next to ``output`` that replaces it at the end, so a
    failed command never leaves a half-written file or destroys the previous one.
    """
    if output is None or str(output) == "-":
        yield sys.stdout
        return
    with _replacing(output, binary=False) as stream:
        yield stream


def write_binary_output(output: Path, content: bytes) -> None:
    """Write ``content`` to ``output`` whole, or leave the earlier file as it was."""
    with _replacing(output, binary=True) as stream:
        stream.write(content)


def _partial(output: Path, *, binary: bool) -> tuple[Path, IO[Any]]:
    """The temporary twin of ``output`` beside it, open for writing; :class:`ConfigurationError`
    naming ``output`` when it cannot be written there."""
    partial = output.with_name(f".{output.name}.partial")
    try:
        stream = partial.open("wb") if binary else partial.open("w", encoding="utf-8")
    except OSError as error:
        raise ConfigurationError(
            f"cannot write the output file ({error.strerror})",
            source=str(output),
            expected="a path in an existing, writable directory",
        ) from error
    return partial, stream


@contextmanager
def _replacing(output: Path, *, binary: bool) -> Iterator[IO[Any]]:
    partial, stream = _partial(output, binary=binary)
    try:
        with stream:
            yield stream
        partial.replace(output)
    finally:
        partial.unlink(missing_ok=True)


class PendingOutputs:
    """Output files opened before a command stores anything and put in place only after it has
    stored it all, so that a command that fails changes neither the store nor any file.

    ``open(path)`` creates the file's temporary twin at once (a missing or unwritable directory
    is refused there, before any work); ``commit()`` moves every twin into place; leaving the
    ``with`` block without committing removes them.
    """

    def __init__(self) -> None:
        self._pending: list[tuple[Path, Path, IO[str]]] = []

    def __enter__(self) -> PendingOutputs:
        return self

    def open(self, output: Path) -> IO[str]:
        """A text stream whose content becomes ``output`` on :meth:`commit`."""
        partial, stream = _partial(output, binary=False)
        self._pending.append((output, partial, stream))
        return stream

    def commit(self) -> None:
        """Put every file in place."""
        for output, partial, stream in self._pending:
            stream.close()
            partial.replace(output)
        self._pending.clear()

    def __exit__(self, *exc: object) -> None:
        for _, partial, stream in self._pending:
            stream.close()
            partial.unlink(missing_ok=True)
        self._pending.clear()


def emit(
    output: Path | None, fmt: OutputFormat, data: Any, table: RenderableType | None = None
) -> None:
    """Print ``data`` as indented JSON, or ``table`` (a Rich renderable) for people; into
    ``output`` (written whole, replacing it) with "wrote FILE" on standard error."""
    with open_output(output) as stream:
        if fmt is OutputFormat.json or table is None:
            stream.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        else:
            # Files and pipes have no width: render wide rather than squeeze into 80 columns.
            width = None if stream.isatty() else 160
            # markup=False: names and values from users are text, never Rich markup.
            Console(file=stream, width=width, highlight=False, markup=False).print(table)
    announce(output)


def announce(output: Path | None) -> None:
    """Say on standard error that ``output`` was written (nothing for standard output): every
    command that writes ``-o FILE`` says so the same way."""
    if output is not None and str(output) != "-":
        typer.echo(f"wrote {output}", err=True)
