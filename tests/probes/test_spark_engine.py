"""The Spark engine (local mode) against the in-memory engine on the oracle data sets: every
drift statistic and data-quality figure agrees to 1e-9 (counts exactly), on Parquet and CSV
files Spark reads itself — also when the sorted values span many partitions, where the
running counts cross partition boundaries. Skipped, with the reason, where there is no Java;
CI installs it (.ci/run)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from assay.probes.catalog import ProbeInputs
from assay.probes.drift import EXACT_KS_LIMIT
from tests.helpers.engines import (
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

pytestmark = [
    pytest.mark.spark,
    pytest.mark.xdist_group("spark"),
    pytest.mark.skipif(
        shutil.which("java") is None and not os.environ.get("JAVA_HOME"),
        reason="Spark needs Java 17 or newer (.ci/run installs openjdk-17-jre-headless)",
    ),
]


@pytest.fixture(scope="module")
def spark() -> Any:
    from assay.files.spark_tables import spark_session

    return spark_session()


@pytest.fixture
def partitions(request: pytest.FixtureRequest, spark: Any) -> Iterator[str]:
    """Spark's own partitioning (small data coalesced into one partition), or seven shuffle
    partitions kept apart, so that sorted values span several."""
    if request.param == "many":
        spark.conf.set("spark.sql.adaptive.coalescePartitions.enabled", "false")
        spark.conf.set("spark.sql.shuffle.partitions", "7")
    try:
        yield request.param
    finally:
        spark.conf.unset("spark.sql.adaptive.coalescePartitions.enabled")
        spark.conf.set("spark.sql.shuffle.partitions", str(2 * (os.cpu_count() or 2)))


# One partition for the small set; several for the others, where the exact p-value (5,000
# rows) and the asymptotic one (30,000) are taken.
@pytest.mark.parametrize(
    ("rows", "suffix", "partitions"),
    [(600, ".parquet", "few"), (5_000, ".csv", "many"), (30_000, ".parquet", "many")],
    indirect=["partitions"],
)
def test_spark_agrees_with_memory(
    tmp_path: Path, rows: int, suffix: str, partitions: str, spark: Any
) -> None:
    from assay.files.spark_tables import spark_tables
    from assay.probes.spark_engine import spark_drift

    paths, memory_ref, memory_cur = written(tmp_path, rows, suffix)
    with spark_tables(paths) as tables:
        spark_ref, spark_cur = tables["reference"], tables["current"]
        if partitions == "many":
            sorted_parts = spark_ref.present("score").orderBy("v").rdd.getNumPartitions()
            assert sorted_parts > 1
        in_memory = ProbeInputs(memory_ref, memory_cur, None, {}).drift
        compared = [c for c in memory_ref.columns if c != "constant"]
        assert_same_drift(spark_drift(spark_ref, spark_cur, compared), in_memory)
        if rows <= EXACT_KS_LIMIT:  # one partition and several: the larger set adds nothing
            assert_same_quality(spark_cur, memory_cur)


def test_spark_outliers_with_infinite_values(tmp_path: Path, spark: Any) -> None:
    from assay.files.spark_tables import spark_tables

    path, memory = infinite_values_file(tmp_path)
    with spark_tables({"current": path}) as tables:
        assert_same_outliers_with_infinities(tables["current"], memory)


def test_a_csv_row_that_breaks_the_dialect_is_refused_by_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], spark: Any
) -> None:
    assert_malformed_csv_refused(capsys, tmp_path, "spark")


def test_a_table_without_rows_has_nothing_missing_or_repeated(spark: Any) -> None:
    from assay.probes.spark_engine import SparkTable

    frame = spark.createDataFrame([], "a double, b string")
    table = SparkTable(frame, "empty")
    assert table.missing_ratios() == {"a": 0.0, "b": 0.0}
    assert table.duplicate_ratio() == 0.0


def test_probe_run_spec_and_report_on_spark(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], assay_home: Path, spark: Any
) -> None:
    reference, current = mixed_files(tmp_path)
    for probe, extra in PROBES_EVERY_ENGINE_HAS:
        memory = probe_json(capsys, reference, current, probe, "memory", *extra)
        assert_same_json(
            memory, probe_json(capsys, reference, current, probe, "spark", *extra), "spark"
        )

    measured = spec_value(capsys, tmp_path / "spec.json", psi_spec(tmp_path, "spark"))
    memory = probe_json(capsys, reference, current, "drift.psi", "memory", "--column", "score")
    assert measured == pytest.approx(memory["value"], rel=RELATIVE)

    on_memory = report_table(capsys, reference, current, "memory", tmp_path / "memory.html")
    assert report_table(capsys, reference, current, "spark", tmp_path / "spark.html") == on_memory

    assert_engine_refusals(capsys, tmp_path, current, "spark")
    assert_wide_types_agree(capsys, tmp_path, "spark")
    assert_csv_missing_values_read_alike(capsys, tmp_path, "spark")
    assert_parquet_directories_read_alike(capsys, tmp_path / "parts", "spark")
    # A directory Spark wrote itself (parts, checksums, _SUCCESS), and a name Hadoop must not
    # read percent-encoded (a space, =, a letter beyond ASCII).
    by_spark = tmp_path / "by spark=1 é"
    spark.read.parquet(str(reference)).write.parquet(str(by_spark))
    assert any(path.name.startswith(".") for path in by_spark.iterdir()), "checksums"
    for name in ("memory", "spark"):
        rows = probe_json(capsys, reference, by_spark, "quality.rows", name)
        assert rows["value"] == pq.read_metadata(reference).num_rows
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 not really parquet")
    assert_refused(
        capsys,
        f"cannot read {broken}",
        *("probe", "run", "quality.rows", "--current", str(broken), "--engine", "spark"),
    )


def test_without_java_the_spark_engine_says_what_is_missing(tmp_path: Path) -> None:
    reference, current = mixed_files(tmp_path)
    bare = {
        key: value
        for key, value in os.environ.items()
        if key not in ("JAVA_HOME", "SPARK_HOME", "PATH")
    }
    bare["PATH"] = str(Path(sys.executable).parent)  # python and assay, no java
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "assay"),
            "probe",
            "run",
            "quality.rows",
            "--current",
            str(current),
            "--engine",
            "spark",
        ],
        capture_output=True,
        text=True,
        env=bare,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "the spark engine needs Java 17 or newer" in done.stderr
    assert "Traceback" not in done.stderr
    assert reference.exists()
