"""Data files opened in Spark for the Spark probe engine: each file a DataFrame
(``spark.read.parquet`` for ``.parquet``/``.pq`` or a directory of such files, else
``spark.read.csv`` with a header and Spark's type inference).

A CSV file is read in the dialect the in-memory engine reads (pyarrow's defaults): commas,
double quotes doubled inside a quoted value (Spark's own escape is a backslash), one header
row, and every row with as many fields as the header. Spark would fill a short row with nulls
and cut a long one; here (``FAILFAST``, with the CSV parser's column pruning off for the
session, so that every field of a row is counted) such a row refuses the file, naming its line.

The session is pyspark's: ``ASSAY_SPARK_MASTER`` (e.g. ``spark://host:7077``) when set, else
what ``spark-submit`` or ``spark-defaults.conf`` configured, else ``local[*]`` (with a few
shuffle partitions per core unless configured). It is started
once per process and kept. On a cluster, every executor must see the files at the same path
(a shared file system)."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from threading import Lock
from typing import Any

from assay.files.csv_rows import malformed_row, printable
from assay.files.tables import (
    TableError,
    check_engine_file,
    first_line,
    is_parquet,
    parquet_parts,
)

__all__ = ["MASTER_VARIABLE", "SparkUnavailableError", "spark_session", "spark_tables"]

MASTER_VARIABLE = "ASSAY_SPARK_MASTER"
_session_lock = Lock()
_LOG_SETTINGS = Path(__file__).with_name("spark-log4j2.properties")


class SparkUnavailableError(TableError):
    """pyspark is not installed, or Java cannot be started."""


def spark_session() -> Any:
    """The process's Spark session, started on first use (see the module for the master).
    :class:`SparkUnavailableError` says what is missing."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise SparkUnavailableError(
            "the spark engine needs pyspark: pip install 'assay[spark]'"
        ) from None
    with _session_lock:
        active = SparkSession.getActiveSession()
        if active is not None:
            return active
        if not os.environ.get("JAVA_HOME") and shutil.which("java") is None:
            raise SparkUnavailableError(
                "the spark engine needs Java 17 or newer (java on PATH, or JAVA_HOME)"
            )
        builder = SparkSession.builder.appName("assay-probes")
        master = os.environ.get(MASTER_VARIABLE, "").strip()
        if master:
            builder = builder.master(master)
        builder = (
            builder.config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={_LOG_SETTINGS}")
        )
        try:
            session = builder.getOrCreate()
        except Exception as error:  # pyspark raises its own runtime errors for a JVM that fails
            raise SparkUnavailableError(f"cannot start Spark: {first_line(error)}") from None
        configured = session.sparkContext.getConf()
        if (session.sparkContext.master or "").startswith("local") and not configured.contains(
            "spark.sql.shuffle.partitions"
        ):
            # Spark's 200 shuffle partitions suit a cluster; on one machine they are mostly
            # scheduling overhead (a few per core keep every core busy).
            session.conf.set("spark.sql.shuffle.partitions", str(2 * (os.cpu_count() or 2)))
        return session


_CSV_PRUNING = "spark.sql.csv.parser.columnPruning.enabled"
_FAILED_FILE = re.compile(r"FAILED_READ_FILE\S*\] Encountered error while reading file (\S+?)\.?\s")
_CAUSE = re.compile(r"^Caused by: (?:[\w.$]+: )?(.+)$", re.MULTILINE)
_MALFORMED = re.compile(r"Malformed CSV record: (.*?)(?: SQLSTATE: \w+)?$", re.MULTILINE)


def _frame(session: Any, path: Path) -> Any:
    location = _location(path)
    if is_parquet(path):
        # Each part by name, so that no column comes from directory names (as the others).
        return session.read.parquet(*(_location(part) for part in parquet_parts(path)))
    # Pruned, Spark's parser reads only the fields a query uses, and a row's count goes unseen.
    session.conf.set(_CSV_PRUNING, "false")
    frame = session.read.csv(
        location, header=True, inferSchema=True, nanValue="nan", escape='"', mode="FAILFAST"
    )
    return _special_numbers_read(frame)


def _location(path: Path) -> str:
    """The file's address for Spark: ``file://`` and its real path as it is written. Hadoop
    quotes a path itself; one already percent-encoded (``Path.as_uri``) is read as a name with
    ``%20`` in it, so that a file with a space, ``=`` or a letter beyond ASCII in its name was
    not found."""
    return "file://" + str(path.resolve())


