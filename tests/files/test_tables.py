"""Data files the probes read: what is not CSV text or Parquet is refused with a message that
names the file and the place, never the file's raw bytes."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from assay.files.tables import TableError, read_table


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is binary (a NUL byte at offset 8)"),
        (b"a,b\n1,2\n3,\xff\xfe\n", "is not UTF-8 text (byte 0xff at offset 10)"),
        (b"a,b\n" + "é".encode("latin-1") + b",1\n", "is not UTF-8 text (byte 0xe9 at offset 4)"),
    ],
)
def test_binary_and_non_utf8_files_are_refused_by_place(
    tmp_path: Path, content: bytes, said: str
) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(content)
    with pytest.raises(TableError) as refused:
        read_table(path)
    message = str(refused.value)
    assert said in message
    assert str(path) in message
    assert message.isprintable()
    assert "\\x" not in message


def _zipped(text: bytes) -> bytes:
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w") as archive:
        archive.writestr("data.csv", text)
    return stream.getvalue()


CSV_TEXT = b"a,b\n1,2\n3,4\n"


@pytest.mark.parametrize(
    ("packed", "said"),
    [
        # Named: the packed bytes hold the time they were made, and xdist's workers must
        # collect the same test names.
        pytest.param(
            gzip.compress(CSV_TEXT, mtime=0),
            "is compressed with gzip, which the probes do not read",
            id="gzip",
        ),
        pytest.param(
            bz2.compress(CSV_TEXT),
            "is compressed with bzip2, which the probes do not read",
            id="bzip2",
        ),
        pytest.param(bz2.compress(b""), "is compressed with bzip2", id="bzip2-empty"),
        pytest.param(
            lzma.compress(CSV_TEXT), "is compressed with xz, which the probes do not read", id="xz"
        ),
        pytest.param(
            pa.compress(CSV_TEXT, "zstd", asbytes=True), "is compressed with zstd", id="zstd"
        ),
        pytest.param(
            _zipped(CSV_TEXT),
            "is a ZIP archive (or a workbook saved by a spreadsheet)",
            id="zip",
        ),
    ],
)
def test_a_compressed_file_is_named_as_such(tmp_path: Path, packed: bytes, said: str) -> None:
    path = tmp_path / "data.csv.gz"
    path.write_bytes(packed)
    with pytest.raises(TableError) as refused:
        read_table(path)
    message = str(refused.value)
    assert message.startswith(f"{path} {said}")
    assert "expected a CSV file in UTF-8, or Parquet named .parquet" in message
    assert message.isprintable()


def test_a_csv_header_that_begins_as_bzip2_does_is_read(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("BZh9,PK\n1,2\n")
    assert read_table(path).columns == ["BZh9", "PK"]


def test_a_parquet_file_named_csv_is_recognised(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    pq.write_table(pa.table({"a": [1, 2]}), path)
    with pytest.raises(TableError, match=r"is a Parquet file; name it \.parquet"):
        read_table(path)


def test_utf8_text_with_a_character_cut_at_the_sniffed_boundary_is_read(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    header = "a\n" + "x" * (65535 - 3) + "\n"  # 65,535 bytes: the next character straddles
    content = (header + "é\n" * 10).encode("utf-8")
    assert content[65535:65537] == "é".encode()
    path.write_bytes(content)
    assert read_table(path).rows == 11


def test_a_line_too_long_is_named_without_being_read_whole(tmp_path: Path) -> None:
    """Where a malformed row is looked for (after an engine refused the file), a line past
    DuckDB's bound on a line is reported, not held in memory whole; the header's check stops
    there too."""
    from assay.files.csv_rows import header_names, malformed_row
    from assay.files.tables import check_csv_header

    path = tmp_path / "long.csv"
    path.write_text("a,b\n1,2\n3," + "x" * 2_000_001 + "\n")
    assert malformed_row(path) == "line 3: longer than 2,000,000 characters"
    assert check_csv_header(path) == ["a", "b"]  # no problem in the header
    path.write_text("a" * 2_000_001 + "\n")
    with pytest.raises(ValueError, match="the header row cannot be read"):
        header_names(path)
    assert check_csv_header(path) is None  # no problem claimed: the engine says where


def test_a_parquet_directorys_parts_and_digest_follow_their_paths_by_code_point(
    tmp_path: Path,
) -> None:
    """``a-b.parquet`` before ``a/b.parquet`` ('-' is U+002D, '/' U+002F), where comparing
    name by name would put ``a/b`` first; the digest is over those lines, in that order."""
    import hashlib

    from assay.files.tables import file_digest, parquet_parts

    (tmp_path / "a").mkdir()
    for name, value in (("a/b.parquet", 1.0), ("a-b.parquet", 2.0), ("_c.parquet", 3.0)):
        pq.write_table(pa.table({"x": [value]}), tmp_path / name)
    parts = parquet_parts(tmp_path)
    assert [part.relative_to(tmp_path).as_posix() for part in parts] == [
        "a-b.parquet",
        "a/b.parquet",
    ]
    lines = "".join(
        f"{name}\t{hashlib.sha256((tmp_path / name).read_bytes()).hexdigest()}\n"
        for name in ("a-b.parquet", "a/b.parquet")
    )
    assert file_digest(tmp_path) == hashlib.sha256(lines.encode()).hexdigest()
    assert read_table(tmp_path).data.column("x").to_pylist() == [2.0, 1.0]
