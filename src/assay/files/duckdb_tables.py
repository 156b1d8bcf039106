"""Data files opened in DuckDB for the out-of-core probe engine: each file a view
(``read_parquet`` for ``.parquet``/``.pq`` or a directory of such files, else ``read_csv``
with DuckDB's type detection), in an in-memory database that spills to a temporary directory
of its own.

A CSV file is read in the dialect the in-memory engine reads (pyarrow's defaults): commas,
double quotes doubled inside a quoted value, one header row, and every row with as many fields
as the header. DuckDB's sniffer would otherwise guess another delimiter, skip leading rows or
take a malformed row as data; a row that breaks the dialect, found anywhere in the file (not
only in the sniffer's sample), refuses the file, naming its line."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import duckdb

from assay.files.csv_rows import malformed_row, printable
from assay.files.tables import (
    TableError,
    check_engine_file,
    first_line,
    is_parquet,
    parquet_parts,
)
from assay.probes.duckdb_engine import DuckTable

__all__ = ["LIMIT_VARIABLE", "duck_tables", "estimated_memory", "memory_limit"]


_CSV_ERROR = re.compile(r"CSV Error on Line: (\d+)|Error when sniffing file")
_CSV_FILE = re.compile(r"^\s*file = (.*)$", re.MULTILINE)


def _csv_problem(error: duckdb.Error, paths: list[Path]) -> TableError | None:
    """A refusal naming the file, the line and the row for DuckDB's error about a CSV file
    that breaks the dialect (met by its sniffer or its scan); None for another error."""
    text = str(error)
    csv_error = _CSV_ERROR.search(text)
    if csv_error is None:
        return None
    named = _CSV_FILE.search(text)
    path = next((p for p in paths if named and str(p) == named.group(1).strip()), None)
    if path is None and len(paths) == 1:
        path = paths[0]
    if path is None:
        return None
    where = malformed_row(path)
    if where is not None:
        return TableError(f"cannot read {path}: CSV parse error on {where}")
    # The rows fit: a value does not (a type guessed from the sample), or DuckDB found no
    # dialect at all.
    described = printable(_described(text) or first_line(error))
    if csv_error.group(1):
        return TableError(
            f"cannot read {path}: CSV parse error on line {csv_error.group(1)}: {described}"
        )
    return TableError(f"cannot read {path}: {described}")


def _unreadable(error: duckdb.Error, paths: list[Path]) -> TableError | None:
    """A refusal for data DuckDB cannot read once a probe reads it (a Parquet file whose
    pages are broken behind a sound footer), naming the file where DuckDB does, else every
    file; None for another error (of the engine's own queries)."""
    reading = (duckdb.IOException, duckdb.InvalidInputException)
    if type(error) is not duckdb.Error and not isinstance(error, reading):
        return None
    text = str(error)
    named = [path for path in paths if str(path) in text]
    which = list(dict.fromkeys(named or paths))
    files = str(which[0]) if len(which) == 1 else "one of " + ", ".join(map(str, which))
    return TableError(f"cannot read {files}: {printable(first_line(error))}")


def _described(text: str) -> str | None:
    """DuckDB's sentence on what is wrong with a CSV line: the first after the line's number
    and the line itself, before the hints (``Error when converting column "a". …``)."""
    for line in text.splitlines()[1:]:
        if line.strip() and not line.startswith(("Original Line:", "Possible", "*", " ")):
            return line.strip()
    return None


def _relation(connection: duckdb.DuckDBPyConnection, path: Path) -> duckdb.DuckDBPyRelation:
    if is_parquet(path):
        # Each part by name (checked, no pattern), without columns from directory names.
        parts = [str(part) for part in parquet_parts(path)]
        return connection.read_parquet(parts, hive_partitioning=False)
    # The in-memory engine's dialect (pyarrow's defaults), set rather than sniffed (the module).
    return connection.read_csv(
        str(path),
        sep=",",
        quotechar='"',
        escapechar='"',
        header=True,
        skiprows=0,
        comment="",
        # Strict by default; named, strict_mode read a file with CRLF line ends as no rows
        # (DuckDB 2.0.1).
        null_padding=False,
        ignore_errors=False,
    )


LIMIT_VARIABLE = "ASSAY_DUCKDB_MEMORY_LIMIT"


def memory_limit() -> str:
    """How much memory DuckDB may use before it spills: ``ASSAY_DUCKDB_MEMORY_LIMIT`` (DuckDB's
    notation, e.g. ``6GB``) when set, else a quarter of the physical memory."""
    configured = os.environ.get(LIMIT_VARIABLE, "").strip()
    if configured:
        return configured
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return "4GB"
    return f"{max(total // 4 // (1 << 20), 256)}MB"


@contextmanager
def duck_tables(files: Mapping[str, Path]) -> Iterator[dict[str, DuckTable]]:
    """A :class:`DuckTable` per role over its file; :class:`TableError` for a missing or
    unreadable file. DuckDB uses at most :func:`memory_limit` and spills the rest to a
    temporary directory; the database and its spill files are gone when the block ends."""
    with tempfile.TemporaryDirectory(prefix="assay-duckdb-") as spill:
        try:
            connection = duckdb.connect(
                config={"temp_directory": spill, "memory_limit": memory_limit()}
            )
        except duckdb.Error as error:
            raise TableError(f"{LIMIT_VARIABLE}: {error}") from None
        try:
            tables = {}
            for role, path in files.items():
                check_engine_file(path, "duckdb")
                try:
                    _relation(connection, path).create_view(role)
                    tables[role] = DuckTable(connection, role, str(path))
                    rows = tables[role].rows
                except duckdb.Error as error:
                    problem = _csv_problem(error, [path])
                    raise problem or TableError(
                        f"cannot read {path}: {first_line(error)}"
                    ) from None
                if rows == 0:
                    raise TableError(f"{path} has no rows")
            try:
                yield tables
            except duckdb.Error as error:  # a bad row past the sniffer's sample, met by a probe
                paths = list(files.values())
                problem = _csv_problem(error, paths) or _unreadable(error, paths)
                if problem is None:
                    raise
                raise problem from None
        finally:
            connection.close()


def estimated_memory(path: Path) -> int:
    """About how many bytes the data set takes in memory: a Parquet file's uncompressed size,
    or a text file's size."""
    if is_parquet(path):
        import pyarrow.parquet as pq

        total = 0
        for part in parquet_parts(path):
            metadata = pq.ParquetFile(part).metadata
            total += sum(
                metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups)
            )
        return total
    return path.stat().st_size
