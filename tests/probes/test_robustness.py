"""Robustness probes on a real scikit-learn model saved with joblib."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pytest
from sklearn.linear_model import LogisticRegression

from tests.helpers.running import run_cli


@pytest.fixture
def project(tmp_path: Path) -> Path:
    rng = np.random.default_rng(4)
    n = 2_000
    strong = rng.normal(0, 1, n)
    weak = rng.normal(0, 1, n)
    label = (strong + 0.1 * weak + rng.normal(0, 0.5, n) > 0).astype(int)
    features = np.column_stack([strong, weak])
    joblib.dump(LogisticRegression().fit(features, label), tmp_path / "model.joblib")
    pa_csv.write_csv(
        pa.table({"strong": strong, "weak": weak, "label": label}), tmp_path / "data.csv"
    )
    return tmp_path


def probe(capsys: pytest.CaptureFixture[str], project: Path, name: str, *extra: str) -> Any:
    result = run_cli(
        capsys,
        "probe",
        "run",
        name,
        "--model",
        str(project / "model.joblib"),
        "--current",
        str(project / "data.csv"),
        "-f",
        "json",
        *extra,
    )
    assert result.exit_code == 0, result
    return json.loads(result.stdout)


def test_flip_rate_and_score_change_follow_their_definition(
    capsys: pytest.CaptureFixture[str], assay_home: Path, project: Path
) -> None:
    flip = probe(
        capsys, project, "robustness.flip_rate", "--param", "seed=3", "--param", "noise=0.2"
    )
    again = probe(
        capsys, project, "robustness.flip_rate", "--param", "seed=3", "--param", "noise=0.2"
    )
    assert flip["value"] == again["value"], "seeded: the same numbers every time"
    model = joblib.load(project / "model.joblib")
    table = pa_csv.read_csv(project / "data.csv")
    features = np.column_stack(
        [table.column(c).to_numpy().astype(float) for c in ("strong", "weak")]
    )
    rng = np.random.default_rng(3)
    noisy = features + rng.normal(0, 1, features.shape) * (0.2 * features.std(axis=0))
    assert flip["value"] == pytest.approx(np.mean(model.predict(noisy) != model.predict(features)))
    change = probe(
        capsys, project, "robustness.score_change", "--param", "seed=3", "--param", "noise=0.2"
    )
    expected = np.mean(
        np.abs(model.predict_proba(noisy)[:, 1] - model.predict_proba(features)[:, 1])
    )
    assert change["value"] == pytest.approx(expected, rel=1e-12)
    assert len(flip["inputs"]["model"]["sha256"]) == 64
    quiet = probe(capsys, project, "robustness.flip_rate", "--param", "noise=0")
    assert quiet["value"] == 0.0


def test_shuffling_the_feature_the_model_leans_on_flips_more(
    capsys: pytest.CaptureFixture[str], assay_home: Path, project: Path
) -> None:
    rates = probe(capsys, project, "robustness.feature_flip_rates")["value"]
    assert set(rates) == {"strong", "weak"}
    assert rates["strong"] > 0.3 > rates["weak"]


def test_bad_models_are_refused(
    capsys: pytest.CaptureFixture[str], assay_home: Path, project: Path
) -> None:
    (project / "garbage.joblib").write_bytes(b"not a model")
    with (project / "dict.pkl").open("wb") as stream:
        pickle.dump({"weights": [1, 2]}, stream)
    cases = [
        (["--model", str(project / "garbage.joblib")], "cannot load the model"),
        (["--model", str(project / "dict.pkl")], "the model has no predict method"),
        ([], "this probe needs the model"),
        (["--model", str(project / "absent.joblib")], "no such file"),
    ]
    for extra, message in cases:
        result = run_cli(
            capsys,
            "probe",
            "run",
            "robustness.flip_rate",
            "--current",
            str(project / "data.csv"),
            *extra,
        )
        assert result.exit_code == 2, (extra, result)
        assert message in result.stderr, (message, result.stderr)
