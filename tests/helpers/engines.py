"""Shared by the tests of the probe engines (duckdb, spark): the oracle data sets, and the
comparisons of an engine's figures with the in-memory engine's (themselves checked against
scipy and Evidently in test_drift.py and test_quality.py)."""

from __future__ import annotations

import gzip
import hashlib
import json
import math
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from assay.probes import quality
from assay.probes.drift import DatasetDrift
from assay.probes.table import Table
from tests.helpers.running import run_cli

RELATIVE = 1e-9
PROBES_EVERY_ENGINE_HAS = (
    ("drift.psi", ()),
    ("drift.ks_p_value", ("--column", "score")),
    ("drift.unseen_categories", ("--column", "colour")),
    ("drift.share", ()),
    ("quality.missing_ratio", ()),
    ("quality.duplicate_ratio", ()),
    ("quality.outlier_ratio", ("--column", "gappy")),
    ("quality.constant_columns", ()),
    ("quality.rows", ()),
)


def frames(rows: int, seed: int) -> tuple[pa.Table, pa.Table]:
    """Reference and current data: shifted normals, integers with ties, a column with nulls
    and NaN, a numeric column of four values (judged as categories), text categories with one
    unseen in the reference, a boolean, and duplicated rows."""
    rng = np.random.default_rng(seed)

    def make(shift: float, size: int) -> pa.Table:
        gappy = rng.normal(shift, 2, size)
        gappy[rng.random(size) < 0.1] = np.nan
        nulls = rng.random(size) < 0.05
        colours = np.array(["red", "green", "blue"] + (["violet", "amber"] if shift else []))
        table = pa.table(
            {
                "score": rng.normal(shift, 1.0, size),
                "count": rng.integers(0, 40 + int(10 * shift), size),
                "gappy": pa.array(gappy, mask=nulls),
                "level": rng.integers(1, 5, size).astype(np.float64),
                "colour": colours[rng.integers(0, colours.size, size)],
                "flag": rng.random(size) < 0.3 + shift / 10,
                "constant": np.full(size, 7.0),
            }
        )
        repeated = table.slice(0, size // 20)
        return pa.concat_tables([table, repeated])

    return make(0.0, rows), make(0.4, int(rows * 0.8))


def written(tmp_path: Path, rows: int, suffix: str) -> tuple[dict[str, Path], Table, Table]:
    """The oracle data sets of ``rows`` written as ``suffix`` files, and as the in-memory
    engine reads those files back."""
    reference, current = frames(rows, seed=rows)
    paths = {}
    for role, table in (("reference", reference), ("current", current)):
        paths[role] = tmp_path / f"{role}{suffix}"
        if suffix == ".parquet":
            pq.write_table(table, paths[role])
        else:
            pa_csv.write_csv(table, paths[role])
    read = {
        role: pq.read_table(path) if suffix == ".parquet" else pa_csv.read_csv(path)
        for role, path in paths.items()
    }
    return paths, Table(read["reference"]), Table(read["current"])


def close(memory: float, engine: float) -> bool:
    """Equal to :data:`RELATIVE`."""
    return math.isclose(memory, engine, rel_tol=RELATIVE, abs_tol=1e-12)


def assert_same_drift(engine: DatasetDrift, memory: DatasetDrift) -> None:
    """Every column of ``engine`` has the in-memory engine's kind, method, verdict, sizes,
    unseen categories and statistics (to :data:`RELATIVE`)."""
    assert [c.column for c in engine.columns] == [
        c.column for c in memory.columns if c.column in {e.column for e in engine.columns}
    ]
    for ours in engine.columns:
        theirs = memory.by_column[ours.column]
        assert (ours.kind, ours.method, ours.drifted) == (
            theirs.kind,
            theirs.method,
            theirs.drifted,
        ), ours.column
        assert (ours.reference_rows, ours.current_rows) == (
            theirs.reference_rows,
            theirs.current_rows,
        )
        assert ours.unseen == theirs.unseen
        assert set(ours.statistics) == set(theirs.statistics)
        for name, value in theirs.statistics.items():
            assert close(value, ours.statistics[name]), (
                ours.column,
                name,
                value,
                ours.statistics[name],
            )
    assert engine.columns[0].statistics["ks_statistic"] > 0.1, "the shift is found"


def assert_same_quality(engine: Any, memory: Table) -> None:
    """The engine's table gives the in-memory engine's data-quality figures."""
    assert engine.rows == memory.rows
    assert engine.missing_ratios() == pytest.approx(quality.missing_ratios(memory), rel=RELATIVE)
    assert engine.duplicate_ratio() == quality.duplicate_ratio(memory)
    assert engine.duplicate_ratio(["colour", "flag"]) == quality.duplicate_ratio(
        memory, ["colour", "flag"]
    )
    for column in ("score", "count", "gappy"):
        for method in ("iqr", "zscore"):
            assert close(
                quality.outlier_ratio(memory, column, method),
                engine.outlier_ratio(column, method),
            ), (column, method)
    assert engine.constant_columns() == quality.constant_columns(memory) == ["constant"]


# Columns with infinite values, where an IQR fence can come out NaN (inf - inf); NaN pads the
# shorter ones (a missing value to every engine).
INFINITE_VALUES = {
    "upper": [np.inf] * 6 + [1.0, 2.0],
    "lower": [-np.inf] * 6 + [1.0, 2.0],
    "both": [1.0, 2.0, 3.0, np.inf, 4.0, -np.inf, 5.0, 6.0, 7.0, 8.0],
}


def infinite_values_file(tmp_path: Path) -> tuple[Path, Table]:
    """:data:`INFINITE_VALUES` as a Parquet file, and as the in-memory engine reads it."""
    length = max(len(values) for values in INFINITE_VALUES.values())
    table = pa.table(
        {
            name: values + [np.nan] * (length - len(values))
            for name, values in INFINITE_VALUES.items()
        }
    )
    pq.write_table(table, tmp_path / "infinite.parquet")
    return tmp_path / "infinite.parquet", Table(pq.read_table(tmp_path / "infinite.parquet"))


def assert_same_outliers_with_infinities(engine: Any, memory: Table) -> None:
    """The engine's IQR outlier shares on :data:`INFINITE_VALUES` are the in-memory engine's
    (which test_metrics.py checks against pandas): none outside a NaN fence."""
    for column in INFINITE_VALUES:
        assert engine.outlier_ratio(column) == quality.outlier_ratio(memory, column), column


def mixed_files(tmp_path: Path) -> tuple[Path, Path]:
    """A Parquet reference and a CSV current file of the oracle data (3,000 rows)."""
    reference, current = frames(3_000, seed=11)
    pq.write_table(reference, tmp_path / "reference.parquet")
    pa_csv.write_csv(current, tmp_path / "current.csv")
    return tmp_path / "reference.parquet", tmp_path / "current.csv"


def probe_json(
    capsys: pytest.CaptureFixture[str],
    reference: Path,
    current: Path,
    probe: str,
    engine: str,
    *extra: str,
) -> dict[str, Any]:
    """``assay probe run PROBE --engine ENGINE -f json`` on the two files, parsed."""
    done = run_cli(
        capsys,
        "probe",
        "run",
        probe,
        "--reference",
        str(reference),
        "--current",
        str(current),
        "--engine",
        engine,
        "-f",
        "json",
        *extra,
    )
    assert done.exit_code == 0, done.stderr
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def assert_same_json(memory: dict[str, Any], engine: dict[str, Any], name: str) -> None:
    """The engine's probe JSON has the in-memory engine's inputs and value (at the top)."""
    assert (engine["engine"], memory["engine"]) == (name, "memory")
    assert engine["inputs"] == memory["inputs"]
    if isinstance(memory["value"], list):
        assert engine["value"] == memory["value"], memory["probe"]
    else:
        assert engine["value"] == pytest.approx(memory["value"], rel=RELATIVE), memory["probe"]


def psi_spec(tmp_path: Path, engine: str) -> dict[str, Any]:
    """A spec measuring the PSI of ``score`` between the files of :func:`mixed_files` with
    the probe collector on ``engine``."""
    interface = {
        "kind": "probe",
        "probe": "drift.psi",
        "engine": engine,
        "reference": "reference.parquet",
        "current": "current.csv",
        "column": "score",
    }
    measurement = {"id": "psi", "name": "PSI", "comparison": "less_or_equal", "target": 10}
    return {
        "spec": 1,
        "id": "engines",
        "name": "Engines",
        "target": "data@1",
        "dimensions": [
            {
                "id": "d",
                "name": "Data",
                "requirements": [
                    {
                        "id": "r",
                        "name": "Stable",
                        "metrics": [
                            {
                                "id": "m",
                                "name": "Drift",
                                "assessment_interface": interface,
                                "measurements": [measurement],
                            }
                        ],
                    }
                ],
            }
        ],
    }


def spec_value(capsys: pytest.CaptureFixture[str], path: Path, spec: dict[str, Any]) -> Any:
    """The value ``assay audit run`` measures for the spec's one measurement."""
    path.write_text(json.dumps(spec))
    ran = run_cli(capsys, "audit", "run", str(path), "-f", "json")
    assert ran.exit_code == 0, ran.stderr
    (found,) = json.loads(ran.stdout)["dimensions"][0]["requirements"][0]["metrics"][0][
        "measurements"
    ]
    return found["value"]


def report_table(
    capsys: pytest.CaptureFixture[str], reference: Path, current: Path, engine: str, out: Path
) -> str:
    """The verdict and the table of columns of ``assay probe report --engine ENGINE`` (the
    parts every engine must write alike; the charts are drawn from samples)."""
    done = run_cli(
        capsys,
        "probe",
        "report",
        "--reference",
        str(reference),
        "--current",
        str(current),
        "--engine",
        engine,
        "-o",
        str(out),
    )
    assert done.exit_code == 0, done.stderr
    html = out.read_text(encoding="utf-8")
    assert html.count("<svg") == 7
    verdict = html.split('<p id="verdict"', 1)[1].split("</p>", 1)[0]
    table = html.split('<table id="columns">', 1)[1].split("</table>", 1)[0]
    return verdict + table


def assert_refused(capsys: pytest.CaptureFixture[str], message: str, *arguments: str) -> None:
    """``assay ARGUMENTS`` exits 2 with ``message`` on stderr, and no traceback."""
    done = run_cli(capsys, *arguments)
    assert done.exit_code == 2, done.stdout
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def assert_engine_refusals(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, current: Path, engine: str
) -> None:
    """``engine`` refuses a probe it lacks, a missing file, a file name it would read as a
    pattern, and columns whose names differ only in case (which the memory engine reads); a
    Parquet file whose pages are broken, and a drift probe of a column one file lacks, are
    refused as the memory engine refuses them."""
    rows = ("probe", "run", "quality.rows", "--engine", engine, "--current")
    assert_refused(
        capsys,
        f"has no {engine} engine",
        *("probe", "run", "quality.class_balance", "--label", "flag", "--engine", engine),
        *("--current", str(current)),
    )
    assert_refused(capsys, "no such file", *rows, str(tmp_path / "none.parquet"))
    for name in ("cur*.csv", "cur{rent}.csv"):
        pattern = tmp_path / name
        pattern.write_bytes(current.read_bytes())
        assert_refused(capsys, f"refused by the {engine} engine", *rows, str(pattern))
    link = tmp_path / "plain.csv"
    link.symlink_to(tmp_path / "cur*.csv")
    assert_refused(capsys, f"refused by the {engine} engine", *rows, str(link))
    cased = tmp_path / "cased.parquet"
    pq.write_table(pa.table({"E": [1.0, 2.0], "x": [3.0, 4.0], "e": [5.0, 6.0]}), cased)
    (tmp_path / "cased.csv").write_text("\ufeffId,x,ID\n1,2,3\n")
    for path, names in ((cased, "'E' and 'e'"), (tmp_path / "cased.csv", "'Id' and 'ID'")):
        assert_refused(
            capsys,
            f"cannot read {path}: columns {names} differ only in case, which the {engine} "
            "engine cannot tell apart",
            *rows,
            str(path),
        )
        memory = run_cli(capsys, "probe", "run", "quality.missing_ratio", "--current", str(path))
        assert memory.exit_code == 0, memory.stderr
    # Pages broken behind a sound footer: met by the probe's query, not by opening the file.
    broken = tmp_path / "broken-pages.parquet"
    pq.write_table(pa.table({"x": [float(i) for i in range(1_000)]}), broken, compression="none")
    damaged = bytearray(broken.read_bytes())
    damaged[4:40] = b"\xff" * 36
    broken.write_bytes(bytes(damaged))
    for name in ("memory", engine):
        assert_refused(
            capsys,
            f"cannot read {broken}: ",
            *("probe", "run", "quality.missing_ratio", "--current", str(broken)),
            *("--engine", name),
        )
    # A file separated by semicolons, read with commas: one column, named in the refusal.
    semicolons = tmp_path / "semicolons.csv"
    semicolons.write_text("x;cat\n1.5;a\n2.5;b\n")
    psi = ("probe", "run", "drift.psi", "--column", "x", "--reference", str(semicolons))
    refusal = (
        f"drift.psi: {semicolons} has no column 'x' (it has x;cat); if it is a CSV file, its "
        "header seems to separate the names by ';'"
    )
    assert_refused(capsys, refusal, *psi, "--current", str(current))
    assert_refused(capsys, refusal, *psi, "--current", str(current), "--engine", engine)


# DuckDB's sniffer reads the first 20,480 rows: the bad row of the long file comes after them.
LATE_BAD_LINE = 25_002


def malformed_csv_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """CSV files that break the dialect every engine reads, each with the refusal's words:
    a long row past DuckDB's sniffing sample, a short row, a quote never closed, no header, a
    column named twice in the header (after a byte-order mark)."""
    late = ["a,b", *(f"{i},{i % 7}" for i in range(30_000))]
    late[LATE_BAD_LINE - 1] = "1,2,3"
    files = {
        "late": (
            "\n".join(late) + "\n",
            f"CSV parse error on line {LATE_BAD_LINE}: expected 2 fields, found 3: 1,2,3",
        ),
        "short": ("a,b\n1,2\n3\n4,5\n", "CSV parse error on line 3: expected 2 fields, found 1: 3"),
        "open quote": (
            'a,b\n1,2\n"x,4\n',
            "CSV parse error on line 3: a quoted value is not closed before the end of the file",
        ),
        # Read by pyarrow as one value running to the end (the rows after it lost); Spark,
        # reading a row per line, keeps the quote in the value (docs/probes.md).
        "quote open to the end": (
            'a,b\n1,2\nx,"y\n3,4\n5,6\n',
            "CSV parse error on line 3: a quoted value is not closed before the end of the file",
        ),
        "blank": ("\n\n", "no header row (the file is empty or blank); expected a header"),
        "named twice": (
            "\ufeffa,b,a\n1,2,3\n",
            "the header names column 'a' twice (fields 1 and 3); expected one name a column",
        ),
    }
    written = {}
    for name, (text, said) in files.items():
        path = tmp_path / f"{name.replace(' ', '_')}.csv"
        path.write_bytes(text.encode())
        written[name] = (path, f"cannot read {path}: {said}")
    return written


def assert_malformed_csv_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, engine: str
) -> None:
    """``engine`` refuses each of :func:`malformed_csv_files` by its line, in a quality probe
    (and the long file in a drift probe, as the current data), and a binary file as the
    in-memory engine does; and reads a file of semicolons as the in-memory engine does (one
    column, named by the whole header), and one with Windows line ends."""
    reference = tmp_path / "reference.parquet"
    pq.write_table(pa.table({"a": list(range(100)), "b": [i % 7 for i in range(100)]}), reference)
    malformed = malformed_csv_files(tmp_path)
    if engine == "spark":
        del malformed["quote open to the end"]
    for name, (path, said) in malformed.items():
        probes: list[tuple[str, ...]] = [("quality.missing_ratio",)]
        if name == "late":  # and met by a drift probe's own query, past the sniffed rows
            probes.append(("drift.psi", "--column", "a", "--reference", str(reference)))
        for probe in probes:
            assert_refused(
                capsys, said, "probe", "run", *probe, "--current", str(path), "--engine", engine
            )
    binary = tmp_path / "image.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert_refused(
        capsys,
        f"{binary} is binary (a NUL byte at offset 8); expected a CSV file in UTF-8",
        *("probe", "run", "quality.rows", "--current", str(binary), "--engine", engine),
    )
    packed = tmp_path / "data.csv.gz"
    packed.write_bytes(gzip.compress(b"a,b\n1,2\n"))
    assert_refused(
        capsys,
        f"{packed} is compressed with gzip, which the probes do not read",
        *("probe", "run", "quality.rows", "--current", str(packed), "--engine", engine),
    )
    for name, text, value in (
        ("semicolons", "a;b\n1;2\n3;4\n", {"a;b": 0.0}),
        ("windows", "a,b\r\n1,2\r\n3,\r\n", {"a": 0.0, "b": 0.5}),
    ):
        path = tmp_path / f"{name}.csv"
        path.write_bytes(text.encode())
        done = run_cli(
            capsys,
            *("probe", "run", "quality.missing_ratio", "--current", str(path)),
            *("--engine", engine, "-f", "json"),
        )
        assert done.exit_code == 0, done.stderr
        answer = json.loads(done.stdout)
        assert (answer["value"], answer["inputs"]["current"]["rows"]) == (value, 2), name


