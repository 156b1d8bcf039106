"""Probes on the command line and inside audits: values, traceability and bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
import yaml
from scipy import stats

from tests.helpers.running import run_cli
from tests.helpers.specs import spec_document


@pytest.fixture
def data(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    n = 3_000

    def frame(shift: float) -> pa.Table:
        return pa.table(
            {
                "income": rng.lognormal(10 + shift, 0.5, n),
                "age": rng.integers(18, 80, n),
                "region": rng.choice(["north", "south", "east"], n),
            }
        )

    pq.write_table(frame(0.0), tmp_path / "reference.parquet")
    pq.write_table(frame(0.4), tmp_path / "current.parquet")
    y = rng.choice([0, 1], n)
    score = np.clip(0.4 * y + rng.normal(0.3, 0.2, n), 0, 1)
    predictions = pa.table(
        {
            "label": y,
            "score": score,
            "prediction": (score >= 0.5).astype(int),
            "sex": rng.choice(["f", "m"], n),
        }
    )
    pa_csv.write_csv(predictions, tmp_path / "predictions.csv")
    return tmp_path


def probe(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    result = run_cli(capsys, "probe", "run", *args, "-f", "json")
    assert result.exit_code == 0, result
    return json.loads(result.stdout)


def test_probe_run_reports_values_and_inputs(
    capsys: pytest.CaptureFixture[str], assay_home: Path, data: Path
) -> None:
    files = (
        "--reference",
        str(data / "reference.parquet"),
        "--current",
        str(data / "current.parquet"),
    )
    ks = probe(capsys, "drift.ks_statistic", *files, "--column", "income")
    reference = pq.read_table(data / "reference.parquet").column("income").to_numpy()
    current = pq.read_table(data / "current.parquet").column("income").to_numpy()
    assert ks["value"] == pytest.approx(stats.ks_2samp(reference, current).statistic, rel=1e-9)
    assert ks["inputs"]["reference"]["rows"] == 3000
    assert len(ks["inputs"]["current"]["sha256"]) == 64
    share = probe(capsys, "drift.share", *files)
    assert share["value"] == pytest.approx(1 / 3)
    unseen = probe(capsys, "drift.unseen_categories", *files, "--column", "region")
    assert unseen["value"] == []
    fair = probe(
        capsys,
        "fairness.groups",
        "--predictions",
        str(data / "predictions.csv"),
        "--sensitive",
        "sex",
    )
    assert set(fair["value"]) == {"f", "m"}
    auc = probe(capsys, "performance.roc_auc", "--predictions", str(data / "predictions.csv"))
    assert 0.5 < auc["value"] <= 1
    listed = json.loads(run_cli(capsys, "probe", "list", "-f", "json").stdout)
    assert {"drift.psi", "quality.duplicate_ratio", "fairness.four_fifths_rule"} <= {
        p["name"] for p in listed
    }


def write_csv(path: Path, columns: dict[str, list[Any]]) -> Path:
    pa_csv.write_csv(pa.table(columns), path)
    return path


DRIFT = ["--reference", "{ref}", "--current", "{cur}"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["drift.psi", *DRIFT, "--column", "salary"],
            "reference.parquet has no column 'salary' (it has ",
        ),
        (
            ["drift.psi", "--reference", "{ref}", "--current", "{text_age}", "--column", "age"],
            "column 'age' is numeric in one data set and not in the other",
        ),
        (["drift.psi", "--reference", "{ref}", "--current", "{empty}"], "has no rows"),
        (
            ["drift.psi", "--reference", "{ref}", "--current", "{no_ages}", "--column", "age"],
            "column 'age' has no values in the current data",
        ),
        (
            ["quality.outlier_ratio", "--current", "{text_age}", "--column", "age"],
            "column 'age' of",
        ),
        (["quality.class_balance", "--current", "{one_class}"], "1 class; at least two are needed"),
        (
            [
                "fairness.demographic_parity_difference",
                "--predictions",
                "{one_group}",
                "--sensitive",
                "sex",
            ],
            "1 group; at least two",
        ),
        (["performance.roc_auc", "--predictions", "{one_class}"], "single class"),
        (["drift.psi", "--reference", "{ref}", "--current", "{garbage}"], "cannot read"),
        (["drift.nonsense"], "unknown probe 'drift.nonsense'"),
        (["drift.psi", "--reference", "{ref}", "--current", "{missing}"], "no such file"),
        (["drift.psi"], "needs the reference data"),
        (
            ["quality.rows", "--current", "{one_class}", "--param", "bogus=1"],
            "takes no parameter bogus",
        ),
    ],
)
def test_bad_input_is_one_clear_message(
    capsys: pytest.CaptureFixture[str], assay_home: Path, data: Path, args: list[str], message: str
) -> None:
    (data / "n.csv").write_text("age,income\n,1\n,2\n")
    (data / "garbage.parquet").write_bytes(b"not parquet at all")
    files = {
        "ref": data / "reference.parquet",
        "cur": data / "current.parquet",
        "text_age": write_csv(data / "t.csv", {"age": ["young", "old"], "income": [1.0, 2.0]}),
        "empty": write_csv(data / "e.csv", {"age": pa.array([], pa.int64())}),
        "no_ages": data / "n.csv",
        "one_class": write_csv(
            data / "o.csv", {"label": [1, 1], "prediction": [1, 0], "score": [0.9, 0.2]}
        ),
        "one_group": write_csv(
            data / "g.csv", {"label": [1, 0], "prediction": [1, 0], "sex": ["f", "f"]}
        ),
        "garbage": data / "garbage.parquet",
        "missing": data / "absent.csv",
    }
    filled = [argument.format(**{k: str(v) for k, v in files.items()}) for argument in args]
    result = run_cli(capsys, "probe", "run", *filled)
    assert result.exit_code == 2, result
    assert "Traceback" not in result.stderr
    assert message in result.stderr, result.stderr


def test_probes_inside_an_audit_share_work_and_trace_inputs(
    capsys: pytest.CaptureFixture[str], assay_home: Path, data: Path
) -> None:
    files = {"reference": "reference.parquet", "current": "current.parquet"}
    measurements = [
        {
            "id": "income-psi",
            "name": "PSI",
            "comparison": "less_than",
            "target": 0.2,
            "assessment_interface": {
                "kind": "probe",
                "probe": "drift.psi",
                "column": "income",
                **files,
            },
        },
        {
            "id": "age-psi",
            "name": "PSI",
            "comparison": "less_than",
            "target": 0.2,
            "assessment_interface": {
                "kind": "probe",
                "probe": "drift.psi",
                "column": "age",
                **files,
            },
        },
        {
            "id": "share",
            "name": "Drifted share",
            "comparison": "less_or_equal",
            "target": 0.5,
            "assessment_interface": {"kind": "probe", "probe": "drift.share", **files},
        },
        {
            "id": "parity",
            "name": "Parity",
            "comparison": "less_or_equal",
            "target": 0.1,
            "assessment_interface": {
                "kind": "probe",
                "probe": "fairness.demographic_parity_difference",
                "predictions": "predictions.csv",
                "sensitive": "sex",
            },
        },
        {
            "id": "broken",
            "name": "Bad column",
            "comparison": "less_than",
            "target": 0.2,
            "assessment_interface": {
                "kind": "probe",
                "probe": "drift.psi",
                "column": "salary",
                **files,
            },
        },
    ]
    spec = spec_document(measurements, spec_id="data")
    (data / "spec.yaml").write_text(yaml.safe_dump(spec))
    result = run_cli(capsys, "audit", "run", str(data / "spec.yaml"), "-f", "json")
    assert result.exit_code == 0, result
    model = json.loads(result.stdout)
    found = {
        m["id"]: m for m in model["dimensions"][0]["requirements"][0]["metrics"][0]["measurements"]
    }
    assert found["income-psi"]["outcome"] == "fail"
    assert found["age-psi"]["outcome"] == "pass"
    assert found["share"]["value"] == pytest.approx(1 / 3)
    assert found["parity"]["outcome"] in ("pass", "fail")
    assert found["broken"]["outcome"] == "error"
    assert "no column 'salary'" in found["broken"]["error"]
    assert (
        found["income-psi"]["source"]
        == "probe:drift.psi(reference.parquet, current.parquet; column=income)"
    )
    ledger = json.loads(
        run_cli(capsys, "ledger", "list", "--kind", "audit.measurement", "-f", "json").stdout
    )
    traced = next(e for e in ledger if e["payload"]["element"] == "income-psi")
    assert traced["payload"]["metadata"]["inputs"]["reference"]["rows"] == 3000
    assert len(traced["payload"]["metadata"]["inputs"]["current"]["sha256"]) == 64


def test_the_data_report_shows_every_column_with_its_chart(
    capsys: pytest.CaptureFixture[str], assay_home: Path, data: Path
) -> None:
    out = data / "report.html"
    result = run_cli(
        capsys,
        "probe",
        "report",
        "--reference",
        str(data / "reference.parquet"),
        "--current",
        str(data / "current.parquet"),
        "-o",
        str(out),
    )
    assert result.exit_code == 0, result
    html = out.read_text(encoding="utf-8")
    assert not re.search(r"<script|<link|<img|src=|href=\"(?!#)|url\((?!#)|@import", html)
    for column in ("income", "age", "region"):
        card = html.split(f'id="column-{column}"', 1)[1].split("</div>\n</div>", 1)[0]
        assert "<svg" in card, column
    assert html.count("<svg") == 3
    assert 'class="card drifted" id="column-income"' in html
    assert 'class="card" id="column-age"' in html
    assert "1 of 3 columns drifted" in html
    missing = run_cli(
        capsys,
        "probe",
        "report",
        "--reference",
        str(data / "nope.csv"),
        "--current",
        str(data / "current.parquet"),
    )
    assert missing.exit_code == 2
    assert "no such file" in missing.stderr


def test_prediction_drift(
    capsys: pytest.CaptureFixture[str], assay_home: Path, tmp_path: Path
) -> None:
    rng = np.random.default_rng(9)
    before = pa.table(
        {"prediction": rng.choice([0, 1], 4_000, p=[0.7, 0.3]), "x": rng.normal(0, 1, 4_000)}
    )
    after = pa.table(
        {"prediction": rng.choice([0, 1], 4_000, p=[0.4, 0.6]), "x": rng.normal(0, 1, 4_000)}
    )
    pq.write_table(before, tmp_path / "before.parquet")
    pq.write_table(after, tmp_path / "after.parquet")
    result = probe(
        capsys,
        "drift.prediction",
        "--reference",
        str(tmp_path / "before.parquet"),
        "--current",
        str(tmp_path / "after.parquet"),
    )
    assert result["value"]["column"] == "prediction"
    assert (result["value"]["method"], result["value"]["drifted"]) == ("jensen_shannon", True)


def test_parallel_requests_for_the_same_inputs_compute_once() -> None:
    import threading
    import time
    from collections import OrderedDict

    from assay.collectors.probe import _once

    calls: list[int] = []
    cache: OrderedDict[object, object] = OrderedDict()

    def slow() -> int:
        calls.append(1)
        time.sleep(0.2)
        return 42

    results: list[object] = []
    threads = [
        threading.Thread(target=lambda: results.append(_once(cache, ("same",), slow)))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [42] * 8
    assert len(calls) == 1