# A number as pyarrow and DuckDB read one in a CSV file, NaN and the infinities in any case.
_NUMBER = r"(?i)^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)(e[+-]?[0-9]+)?$|^-?(nan|inf|infinity)$"


def _special_numbers_read(frame: Any) -> Any:
    """``frame`` with each column read as doubles, as pyarrow and DuckDB read it, that Spark
    inferred as text only because it spells NaN or an infinity in a way Spark's one spelling of
    each does not cover (``NaN``, ``inf``, ``-Infinity``, as the writers of pyarrow, pandas and
    R do). A column of text whose first rows are numbers costs a pass over the file."""
    from pyspark.sql import types as T

    from assay.probes.spark_engine import _column

    texts = [f.name for f in frame.schema.fields if isinstance(f.dataType, T.StringType)]
    # Most columns of text show a word in their first rows: only the others are read whole.
    head = _numbers_only(frame.limit(_HEAD_ROWS), texts)
    numbers = _numbers_only(frame, [name for name in texts if head[name]])
    if not any(numbers.values()):
        return frame
    return frame.withColumns(
        {name: _column(name).cast(T.DoubleType()) for name, yes in numbers.items() if yes}
    )


_HEAD_ROWS = 1000


def _numbers_only(frame: Any, names: list[str]) -> dict[str, bool]:
    """For each column of ``names``: it has a value and every value is a number (one pass)."""
    from pyspark.sql import functions as F

    from assay.probes.spark_engine import _column

    if not names:
        return {}
    columns = [_column(name) for name in names]
    counted = frame.select(
        *(F.count(column) for column in columns),
        *(F.count(F.when(~column.rlike(_NUMBER), 1)) for column in columns),
    ).first()
    return {
        name: bool(counted[index]) and not counted[len(names) + index]
        for index, name in enumerate(names)
    }


def _read_problem(error: BaseException, files: Mapping[str, Path]) -> TableError | None:
    """A refusal naming the file, the line and the row for Spark's error about a CSV row that
    breaks the dialect, or the file and the cause for a file Spark could not read (a Parquet
    file whose data is broken); None for another error."""
    text = str(error)
    failed = _FAILED_FILE.search(text)
    if failed is None:
        return None
    named = failed.group(1)
    path = next(
        (
            p
            for p in files.values()
            if any(named in (part.resolve().as_uri(), _location(part)) for part in parquet_parts(p))
        ),
        None,
    )
    if path is None:
        return None
    if "MALFORMED" not in text:  # a file Spark cannot read (its data, not only its footer)
        cause = _CAUSE.search(text)
        reason = printable(cause.group(1).strip() if cause else first_line(error))
        return TableError(f"cannot read {path}: {reason}")
    where = malformed_row(path)
    if where is None:  # every row fits the dialect: the record Spark refused spans lines
        record = _MALFORMED.search(text)
        shown = f" ({printable(record.group(1))})" if record else ""
        where = (
            f"a record{shown} the spark engine cannot read: a quoted value spanning lines "
            "(read the file with --engine memory or duckdb, or as Parquet)"
        )
    return TableError(f"cannot read {path}: CSV parse error on {where}")


@contextmanager
def spark_tables(files: Mapping[str, Path]) -> Iterator[dict[str, Any]]:
    """A :class:`~assay.probes.spark_engine.SparkTable` per role over its file;
    :class:`TableError` for a missing or unreadable file or a name Spark would read as a
    pattern."""
    session = spark_session()
    from assay.probes.spark_engine import SparkTable

    tables = {}
    for role, path in files.items():
        check_engine_file(path, "spark")
        try:
            tables[role] = SparkTable(_frame(session, path), str(path))
            rows = tables[role].rows
        except Exception as error:  # Spark's analysis and execution errors, raised from the JVM
            problem = _read_problem(error, {role: path})
            raise problem or TableError(f"cannot read {path}: {first_line(error)}") from None
        if rows == 0:
            raise TableError(f"{path} has no rows")
    try:
        yield tables
    except Exception as error:  # a bad row met by a probe's query rather than by the count
        problem = _read_problem(error, files)
        if problem is None:
            raise
        raise problem from None
