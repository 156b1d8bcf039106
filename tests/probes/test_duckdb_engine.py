"""The DuckDB engine against the in-memory engine on the oracle data sets: every drift
statistic and every data-quality figure agrees to 1e-9 (counts exactly), on Parquet and CSV
files DuckDB reads itself. The in-memory engine is checked against scipy and Evidently in
test_drift.py and test_quality.py."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from assay.probes import quality
from assay.probes.catalog import ProbeInputs
from assay.probes.duckdb_engine import (
    BATCH_ROWS,
    QUANTILE_WINDOW,
    DuckTable,
    _windowed_ranks,
    duck_drift,
)
from assay.probes.table import ColumnError, Table
from tests.helpers.engines import (
    LATE_BAD_LINE,
    PROBES_EVERY_ENGINE_HAS,
    RELATIVE,
    assert_csv_missing_values_read_alike,
    assert_engine_refusals,
    assert_malformed_csv_refused,
    assert_parquet_directories_read_alike,
    assert_refused,
    assert_same_drift,
    assert_same_json,
    assert_same_outliers_with_infinities,
    assert_same_quality,
    assert_wide_types_agree,
    infinite_values_file,
    mixed_files,
    probe_json,
    psi_spec,
    report_table,
    spec_value,
    written,
)
from tests.helpers.running import run_cli


@pytest.mark.parametrize(
    ("rows", "suffix", "batch_rows", "window"),
    [
        (600, ".parquet", BATCH_ROWS, QUANTILE_WINDOW),
        (5_000, ".csv", BATCH_ROWS, QUANTILE_WINDOW),
        (30_000, ".parquet", BATCH_ROWS, QUANTILE_WINDOW),
        # sorted streams in many small batches: runs of equal values (integers, the four-valued
        # column) and the wanted order statistics fall across batch ends; windows of width 0
        # around the approximate quartiles mostly miss, so the quartiles come from the stream
        (5_000, ".parquet", 97, 0.0),
        (600, ".csv", 1, 0.0),
    ],
)
def test_duckdb_agrees_with_memory(
    tmp_path: Path, rows: int, suffix: str, batch_rows: int, window: float
) -> None:
    paths, memory_ref, memory_cur = written(tmp_path, rows, suffix)
    connection = duckdb.connect()
    for role, path in paths.items():
        reader = "read_parquet" if suffix == ".parquet" else "read_csv"
        connection.execute(f"CREATE VIEW {role} AS SELECT * FROM {reader}('{path}')")
    duck_ref = DuckTable(connection, "reference", batch_rows=batch_rows, quantile_window=window)
    duck_cur = DuckTable(connection, "current", batch_rows=batch_rows, quantile_window=window)

    in_memory = ProbeInputs(memory_ref, memory_cur, None, {}).drift
    compared = [c for c in memory_ref.columns if c != "constant"]
    assert_same_drift(duck_drift(duck_ref, duck_cur, compared), in_memory)
    assert_same_quality(duck_cur, memory_cur)


def test_duckdb_outliers_with_infinite_values(tmp_path: Path) -> None:
    path, memory = infinite_values_file(tmp_path)
    connection = duckdb.connect()
    connection.execute(f"CREATE VIEW infinite AS SELECT * FROM read_parquet('{path}')")
    assert_same_outliers_with_infinities(DuckTable(connection, "infinite"), memory)


def test_a_column_the_table_lacks_is_refused_by_name_when_its_type_is_asked() -> None:
    connection = duckdb.connect()
    connection.execute("CREATE VIEW data AS SELECT 1.5 AS x")
    table = DuckTable(connection, "data")
    for asked in (table.is_numeric, table.is_nested):
        with pytest.raises(ColumnError, match=r"has no column 'y' \(it has x\)"):
            asked("y")


@pytest.mark.parametrize("engine", ["memory", "duckdb"])
def test_a_csv_row_that_breaks_the_dialect_is_refused_by_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], engine: str
) -> None:
    assert_malformed_csv_refused(capsys, tmp_path, engine)


def test_a_value_past_the_sniffed_rows_that_breaks_its_type_is_named_by_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """DuckDB guesses a column's type from its first 20,480 rows; a later value of another
    type stops the scan, and the refusal says where (the memory engine reads the column as
    text: a difference docs/probes.md names)."""
    rows = ["a,b", *(f"{i},{i % 7}" for i in range(30_000))]
    rows[LATE_BAD_LINE - 1] = "x,3"
    path = tmp_path / "typed.csv"
    path.write_text("\n".join(rows) + "\n")
    assert_refused(
        capsys,
        f"cannot read {path}: CSV parse error on line {LATE_BAD_LINE}: Error when converting "
        'column "a". Could not convert string "x" to \'BIGINT\'',
        *("probe", "run", "quality.outlier_ratio", "--column", "a", "--current", str(path)),
        *("--engine", "duckdb"),
    )


def test_probe_run_gives_the_same_json_on_every_engine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    reference, current = mixed_files(tmp_path)

    def run(probe: str, engine: str, *extra: str) -> dict[str, object]:
        return probe_json(capsys, reference, current, probe, engine, *extra)

    for probe, extra in PROBES_EVERY_ENGINE_HAS:
        assert_same_json(run(probe, "memory", *extra), run(probe, "duckdb", *extra), "duckdb")

    assert run("quality.rows", "auto")["engine"] == "memory"
    monkeypatch.setenv("ASSAY_PROBE_MEMORY_BUDGET", "1000")
    assert run("quality.rows", "auto")["engine"] == "duckdb"
    assert run("quality.class_balance", "auto", "--label", "flag")["engine"] == "memory"
    assert_engine_refusals(capsys, tmp_path, current, "duckdb")


def test_column_types_beyond_the_oracles_give_the_same_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert_wide_types_agree(capsys, tmp_path, "duckdb")


def test_csv_missing_values_and_infinities_read_alike(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert_csv_missing_values_read_alike(capsys, tmp_path, "duckdb")


def test_a_directory_of_parquet_parts_reads_as_its_rows_in_one_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert_parquet_directories_read_alike(capsys, tmp_path, "duckdb")


def test_a_spec_chooses_the_engine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], assay_home: Path
) -> None:
    reference, current = mixed_files(tmp_path)
    spec = psi_spec(tmp_path, "duckdb")
    measured = spec_value(capsys, tmp_path / "spec.json", spec)
    memory = probe_json(capsys, reference, current, "drift.psi", "memory", "--column", "score")
    assert measured == pytest.approx(memory["value"], rel=RELATIVE)
    spec["dimensions"][0]["requirements"][0]["metrics"][0]["assessment_interface"]["engine"] = "gpu"
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    refused = run_cli(capsys, "audit", "run", str(tmp_path / "spec.json"))
    assert refused.exit_code == 2
    assert "engine" in refused.stderr


def test_the_data_report_reads_the_same_on_duckdb(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reference, current = mixed_files(tmp_path)
    memory = report_table(capsys, reference, current, "memory", tmp_path / "memory.html")
    assert "of 7 columns drifted" in memory
    assert report_table(capsys, reference, current, "duckdb", tmp_path / "duck.html") == memory


@pytest.mark.parametrize("kind", ["normal", "integers"])
def test_quartiles_come_from_windows_exactly_or_not_at_all(kind: str) -> None:
    rng = np.random.default_rng(5)
    values = rng.normal(0, 1, 200_000) if kind == "normal" else rng.integers(0, 7, 200_000) * 1.0
    connection = duckdb.connect()
    connection.register("data", pa.table({"v": values}))
    levels = np.array([0.1, 0.25, 0.5, 0.75, 0.9])
    expected = np.sort(values)
    table = DuckTable(connection, "data")
    present = table._present("v")
    found = _windowed_ranks(table, present, values.size, levels)
    assert found is not None, "the ±0.5% windows hold the ranks: no sort of the column"
    assert found == {rank: expected[rank] for rank in found}
    assert len(found) == 2 * levels.size
    narrow = DuckTable(connection, "data", quantile_window=0.0)
    missed = _windowed_ranks(narrow, present, values.size, levels)
    if kind == "normal":
        assert missed is None, "a window of width 0 misses: the caller sorts instead"
    else:
        assert missed == {rank: expected[rank] for rank in missed or {}}


def test_a_table_without_rows_has_nothing_missing_or_repeated() -> None:
    """The CLI refuses an empty file; a table built in code may be empty: the in-memory and
    DuckDB engines give 0, not a division by zero."""
    empty = pa.table({"a": pa.array([], pa.float64()), "b": pa.array([], pa.string())})
    connection = duckdb.connect()
    connection.register("empty", empty)
    duck = DuckTable(connection, "empty")
    nothing = {"a": 0.0, "b": 0.0}
    assert quality.missing_ratios(Table(empty)) == duck.missing_ratios() == nothing
    assert quality.duplicate_ratio(Table(empty)) == duck.duplicate_ratio() == 0.0