# Probes over the column types of wide_type_files: each gives the same value on every engine.
WIDE_TYPE_PROBES = (
    ("drift.ks_statistic", ("--column", "amount")),
    ("drift.wasserstein", ("--column", "amount")),
    ("drift.psi", ("--column", "id")),
    ("drift.ks_statistic", ("--column", "id")),
    ("drift.psi", ("--column", "day")),
    ("drift.unseen_categories", ("--column", "day")),
    ("drift.unseen_categories", ("--column", "at")),
    ("drift.psi", ("--column", "at")),
    ("drift.chi2_p_value", ("--column", "kind")),
    ("drift.unseen_categories", ("--column", "blob")),
    ("drift.psi", ("--column", "blob")),
    ("quality.outlier_ratio", ("--column", "amount")),
    ("quality.outlier_ratio", ("--column", "id")),
    ("quality.missing_ratio", ()),
    ("quality.duplicate_ratio", ()),
    ("quality.constant_columns", ()),
)


def wide_type_files(tmp_path: Path) -> tuple[Path, Path]:
    """Parquet reference and current data with column types real data sets bring beyond the
    oracle's: integer ids past 2**53, decimals, dates, timestamps, bytes, dictionary-encoded
    text, a column without a value, and one of numbers in the reference but of text in the
    current."""
    rng = np.random.default_rng(53)

    def make(size: int, shift: int, changed: pa.Array) -> pa.Table:
        cents = rng.integers(0, 100_000 + 20_000 * shift, size)
        days = rng.integers(0, 60 + 10 * shift, size).astype("timedelta64[D]")
        return pa.table(
            {
                "id": pa.array(2**60 + rng.integers(0, 10**7, size), pa.int64()),
                "amount": pa.array(
                    [Decimal(int(c)).scaleb(-2) for c in cents], pa.decimal128(12, 2)
                ),
                "day": pa.array(np.datetime64("2026-01-01") + days, pa.date32()),
                # whole seconds, and some with half a second: written alike by every engine
                "at": pa.array(
                    np.datetime64("2026-01-01T00:00:00", "ms")
                    + rng.integers(0, 40 + 10 * shift, size) * 500,
                    pa.timestamp("us"),
                ),
                # bytes that are not UTF-8 too, and one such value unseen in the reference
                "blob": pa.array(
                    np.array([b"ab", b"\\", b"\xff\x00", "é".encode(), b"\xfe\\new"], dtype=object)[
                        rng.integers(0, 4 + shift, size)
                    ],
                    pa.binary(),
                ),
                "kind": pa.array(
                    np.array(["a", "b", "c"])[rng.integers(0, 3, size)]
                ).dictionary_encode(),
                "empty": pa.nulls(size, pa.float64()),
                "changed": changed,
            }
        )

    reference = make(2_000, 0, pa.array(rng.normal(0, 1, 2_000)))
    current = make(1_500, 1, pa.array(["x"] * 1_500))
    paths = tmp_path / "wide-reference.parquet", tmp_path / "wide-current.parquet"
    pq.write_table(reference, paths[0])
    pq.write_table(current, paths[1])
    return paths


