"""The testing methodology catalog and ``assay audit coverage``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from assay.catalog.testing import load_methodology
from assay.probes.catalog import PROBES
from tests.helpers.paths import REPO
from tests.helpers.running import run_cli
from tests.helpers.seeds import seed_text
from tests.helpers.specs import spec_document

EXAMPLE = REPO / "src" / "assay" / "examples" / "audit" / "credit-model" / "spec.yaml"


def test_the_catalog_has_the_five_phases_and_their_test_items() -> None:
    methodology = load_methodology()
    assert [phase.id for phase in methodology.phases] == [
        "inception",
        "experimentation",
        "training",
        "integration",
        "operation",
    ]
    # Rows of Tables 16-20 of the source: 3, 9, 4, 3 and 2 work products.
    assert [len(phase.items) for phase in methodology.phases] == [3, 9, 4, 3, 2]
    ids = [item.id for phase in methodology.phases for item in phase.items]
    assert len(ids) == len(set(ids))
    assert all(item.acceptance and item.tests for p in methodology.phases for item in p.items)
    served = {item for probe in PROBES.values() for item in probe.test_items}
    assert served <= set(ids), "every probe names test items of the catalog"


def test_the_phases_are_the_sources() -> None:
    text = seed_text("001")
    for number, phrase in zip(
        range(16, 21),
        [
            "business understanding and inception",
            "experimentation and training pipeline development",
            "the training phase",
            "system development and integration",
            "operation and monitoring",
        ],
        strict=True,
    ):
        caption = next(line for line in text.splitlines() if line.startswith(f"Table {number}:"))
        assert phrase in caption.lower(), (number, caption)


def test_coverage_of_the_example_spec(capsys: pytest.CaptureFixture[str], assay_home: Path) -> None:
    result = run_cli(capsys, "audit", "coverage", str(EXAMPLE), "-f", "json")
    assert result.exit_code == 0, result
    data = json.loads(result.stdout)
    covered = {
        i["id"]: i["measurements"] for p in data["phases"] for i in p["items"] if i["covered"]
    }
    assert covered == {
        "training.training-data": ["missing-ratio", "columns"],
        "training.ml-model": [
            "accuracy",
            "roc-auc",
            "calibration",
            "demographic-parity-difference",
            "four-fifths",
        ],
        "operation.drift": ["demographic-parity-difference", "four-fifths"],
    }
    assert (data["covered"], data["items"]) == (3, 21)
    table = run_cli(capsys, "audit", "coverage", str(EXAMPLE)).stdout
    assert "3 of 21 test items covered" in table
    assert "not covered" in table


def test_probes_cover_the_items_they_serve(
    capsys: pytest.CaptureFixture[str], assay_home: Path, tmp_path: Path
) -> None:
    measurement = {
        "id": "psi",
        "name": "PSI",
        "comparison": "less_than",
        "target": 0.2,
        "assessment_interface": {
            "kind": "probe",
            "probe": "drift.psi",
            "reference": "r.csv",
            "current": "c.csv",
            "column": "x",
        },
    }
    manual = {"id": "review", "name": "Reviewed", "tags": ["inception.requirements"]}
    spec = spec_document([measurement], more_requirements=[manual])
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec))
    data = json.loads(run_cli(capsys, "audit", "coverage", str(path), "-f", "json").stdout)
    covered = {i["id"] for p in data["phases"] for i in p["items"] if i["covered"]}
    assert covered == {"operation.drift"}, "attested elements are not automated coverage"


PARITY = "probe:fairness.demographic_parity_ratio"


def test_ethics_coverage_by_interface_and_by_tag() -> None:
    from assay.audit.coverage import ethics_coverage
    from assay.audit.spec import Specification

    spec = Specification.model_validate(
        {
            "spec": 1,
            "id": "s",
            "name": "s",
            "dimensions": [
                {
                    "id": "d",
                    "name": "d",
                    "tags": ["ethics:domain"],
                    "requirements": [
                        {
                            "id": "r",
                            "name": "r",
                            "metrics": [
                                {
                                    "id": "m",
                                    "name": "m",
                                    "assessment_interface": PARITY,
                                    "measurements": [
                                        {
                                            "id": "parity",
                                            "name": "p",
                                            "comparison": "greater_than",
                                            "target": 0.8,
                                        }
                                    ],
                                },
                                {
                                    "id": "q",
                                    "name": "q",
                                    "measurements": [
                                        {
                                            "id": "missing",
                                            "name": "m",
                                            "comparison": "less_than",
                                            "target": 0.1,
                                            "assessment_interface": "probe:quality.missing_ratio",
                                            "tags": ["ethics:business"],
                                        }
                                    ],
                                },
                            ],
                        }
                    ],
                }
            ],
        }
    )
    by_family = {"fairness": ("model", "user"), "quality": ("data",)}

    def categories_of(interface: object) -> tuple[str, ...]:
        family = str(interface).split(":", 1)[1].split(".")[0]
        return by_family[family]

    covered = ethics_coverage(
        spec, ("data", "model", "system", "process", "business", "user", "domain"), categories_of
    )
    assert covered == {
        "data": ("missing",),
        "model": ("parity",),
        "system": (),
        "process": (),
        "business": ("missing",),
        "user": ("parity",),
        "domain": ("parity", "missing"),
    }
