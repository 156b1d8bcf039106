"""Collectors of other tools' results, each fed what the real tool produced in the test:
JUnit XML written by pytest, an Evidently snapshot, an MLflow evaluation, a Great Expectations
validation result, and a real Prometheus (Debian's package, installed by .ci/run) scraping a
test exporter. Values are checked against an oracle (scipy, scikit-learn, pandas, the
exporter's own numbers); bad input gets one clear CollectionError."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
from prometheus_client import CollectorRegistry, Gauge, start_http_server
from scipy import stats

from assay.collectors.base import CollectContext, CollectionError, parse_interface
from assay.integrations.plugins import load_plugins
from tests.helpers.server import started_on_free_port, stop

PROMETHEUS = shutil.which("prometheus")


@pytest.fixture(autouse=True)
def _collectors() -> None:
    load_plugins()


def collect(raw: str | dict[str, Any], base: Path) -> Any:
    collector, parameters = parse_interface(raw)
    return collector.collect(parameters, CollectContext(base, {}))


def fails(raw: str | dict[str, Any], base: Path, message: str) -> None:
    with pytest.raises(CollectionError) as caught:
        collect(raw, base)
    assert message in str(caught.value), str(caught.value)


# -- JUnit XML ------------------------------------------------------------------------------

TESTS = """
import pytest

@pytest.fixture
def broken():
    raise RuntimeError("setup fails")