def assert_wide_types_agree(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, engine: str
) -> None:
    """On :func:`wide_type_files`, ``engine`` gives the in-memory engine's value for each of
    :data:`WIDE_TYPE_PROBES`; a probe of one column is computed whatever the other columns
    hold, while a probe of every column is refused for the column it cannot compare, a column
    of lists or structs by every engine alike."""
    reference, current = wide_type_files(tmp_path)
    for probe, extra in WIDE_TYPE_PROBES:
        memory = probe_json(capsys, reference, current, probe, "memory", *extra)
        assert_same_json(
            memory, probe_json(capsys, reference, current, probe, engine, *extra), engine
        )
    files = ("--reference", str(reference), "--current", str(current), "--engine", engine)
    assert_refused(
        capsys,
        "drift.share: column 'changed' is numeric in one data set and not in the other",
        *("probe", "run", "drift.share", *files),
    )
    assert_refused(
        capsys,
        "drift.psi: column 'empty' has no values in the reference data",
        *("probe", "run", "drift.psi", "--column", "empty", *files),
    )
    nested = tmp_path / "nested.parquet"
    pq.write_table(
        pa.table({"x": [1.0, 2.0, 2.0], "tags": [[1], [2, 3], [2, 3]], "meta": [{"a": 1}] * 3}),
        nested,
    )
    for name in ("memory", engine):
        for probe in ("quality.duplicate_ratio", "quality.constant_columns", "drift.share"):
            assert_refused(
                capsys,
                f"{probe}: column 'tags' of {nested} holds nested values (lists, structs or "
                "maps), which no probe compares",
                *("probe", "run", probe, "--engine", name),
                *("--reference", str(nested), "--current", str(nested)),
            )
        missing = probe_json(capsys, nested, nested, "quality.missing_ratio", name)
        assert missing["value"] == {"x": 0.0, "tags": 0.0, "meta": 0.0}
        duplicates = ("--columns", "x")
        assert probe_json(capsys, nested, nested, "quality.duplicate_ratio", name, *duplicates)[
            "value"
        ] == pytest.approx(1 / 3)


