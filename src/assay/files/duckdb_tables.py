"""Data files opened in DuckDB for the out-of-core probe engine: each file a view
(``read_parquet`` for ``.parquet``/``.pq``, else ``read_csv`` with DuckDB's type detection),
in an in-memory database that spills to a temporary directory of its own."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import duckdb

from assay.files.tables import TableError, check_engine_file, first_line
from assay.probes.duckdb_engine import DuckTable

__all__ = ["LIMIT_VARIABLE", "duck_tables", "estimated_memory", "memory_limit"]


def _relation(connection: duckdb.DuckDBPyConnection, path: Path) -> duckdb.DuckDBPyRelation:
    if path.suffix.lower() in (".parquet", ".pq"):
        return connection.read_parquet(str(path))
    return connection.read_csv(str(path))


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
                except duckdb.Error as error:
                    raise TableError(f"cannot read {path}: {first_line(error)}") from None
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