def test_one(): assert True
def test_two(): assert True
def test_three(): assert 1 == 2
@pytest.mark.skip(reason="later")
def test_four(): pass
def test_five(broken): pass
"""


def write_junit(directory: Path, *options: str) -> None:
    """Run pytest on TESTS in ``directory``, writing results.xml."""
    (directory / "test_sample.py").write_text(TESTS)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "test_sample.py",
            "--junitxml=results.xml",
            *options,
        ],
        cwd=directory,
        capture_output=True,
        check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")},
    )


def test_junit_counts_what_pytest_wrote(tmp_path: Path) -> None:
    write_junit(tmp_path, "-o", "junit_suite_name=model-tests")
    figures = {
        what: collect({"kind": "junit", "path": "results.xml", "select": what}, tmp_path)
        for what in ("tests", "passed", "failed", "errors", "skipped")
    }
    assert figures == {"tests": 5, "passed": 2, "failed": 1, "errors": 1, "skipped": 1}
    assert collect("junit:results.xml#pass_rate", tmp_path) == pytest.approx(2 / 4)
    suite = {"kind": "junit", "path": "results.xml", "select": "tests", "suite": "model-tests"}
    assert collect(suite, tmp_path) == 5
    assert collect("junit:results.xml#time", tmp_path) >= 0
    whole = collect("junit:results.xml", tmp_path)
    assert {k: whole[k] for k in figures} == figures
    assert whole["pass_rate"] == pytest.approx(0.5)
    fails({**suite, "suite": "other"}, tmp_path, "has no test suite 'other'")
    (tmp_path / "bomb.xml").write_text(
        '<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><testsuites>&b;</testsuites>'
    )
    fails("junit:bomb.xml#tests", tmp_path, "refused XML")
    (tmp_path / "other.xml").write_text("<html/>")
    fails("junit:other.xml#tests", tmp_path, "is not JUnit XML")
    (tmp_path / "broken.xml").write_text("<testsuites>")
    fails("junit:broken.xml#tests", tmp_path, "is not XML")
    fails("junit:missing.xml#tests", tmp_path, "no such file")
    with pytest.raises(ValueError, match="select"):
        parse_interface({"kind": "junit", "path": "results.xml", "select": "bogus"})


# -- Evidently ------------------------------------------------------------------------------


def test_evidently_metrics_by_id_and_column(tmp_path: Path) -> None:
    from evidently import Report
    from evidently.metrics import MissingValueCount, ValueDrift
    from evidently.presets import DataDriftPreset

    rng = np.random.default_rng(7)
    reference = pd.DataFrame({"age": rng.normal(40, 5, 300), "income": rng.normal(3, 1, 300)})
    current = pd.DataFrame({"age": rng.normal(43, 5, 300), "income": rng.normal(3, 1, 300)})
    current.loc[:29, "income"] = np.nan
    snapshot = Report(
        [ValueDrift(column="age"), MissingValueCount(column="income"), DataDriftPreset()]
    ).run(current, reference)
    snapshot.save_json(str(tmp_path / "drift.json"))

    p_value = collect(
        {
            "kind": "evidently",
            "path": "drift.json",
            "metric": "ValueDrift(column=age,method=K-S p_value,threshold=0.05)",
        },
        tmp_path,
    )
    assert p_value == pytest.approx(stats.ks_2samp(reference.age, current.age).pvalue, rel=1e-9)
    assert collect("evidently:drift.json#MissingValueCount/income/share", tmp_path) == 0.1
    assert collect("evidently:drift.json#MissingValueCount/income/count", tmp_path) == 30
    assert collect("evidently:drift.json#DriftedColumnsCount//count", tmp_path) >= 1
    fails("evidently:drift.json#ValueDrift", tmp_path, "metrics match ValueDrift")
    assert collect("evidently:drift.json#MissingValueCount/income", tmp_path) == {
        "count": 30,
        "share": 0.1,
    }
    fails("evidently:drift.json#RocAuc", tmp_path, "no metric match RocAuc")
    (tmp_path / "plain.json").write_text("{}")
    fails("evidently:plain.json#ValueDrift", tmp_path, "not an Evidently report")
    with pytest.raises(ValueError, match="needs both parts"):
        parse_interface("evidently:drift.json")


# -- MLflow evaluation ----------------------------------------------------------------------


def test_mlflow_evaluation_metrics(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mlflow
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    # Runs of a SQLite tracking store keep their artifacts in ./mlruns: here, not the checkout.
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    labels = (frame.a + rng.normal(scale=0.7, size=300) > 0).astype(int)
    model = LogisticRegression().fit(frame, labels)
    with mlflow.start_run():
        result = mlflow.models.evaluate(  # type: ignore[no-untyped-call]
            lambda data: model.predict(data[["a", "b"]]),
            frame.assign(label=labels),
            targets="label",
            model_type="classifier",
        )
    result.save(str(tmp_path / "evaluation"))
    predicted = model.predict(frame)
    assert collect("mlflow_evaluation:evaluation#accuracy_score", tmp_path) == pytest.approx(
        accuracy_score(labels, predicted), abs=1e-12
    )
    assert collect(
        {"kind": "mlflow_evaluation", "path": "evaluation/metrics.json", "metric": "f1_score"},
        tmp_path,
    ) == pytest.approx(f1_score(labels, predicted), abs=1e-12)
    fails("mlflow_evaluation:evaluation#roc", tmp_path, "has no metric 'roc'")


# -- Great Expectations ---------------------------------------------------------------------


def test_great_expectations_validation_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    import great_expectations.expectations as gxe

    context = gx.get_context(mode="ephemeral")
    batch = (
        context.data_sources.add_pandas("frames")
        .add_dataframe_asset("scores")
        .add_batch_definition_whole_dataframe("all")
    )
    suite = context.suites.add(gx.ExpectationSuite(name="scores"))
    suite.add_expectation(gxe.ExpectColumnValuesToNotBeNull(column="score"))  # type: ignore[attr-defined]
    suite.add_expectation(gxe.ExpectColumnValuesToNotBeNull(column="age"))  # type: ignore[attr-defined]
    suite.add_expectation(gxe.ExpectColumnMeanToBeBetween(column="age", min_value=0, max_value=60))  # type: ignore[attr-defined]
    frame = pd.DataFrame({"score": [0.1, None, 0.3, 0.4], "age": [30, 41, 52, 95]})
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name="nightly", data=batch, suite=suite)
    )
    result = definition.run(batch_parameters={"dataframe": frame})
    (tmp_path / "gx.json").write_text(json.dumps(result.to_json_dict()))  # type: ignore[no-untyped-call]

    assert collect("great_expectations:gx.json#success", tmp_path) is False
    assert collect("great_expectations:gx.json#success_percent", tmp_path) == pytest.approx(200 / 3)
    base = {"kind": "great_expectations", "path": "gx.json"}
    nulls = {**base, "expectation": "expect_column_values_to_not_be_null", "column": "score"}
    assert collect({**nulls, "select": "unexpected_percent"}, tmp_path) == 25.0
    assert collect({**nulls, "column": "age", "select": "success"}, tmp_path) is True
    mean = {**base, "expectation": "expect_column_mean_to_be_between", "select": "observed_value"}
    assert collect(mean, tmp_path) == pytest.approx(frame.age.mean())
    fails({k: v for k, v in nulls.items() if k != "column"}, tmp_path, "name the column")
    fails({**mean, "select": "nothing"}, tmp_path, "has no 'nothing'")
    fails({**base, "select": "mean"}, tmp_path, "select one of success")
    wrapped = {"run_results": {"a": result.to_json_dict(), "b": result.to_json_dict()}}  # type: ignore[no-untyped-call]
    (tmp_path / "checkpoint.json").write_text(json.dumps(wrapped))
    fails("great_expectations:checkpoint.json#success", tmp_path, "name the suite")


# -- Prometheus -----------------------------------------------------------------------------


@pytest.fixture
def prometheus(tmp_path: Path) -> Iterator[str]:
    """A real Prometheus scraping an exporter of this test every 0.5 s; its base URL once it
    has scraped the exporter."""
    assert PROMETHEUS, "prometheus is not installed (.ci/run installs Debian's package)"
    registry = CollectorRegistry()
    latency = Gauge("model_latency_seconds", "p95 latency", ["route"], registry=registry)
    latency.labels(route="/predict").set(0.25)
    latency.labels(route="/explain").set(1.5)
    Gauge("drift_score", "PSI of the top feature", registry=registry).set(0.07)
    server, _thread = start_http_server(0, addr="127.0.0.1", registry=registry)
    exporter = server.server_address[1]
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 500ms, evaluation_interval: 500ms}\n"
        "scrape_configs:\n"
        f"  - job_name: model\n    static_configs: [{{targets: ['127.0.0.1:{exporter}']}}]\n"
    )

    def start(port: int) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [
                str(PROMETHEUS),
                f"--config.file={config}",
                f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
        )

    process, url = started_on_free_port(start, "/-/ready", seconds=60)
    try:
        deadline = time.monotonic() + 60
        while True:
            answer = httpx.get(f"{url}/api/v1/query", params={"query": "drift_score"}).json()
            if answer["data"]["result"]:
                break
            assert time.monotonic() < deadline, "Prometheus did not scrape the exporter"
            time.sleep(0.2)
        yield url
    finally:
        stop(process)
        server.shutdown()


def test_prometheus_instant_queries(prometheus: str, tmp_path: Path) -> None:
    def query(text: str) -> Any:
        return collect({"kind": "prometheus", "url": prometheus, "query": text}, tmp_path)

    assert query("drift_score") == 0.07
    assert query('model_latency_seconds{route="/predict"}') == 0.25
    assert query("max(model_latency_seconds)") == 1.5
    assert query("scalar(sum(model_latency_seconds))") == 1.75
    assert collect(f"prometheus:{prometheus}#drift_score * 2", tmp_path) == 0.14
    fails(
        {"kind": "prometheus", "url": prometheus, "query": "model_latency_seconds"},
        tmp_path,
        "returned 2 series",
    )
    fails(
        {"kind": "prometheus", "url": prometheus, "query": "no_such_metric"},
        tmp_path,
        "returned no series",
    )
    fails(
        {"kind": "prometheus", "url": prometheus, "query": "drift_score[1m]"},
        tmp_path,
        "the result is a matrix",
    )
    fails(
        {"kind": "prometheus", "url": prometheus, "query": "sum(("},
        tmp_path,
        "Prometheus answered an error",
    )
    closed = prometheus.rsplit(":", 1)[0] + ":1"
    fails({"kind": "prometheus", "url": closed, "query": "up"}, tmp_path, "could not connect")


# -- Giskard --------------------------------------------------------------------------------

GISKARD_SCAN = Path(__file__).parent / "fixtures" / "giskard-scan.json"


def test_giskard_issues_by_detector_and_severity(tmp_path: Path) -> None:
    """On a report written by real Giskard 2.19.2 (fixtures/make_giskard_scan.py: it needs
    numpy < 2, so it ran in a venv of its own)."""
    shutil.copy(GISKARD_SCAN, tmp_path / "scan.json")
    report = json.loads(GISKARD_SCAN.read_text())
    every = sum(len(issues) for levels in report.values() for issues in levels.values())
    assert collect("giskard:scan.json", tmp_path) == every == 4
    assert collect("giskard:scan.json#PerformanceBias", tmp_path) == 2
    assert collect("giskard:scan.json#PerformanceBiasDetector/major", tmp_path) == 1
    assert collect("giskard:scan.json#/minor", tmp_path) == 2
    assert collect("giskard:scan.json#EthicalBias", tmp_path) == 0, "ran, found nothing"
    fails("giskard:scan.json#Robustness", tmp_path, "did not run")
    (tmp_path / "list.json").write_text("[1, 2]")
    fails("giskard:list.json", tmp_path, "is not a Giskard scan report")
    with pytest.raises(ValueError, match="severity"):
        parse_interface("giskard:scan.json#PerformanceBias/critical")


def test_a_spec_names_them_like_any_other_interface(
    tmp_path: Path, assay_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.helpers.running import run_cli

    write_junit(tmp_path)
    shutil.copy(GISKARD_SCAN, tmp_path / "scan.json")

    def measurement(ident: str, comparison: str, target: float, **more: Any) -> dict[str, Any]:
        return {"id": ident, "name": ident, "comparison": comparison, "target": target, **more}

    spec = {
        "spec": 1,
        "id": "tools",
        "name": "Evidence from other tools",
        "target": "model@1",
        "dimensions": [
            {
                "id": "d",
                "name": "Quality",
                "requirements": [
                    {
                        "id": "r",
                        "name": "Tested and scanned",
                        "metrics": [
                            {
                                "id": "tests",
                                "name": "Tests",
                                "assessment_interface": "junit:results.xml",
                                "measurements": [
                                    measurement("failed", "less_or_equal", 0, select="failed"),
                                    measurement("passed", "greater_or_equal", 2, select="passed"),
                                ],
                            },
                            {
                                "id": "scan",
                                "name": "Giskard scan",
                                "assessment_interface": "giskard:scan.json#/major",
                                "measurements": [measurement("major-issues", "less_or_equal", 0)],
                            },
                        ],
                    }
                ],
            }
        ],
    }
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    ran = run_cli(capsys, "audit", "run", str(tmp_path / "spec.json"), "-f", "json")
    assert ran.exit_code == 0, ran.stderr
    values = {
        m["id"]: (m["value"], m["outcome"], m["source"])
        for metric in json.loads(ran.stdout)["dimensions"][0]["requirements"][0]["metrics"]
        for m in metric["measurements"]
    }
    assert values == {
        "failed": (1, "fail", "junit:results.xml"),
        "passed": (2, "pass", "junit:results.xml"),
        "major-issues": (1, "fail", "giskard:scan.json#/major"),
    }