# A CSV file's missing values, as every engine reads them: an empty field, quoted or not, in
# any column; "NA" and "null" are text; NaN (missing too) and the infinities in any spelling
# pyarrow and DuckDB read, which Spark's inference leaves as text.
MISSING_VALUES_CSV = (
    "n,s,f\n"
    + "".join(f"{i},{'abc'[i % 3]},{i}.5\n" for i in range(8))
    + ',,\n3,"",nan\n4,NA,NaN\n5,null,inf\n6,N/A,-Infinity\n7,b,INF\n'
)
# By hand: 14 rows; n misses one, s two (the empty fields), f three (empty, nan, NaN).
MISSING_VALUES_RATIOS = {"n": 1 / 14, "s": 2 / 14, "f": 3 / 14}


def assert_csv_missing_values_read_alike(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, engine: str
) -> None:
    """``engine`` reads :data:`MISSING_VALUES_CSV` as the in-memory engine does: the missing
    ratios by hand, f a column of numbers (with infinities: no Wasserstein distance),
    and "NA" a category."""
    path = tmp_path / "missing.csv"
    path.write_text(MISSING_VALUES_CSV)
    for probe, extra, expected in (
        ("quality.missing_ratio", (), MISSING_VALUES_RATIOS),
        ("drift.unseen_categories", ("--column", "s"), []),
        ("drift.ks_statistic", ("--column", "n"), 0.0),
    ):
        memory = probe_json(capsys, path, path, probe, "memory", *extra)
        assert memory["value"] == pytest.approx(expected, rel=RELATIVE), probe
        assert_same_json(memory, probe_json(capsys, path, path, probe, engine, *extra), engine)
    outliers = ("--column", "f")
    memory = probe_json(capsys, path, path, "quality.outlier_ratio", "memory", *outliers)
    on_engine = probe_json(capsys, path, path, "quality.outlier_ratio", engine, *outliers)
    assert_same_json(memory, on_engine, engine)
    counts = probe_json(capsys, path, path, "quality.constant_columns", engine)
    assert counts["value"] == []
    # Numbers, then a word past Spark's first look at the column (1,000 rows): text everywhere.
    late = tmp_path / "late.csv"
    late.write_text("late\n" + "".join(f"{i}.5\n" for i in range(1_400)) + "x\ninf\n")
    for name in ("memory", engine):
        assert_refused(
            capsys,
            "not numeric",
            *("probe", "run", "quality.outlier_ratio", "--column", "late", "--engine", name),
            *("--current", str(late)),
        )
        assert_refused(  # no NaN passed on as a value
            capsys,
            "drift.wasserstein: wasserstein is not defined for column 'f': it holds infinite "
            "values",
            *("probe", "run", "drift.wasserstein", "--column", "f", "--engine", name),
            *("--reference", str(path), "--current", str(path)),
        )


