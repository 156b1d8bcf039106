"""Reading data sets for the probes: CSV and Parquet, through pyarrow."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from assay.files.csv_rows import header_names, header_problem, malformed_row, printable
from assay.probes.table import Table

__all__ = [
    "TableError",
    "check_engine_file",
    "file_digest",
    "first_line",
    "is_parquet",
    "parquet_parts",
    "parquet_schema",
    "read_table",
]

_CHUNK = 1 << 20


class TableError(ValueError):
    """A data file cannot be read; the message names it and says why."""


def file_digest(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in chunks; of a directory of Parquet files
    (:func:`parquet_parts`), the SHA-256 of one line per file, in order: its path inside the
    directory (``/`` between names), a tab, its SHA-256."""
    if path.is_dir():
        lines = (
            f"{part.relative_to(path).as_posix()}\t{file_digest(part)}\n"
            for part in parquet_parts(path)
        )
        return hashlib.sha256("".join(lines).encode()).hexdigest()
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


_PARQUET_SUFFIXES = (".parquet", ".pq")


def parquet_parts(path: Path) -> list[Path]:
    """The Parquet files a data set at ``path`` is read from: the file itself, or for a
    directory (a data set written in parts, as Spark, pyarrow and DuckDB write one) every file
    named ``.parquet`` or ``.pq`` below it, sorted by its path inside the directory (``/``
    between names, compared by code point), skipping names that
    begin with ``_`` or ``.`` (``_SUCCESS``, checksums, metadata), as Spark does.
    :class:`TableError` for a directory without such a file, or one holding a link: its parts
    are read as plain files inside it, never as what a link points to."""
    if not path.is_dir():
        return [path]
    inside = path.resolve()
    parts = []
    # Sorted as their paths inside the directory are written, code point by code point.
    for found in sorted(path.rglob("*"), key=lambda each: each.relative_to(path).as_posix()):
        relative = found.relative_to(path)
        if any(name.startswith(("_", ".")) for name in relative.parts):
            continue
        if found.is_symlink() or inside not in found.resolve().parents:
            raise TableError(
                f"{found} is a symbolic link; the files of a Parquet directory are read only "
                "as plain files inside it"
            )
        if found.is_file() and found.suffix.lower() in _PARQUET_SUFFIXES:
            parts.append(found)
    if not parts:
        raise TableError(
            f"{path} is a directory without Parquet files; expected a Parquet file, a "
            "directory of Parquet files (as Spark writes them) or a CSV file"
        )
    return parts


# Characters a file-reading engine (DuckDB, Spark's Hadoop file system) takes as a pattern.
_PATTERN_MARKS = ("*", "?", "[", "{", "\\")
# A missing value in a CSV file is an empty field, in a column of text too, as DuckDB and Spark
# read it; "NA", "null" and the like are text. (pyarrow's defaults read an empty field of text
# as a value, and "NA" in a column of numbers as missing, where the other engines read text.)
_CSV_MISSING = pa_csv.ConvertOptions(
    null_values=[""], strings_can_be_null=True, quoted_strings_can_be_null=True
)


def check_engine_file(path: Path, engine: str) -> None:
    """:class:`TableError` for a file that does not exist, or whose name ``engine`` would read
    as a pattern — matching other files than the one checked and confined —, or a CSV file that
    is not UTF-8 text or has no usable header: the memory engine's refusals, in its words."""
    if not path.is_file() and not path.is_dir():
        raise TableError(f"no such file: {path}")
    # The engine opens the resolved path: a link to a name with such a mark is refused too.
    for part in parquet_parts(path):
        if any(mark in str(name) for name in (part, part.resolve()) for mark in _PATTERN_MARKS):
            raise TableError(
                f"{part}: a name with {' '.join(_PATTERN_MARKS)} is refused by the {engine} "
                "engine (rename the file, or use --engine memory)"
            )
    if path.is_dir():
        names: list[str] | None = list(parquet_schema(path).names)
    elif is_parquet(path):
        try:
            names = list(pq.read_schema(path).names)
        except (OSError, pa.ArrowException):
            names = None  # left to the engine's own refusal
    else:
        _check_text(path)
        names = check_csv_header(path)
    _check_names_apart(path, names, engine)


def _check_names_apart(path: Path, names: list[str] | None, engine: str) -> None:
    """:class:`TableError` for two columns whose names differ only in case: DuckDB renames
    the second (``e_1``), Spark refuses the file in its own words; the memory engine reads
    both."""
    seen: dict[str, str] = {}
    for name in names or []:
        other = seen.setdefault(name.lower(), name)
        if other != name:
            raise TableError(
                f"cannot read {path}: columns {printable(other)!r} and {printable(name)!r} "
                f"differ only in case, which the {engine} engine cannot tell apart; expected "
                "names that differ in more than case (or --engine memory)"
            )


def check_csv_header(path: Path) -> list[str] | None:
    """The names of a CSV file's header row (reading up to the first row only);
    :class:`TableError` for a file without one, or whose header names a column twice. None
    when the first row cannot be read: the engine's reading says where it breaks."""
    try:
        header = header_names(path)
    except ValueError:
        return None
    problem = header_problem(header)
    if problem is not None:
        raise TableError(f"cannot read {path}: {problem}")
    return header


def is_parquet(path: Path) -> bool:
    """True for what every engine reads as Parquet: a file named ``.parquet`` or ``.pq``, or a
    directory of such files (:func:`parquet_parts`); any other file is read as CSV."""
    return path.suffix.lower() in _PARQUET_SUFFIXES or path.is_dir()


