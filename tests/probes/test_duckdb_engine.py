"""The DuckDB engine against the in-memory engine on the oracle data sets: every drift
statistic and every data-quality figure agrees to 1e-9 (counts exactly), on Parquet and CSV
files DuckDB reads itself. The in-memory engine is checked against scipy and Evidently in
test_drift.py and test_quality.py."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from assay.probes import quality
from assay.probes.catalog import ProbeInputs
from assay.probes.duckdb_engine import DuckTable, duck_drift
from assay.probes.table import Table

RELATIVE = 1e-9


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


def _close(memory: float, engine: float) -> bool:
    return math.isclose(memory, engine, rel_tol=RELATIVE, abs_tol=1e-12)


@pytest.mark.parametrize(
    ("rows", "suffix"), [(600, ".parquet"), (5_000, ".csv"), (30_000, ".parquet")]
)
def test_duckdb_agrees_with_memory(tmp_path: Path, rows: int, suffix: str) -> None:
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
    memory_ref, memory_cur = Table(read["reference"]), Table(read["current"])
    connection = duckdb.connect()
    for role, path in paths.items():
        reader = "read_parquet" if suffix == ".parquet" else "read_csv"
        connection.execute(f"CREATE VIEW {role} AS SELECT * FROM {reader}('{path}')")
    duck_ref, duck_cur = DuckTable(connection, "reference"), DuckTable(connection, "current")

    in_memory = ProbeInputs(memory_ref, memory_cur, None, {}).drift
    in_duckdb = duck_drift(duck_ref, duck_cur, [c for c in memory_ref.columns if c != "constant"])
    assert [c.column for c in in_duckdb.columns] == [
        c.column for c in in_memory.columns if c.column != "constant"
    ]
    for ours in in_duckdb.columns:
        theirs = in_memory.by_column[ours.column]
        assert (ours.kind, ours.method, ours.drifted) == (
            theirs.kind,
            theirs.method,
            theirs.drifted,
        )
        assert (ours.reference_rows, ours.current_rows) == (
            theirs.reference_rows,
            theirs.current_rows,
        )
        assert ours.unseen == theirs.unseen
        assert set(ours.statistics) == set(theirs.statistics)
        for name, value in theirs.statistics.items():
            assert _close(value, ours.statistics[name]), (
                ours.column,
                name,
                value,
                ours.statistics[name],
            )
    assert in_duckdb.columns[0].statistics["ks_statistic"] > 0.1, "the shift is found"

    assert duck_cur.rows == memory_cur.rows
    assert duck_cur.missing_ratios() == pytest.approx(
        quality.missing_ratios(memory_cur), rel=RELATIVE
    )
    assert duck_cur.duplicate_ratio() == quality.duplicate_ratio(memory_cur)
    assert duck_cur.duplicate_ratio(["colour", "flag"]) == quality.duplicate_ratio(
        memory_cur, ["colour", "flag"]
    )
    for column in ("score", "count", "gappy"):
        for method in ("iqr", "zscore"):
            assert _close(
                quality.outlier_ratio(memory_cur, column, method),
                duck_cur.outlier_ratio(column, method),
            ), (column, method)
    assert duck_cur.constant_columns() == quality.constant_columns(memory_cur) == ["constant"]


def _files(tmp_path: Path) -> tuple[Path, Path]:
    reference, current = frames(3_000, seed=11)
    pq.write_table(reference, tmp_path / "reference.parquet")
    pa_csv.write_csv(current, tmp_path / "current.csv")
    return tmp_path / "reference.parquet", tmp_path / "current.csv"


def test_probe_run_gives_the_same_json_on_every_engine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from tests.helpers.running import run_cli

    reference, current = _files(tmp_path)

    def run(probe: str, engine: str, *extra: str) -> dict[str, object]:
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
        answer: dict[str, object] = json.loads(done.stdout)
        return answer

    for probe, extra in (
        ("drift.psi", ()),
        ("drift.ks_p_value", ("--column", "score")),
        ("drift.unseen_categories", ("--column", "colour")),
        ("drift.share", ()),
        ("quality.missing_ratio", ()),
        ("quality.duplicate_ratio", ()),
        ("quality.outlier_ratio", ("--column", "gappy")),
        ("quality.constant_columns", ()),
        ("quality.rows", ()),
    ):
        memory, duck = run(probe, "memory", *extra), run(probe, "duckdb", *extra)
        assert (memory["engine"], duck["engine"]) == ("memory", "duckdb")
        assert duck["inputs"] == memory["inputs"]
        if isinstance(memory["value"], list):
            assert duck["value"] == memory["value"], probe
        else:
            assert duck["value"] == pytest.approx(memory["value"], rel=RELATIVE), probe

    assert run("quality.rows", "auto")["engine"] == "memory"
    monkeypatch.setenv("ASSAY_PROBE_MEMORY_BUDGET", "1000")
    assert run("quality.rows", "auto")["engine"] == "duckdb"
    assert run("quality.class_balance", "auto", "--label", "flag")["engine"] == "memory"
    refused = run_cli(
        capsys,
        "probe",
        "run",
        "quality.class_balance",
        "--current",
        str(current),
        "--label",
        "flag",
        "--engine",
        "duckdb",
    )
    assert refused.exit_code == 2
    assert "has no duckdb engine" in refused.stderr
    missing = run_cli(
        capsys,
        "probe",
        "run",
        "quality.rows",
        "--current",
        str(tmp_path / "none.parquet"),
        "--engine",
        "duckdb",
    )
    assert missing.exit_code == 2
    assert "no such file" in missing.stderr
    pattern = tmp_path / "cur*.csv"
    pattern.write_bytes(current.read_bytes())
    globbed = run_cli(
        capsys, "probe", "run", "quality.rows", "--current", str(pattern), "--engine", "duckdb"
    )
    assert globbed.exit_code == 2
    assert "refused by the duckdb engine" in globbed.stderr


def test_a_spec_chooses_the_engine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], assay_home: Path
) -> None:
    import json

    from tests.helpers.running import run_cli

    _files(tmp_path)
    measurement = {"id": "psi", "name": "PSI", "comparison": "less_or_equal", "target": 10}
    interface: dict[str, str] = {
        "kind": "probe",
        "probe": "drift.psi",
        "engine": "duckdb",
        "reference": "reference.parquet",
        "current": "current.csv",
        "column": "score",
    }
    spec: dict[str, object] = {
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
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    ran = run_cli(capsys, "audit", "run", str(tmp_path / "spec.json"), "-f", "json")
    assert ran.exit_code == 0, ran.stderr
    (found,) = json.loads(ran.stdout)["dimensions"][0]["requirements"][0]["metrics"][0][
        "measurements"
    ]
    memory = run_cli(
        capsys,
        "probe",
        "run",
        "drift.psi",
        "--reference",
        str(tmp_path / "reference.parquet"),
        "--current",
        str(tmp_path / "current.csv"),
        "--column",
        "score",
        "-f",
        "json",
    )
    assert found["value"] == pytest.approx(json.loads(memory.stdout)["value"], rel=RELATIVE)
    interface["engine"] = "gpu"
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    refused = run_cli(capsys, "audit", "run", str(tmp_path / "spec.json"))
    assert refused.exit_code == 2
    assert "engine" in refused.stderr