def parquet_directories(tmp_path: Path) -> dict[str, tuple[Path, Path]]:
    """The oracle data sets as one Parquet file each and as a directory of parts, as Spark
    writes them (parts below a ``country=DE`` directory, whose name gives no column, a
    ``_SUCCESS`` marker and a hidden file that are not parts): ``{role: (file, directory)}``."""
    reference, current = frames(2_000, seed=11)
    tmp_path.mkdir(parents=True, exist_ok=True)
    written_as: dict[str, tuple[Path, Path]] = {}
    for role, table in (("reference", reference), ("current", current)):
        single, parts = tmp_path / f"{role}.parquet", tmp_path / f"{role}-parts"
        pq.write_table(table, single)
        (parts / "country=DE").mkdir(parents=True)
        third = table.num_rows // 3
        pq.write_table(table.slice(0, third), parts / "country=DE" / "part-00000.parquet")
        pq.write_table(table.slice(third, third), parts / "part-00001.pq")
        pq.write_table(table.slice(2 * third), parts / "part-00002.parquet")
        (parts / "_SUCCESS").write_text("")
        (parts / ".notes").write_text("not a part")
        written_as[role] = (single, parts)
    return written_as


DIRECTORY_PROBES: list[tuple[str, ...]] = [
    ("drift.ks_statistic",),
    ("drift.psi", "--column", "colour"),
    ("drift.wasserstein", "--column", "gappy"),
    ("quality.missing_ratio",),
    ("quality.duplicate_ratio",),
    ("quality.outlier_ratio", "--column", "score"),
]


