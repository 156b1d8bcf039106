"""Data files opened in DuckDB for the out-of-core probe engine: each file a view
(``read_parquet`` for ``.parquet``/``.pq``, else ``read_csv`` with DuckDB's type detection),
in an in-memory database that spills to a temporary directory of its own."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import duckdb

from assay.files.tables import TableError
from assay.probes.duckdb_engine import DuckTable

__all__ = ["duck_tables", "estimated_memory"]


_PATTERN_MARKS = ("*", "?", "[", "{")


def _relation(connection: duckdb.DuckDBPyConnection, path: Path) -> duckdb.DuckDBPyRelation:
    if path.suffix.lower() in (".parquet", ".pq"):
        return connection.read_parquet(str(path))
    return connection.read_csv(str(path))


@contextmanager
def duck_tables(
    files: Mapping[str, Path], *, memory_limit: str | None = None
) -> Iterator[dict[str, DuckTable]]:
    """A :class:`DuckTable` per role over its file; :class:`TableError` for a missing or
    unreadable file. The database and its spill files are gone when the block ends."""
    with tempfile.TemporaryDirectory(prefix="assay-duckdb-") as spill:
        connection = duckdb.connect(config={"temp_directory": spill})
        try:
            if memory_limit:
                connection.execute(f"SET memory_limit = '{memory_limit}'")
            tables = {}
            for role, path in files.items():
                if not path.is_file():
                    raise TableError(f"no such file: {path}")
                if any(mark in str(path) for mark in _PATTERN_MARKS):
                    # DuckDB reads such a name as a glob: it could reach other files.
                    raise TableError(
                        f"{path}: a name with {' '.join(_PATTERN_MARKS)} is refused by the duckdb "
                        "engine (rename the file, or use --engine memory)"
                    )
                try:
                    _relation(connection, path).create_view(role)
                    tables[role] = DuckTable(connection, role, str(path))
                except duckdb.Error as error:
                    first = str(error).strip().splitlines()[0] if str(error).strip() else ""
                    raise TableError(f"cannot read {path}: {first}") from None
                if tables[role].rows == 0:
                    raise TableError(f"{path} has no rows")
            yield tables
        finally:
            connection.close()


def estimated_memory(path: Path) -> int:
    """About how many bytes the data set takes in memory: a Parquet file's uncompressed size,
    or a text file's size."""
    if path.suffix.lower() in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        metadata = pq.ParquetFile(path).metadata
        return sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))
    return path.stat().st_size