def parquet_schema(path: Path) -> pa.Schema:
    """The schema of a Parquet file, or of a directory's parts, which must all have the same
    columns of the same types (:class:`TableError` naming the first that does not)."""
    parts = parquet_parts(path)
    schema = _part_schema(path, parts[0])
    for part in parts[1:]:
        other = _part_schema(path, part)
        if not other.equals(schema):
            raise TableError(
                f"cannot read {path}: {part.relative_to(path)} has other columns or types "
                f"({_schema_text(other)}) than {parts[0].relative_to(path)} "
                f"({_schema_text(schema)}); expected the same in every file"
            )
    return schema


def _part_schema(path: Path, part: Path) -> pa.Schema:
    """The schema in ``part``'s footer; :class:`TableError` naming the part of the
    directory ``path`` (or the file) that has none."""
    try:
        return pq.read_schema(part).remove_metadata()
    except (OSError, pa.ArrowException) as error:
        where = f"{path}: {part.relative_to(path)}" if part != path else str(path)
        raise TableError(f"cannot read {where}: {ascii(first_line(error))[1:-1]}") from None


def _schema_text(schema: pa.Schema) -> str:
    return ", ".join(printable(f"{field.name}: {field.type}") for field in schema)


def first_line(error: BaseException) -> str:
    """The first line of an error's message (engines raise pages of context), or its type."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


_SNIFF = 1 << 16
_EXPECTED = "expected a CSV file in UTF-8, or Parquet named .parquet"
# How the files a CSV file often travels in begin (their magic numbers), and how to open them.
# bzip2's three letters could begin a CSV header: its block's own magic number must follow.
_COMPRESSED = (
    (re.compile(rb"\x1f\x8b"), "compressed with gzip", "decompress it first: gunzip"),
    (
        re.compile(rb"BZh[1-9](?:1AY&SY|\x17rE8P\x90)"),
        "compressed with bzip2",
        "decompress it first: bunzip2",
    ),
    (re.compile(rb"\xfd7zXZ\x00"), "compressed with xz", "decompress it first: unxz"),
    (re.compile(rb"\x28\xb5\x2f\xfd"), "compressed with zstd", "decompress it first: unzstd"),
    (
        re.compile(rb"PK\x03\x04"),
        "a ZIP archive (or a workbook saved by a spreadsheet)",
        "extract the CSV file, or save the sheet as CSV",
    ),
)


def _check_text(path: Path) -> None:
    """Refuse a file that is not UTF-8 text before pyarrow reads it, saying where, so no
    message ever carries the file's raw bytes."""
    with path.open("rb") as stream:
        head = stream.read(_SNIFF)
    if head.startswith(b"PAR1"):
        raise TableError(f"{path} is a Parquet file; name it .parquet")
    for magic, kind, hint in _COMPRESSED:
        if magic.match(head):
            raise TableError(
                f"{path} is {kind}, which the probes do not read; {_EXPECTED} ({hint})"
            )
    if b"\x00" in head:
        offset = head.index(b"\x00")
        raise TableError(f"{path} is binary (a NUL byte at offset {offset}); {_EXPECTED}")
    # A multi-byte character may be cut at the end of what was read; the rest must decode.
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 3 or len(head) < _SNIFF:
            byte = head[error.start]
            raise TableError(
                f"{path} is not UTF-8 text (byte 0x{byte:02x} at offset {error.start}); {_EXPECTED}"
            ) from None


def _check_quotes_closed(path: Path, data: pa.Table) -> None:
    """Refuse a file with a quote never closed, which pyarrow reads as one value running to
    the end of the file (the rows after it lost). Such a value holds a line break, in the last
    row; only then is the file read again to find where (a value may span lines rightly)."""
    if data.num_rows == 0:
        return
    last = data.slice(data.num_rows - 1)
    if not any(
        pa.types.is_string(column.type) and "\n" in str(column[0].as_py() or "")
        for column in last.columns
    ):
        return
    where = malformed_row(path)
    if where is not None:
        raise TableError(f"cannot read {path}: CSV parse error on {where}")


def read_table(path: Path, columns: Sequence[str] | None = None) -> Table:
    """The data set at ``path`` (``.parquet``/``.pq``, else CSV), only ``columns`` when given,
    with the SHA-256 of the file. :class:`TableError` for a missing, unreadable or empty file."""
    if not path.is_file() and not path.is_dir():
        raise TableError(f"no such file: {path}")
    try:
        if is_parquet(path):
            available = parquet_schema(path).names
            wanted = [c for c in columns if c in available] if columns is not None else None
            # A list of files: no partition columns read from directory names (as the others).
            source = [str(part) for part in parquet_parts(path)] if path.is_dir() else path
            data = pq.read_table(source, columns=wanted, partitioning=None)
        else:
            _check_text(path)
            check_csv_header(path)
            data = pa_csv.read_csv(path, convert_options=_CSV_MISSING)
            _check_quotes_closed(path, data)
            if columns is not None:
                data = data.select([c for c in columns if c in data.column_names])
    except TableError:
        raise
    except (pa.ArrowException, OSError, ValueError) as error:
        said = first_line(error)
        where = malformed_row(path) if said.startswith("CSV parse error") else None
        if where is not None:  # pyarrow names the row, not its line
            raise TableError(f"cannot read {path}: CSV parse error on {where}") from None
        raise TableError(f"cannot read {path}: {ascii(said)[1:-1]}") from None
    if data.num_rows == 0:
        raise TableError(f"{path} has no rows")
    return Table(data, str(path), file_digest(path))