def _alike(value: Any, expected: Any) -> bool:
    """Equal, numbers to :data:`RELATIVE`, in dictionaries by key (null as null)."""
    if isinstance(expected, dict):
        return value.keys() == expected.keys() and all(
            _alike(value[key], expected[key]) for key in expected
        )
    if isinstance(expected, float):
        return bool(value == pytest.approx(expected, rel=RELATIVE))
    return bool(value == expected)


def assert_parquet_directories_read_alike(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, engine: str
) -> None:
    """``engine`` reads a directory of Parquet parts as the in-memory engine reads the one
    file holding the same rows: the same values, the rows of every part, the directory's
    digest by hand; and refuses alike a directory without parts, a part without a footer,
    parts of other columns and a link among the parts."""
    files = parquet_directories(tmp_path)
    (reference, reference_parts), (current, current_parts) = files["reference"], files["current"]
    lines = "".join(
        f"{name}\t{hashlib.sha256((current_parts / name).read_bytes()).hexdigest()}\n"
        for name in ("country=DE/part-00000.parquet", "part-00001.pq", "part-00002.parquet")
    )
    for probe in DIRECTORY_PROBES:
        whole = probe_json(capsys, reference, current, probe[0], "memory", *probe[1:])
        for name in ("memory", engine):
            parted = probe_json(capsys, reference_parts, current_parts, probe[0], name, *probe[1:])
            assert _alike(parted["value"], whole["value"]), (name, probe, parted["value"])
            assert parted["inputs"]["current"] == {
                "path": str(current_parts),
                "sha256": hashlib.sha256(lines.encode()).hexdigest(),
                "rows": whole["inputs"]["current"]["rows"],
            }
    empty = tmp_path / "empty-parts"
    empty.mkdir()
    (empty / "_SUCCESS").write_text("")
    other = tmp_path / "other-parts"
    other.mkdir()
    pq.write_table(pa.table({"score": [1.0, 2.0]}), other / "a.parquet")
    pq.write_table(pa.table({"score": ["x", "y"]}), other / "b.parquet")
    linked = tmp_path / "linked-parts"
    linked.mkdir()
    pq.write_table(pa.table({"score": [1.0, 2.0]}), linked / "a.parquet")
    (linked / "b.parquet").symlink_to(reference)
    torn = tmp_path / "torn-parts"
    torn.mkdir()
    pq.write_table(pa.table({"score": [1.0, 2.0]}), torn / "a.parquet")
    (torn / "b.parquet").write_bytes(b"PAR1")
    for path, said in (
        (empty, f"{empty} is a directory without Parquet files"),
        (torn, f"cannot read {torn}: b.parquet: Parquet file size is 4 bytes"),
        (other, f"cannot read {other}: b.parquet has other columns or types (score: string)"),
        (linked, f"{linked / 'b.parquet'} is a symbolic link"),
    ):
        for name in ("memory", engine):
            assert_refused(
                capsys,
                said,
                "probe",
                "run",
                "quality.rows",
                "--current",
                str(path),
                "--engine",
                name,
            )
