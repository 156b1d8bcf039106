"""``assay audit validate|schema``: the specification format and every way it can be wrong."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from assay.files.documents import load_document
from tests.helpers.paths import REPO
from tests.helpers.running import run_cli

VALID = """\
spec: 1
id: credit-model
name: Credit model quality
comment: What "good enough" means for the credit-scoring model.
assessor: none
target: credit-model
risks:
  - {id: unfair-lending, description: Some groups are refused credit unfairly, severity: high}
dimensions:
  - id: performance
    name: Performance
    requirements:
      - id: accuracy-floor
        name: Accuracy stays at or above 0.85
        frequency: {every: P1D, on: [model_registered]}
        risks: [unfair-lending]
        tags: [model]
        metrics:
          - id: holdout
            name: Holdout metrics
            assessment_interface: file:metrics.json
            measurements:
              - {id: accuracy, name: Accuracy, comparison: GreaterOrEqual, target: 0.85,
                 select: holdout.accuracy}
              - {id: grade, name: Grade, data_type: ordinal, scale: [C, B, A],
                 comparison: in_range, target: [B, A], select: grade}
  - id: documentation
    name: Documentation
    requirements:
      - id: model-card
        name: A model card is published
        frequency: P7D
        severity: advisory
        metrics:
          - id: card
            name: Model card
            measurements:
              - id: card-exists
                name: The model card exists
                data_type: boolean
                comparison: equal_to
                target: true
                assessment_interface: {kind: command, argv: [test, -f, MODEL_CARD.md], parse: text}
      - id: risk-review
        name: Risk evaluation is documented
        assessor: Compliance office
        assessment_interface: https://compliance.example/verdicts/credit-model#verdict
"""


def write(tmp_path: Path, text: str, name: str = "spec.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_valid_spec_is_summarized(
    capsys: pytest.CaptureFixture[str], assay_home: Path, tmp_path: Path
) -> None:
    result = run_cli(capsys, "audit", "validate", str(write(tmp_path, VALID)))
    assert result.exit_code == 0, result
    assert "valid — 2 dimensions, 3 requirements, 2 metrics, 3 measurements" in result.stdout


def test_the_schema_describes_the_format_and_accepts_the_example(
    capsys: pytest.CaptureFixture[str], assay_home: Path, tmp_path: Path
) -> None:
    out = tmp_path / "spec.schema.json"
    assert run_cli(capsys, "audit", "schema", "-o", str(out)).exit_code == 0
    schema = json.loads(out.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    example = load_document(write(tmp_path, VALID)).data
    # The schema knows durations as strings: what the file holds is valid against it.
    errors = list(Draft202012Validator(schema).iter_errors(example))
    assert errors == []
    published = REPO / "docs" / "schemas" / "spec.schema.json"
    assert json.loads(published.read_text(encoding="utf-8")) == schema, (
        "docs/schemas/spec.schema.json is stale: run assay audit schema -o it"
    )


BASE = {"id": "x", "name": "X", "comparison": "greater_or_equal", "target": 0.8}
BAD: list[tuple[dict[str, Any], str]] = [
    ({"comparison": "between"}, "unknown comparison 'between'"),
    ({"data_type": "complex"}, "unknown data type 'complex'"),
    ({"comparison": "contains"}, "contains cannot compare numeric values"),
    ({"target": "high"}, "the target does not fit: 'high' is not a number"),
    ({"comparison": "in_range", "target": [0.9, 0.8]}, "are not in order"),
    ({"comparison": "in_range", "target": [0.9]}, "two bounds"),
    ({"comparison": "matches", "data_type": "string", "target": "(["}, "not a regular expression"),
    ({"scale": ["a", "b"]}, "a numeric measurement has no scale"),
    ({"data_type": "ordinal"}, "needs its scale"),
    ({"tolerance": 0.1}, "a tolerance applies only to numeric"),
    ({"assessment_interface": "ftp://host/x"}, "'ftp://host/x' is not an assessment interface"),
    ({"assessment_interface": {"kind": "carrier-pigeon"}}, "unknown collector kind"),
    ({"assessment_interface": {"kind": "file"}}, "file interface: path: Field required"),
    (
        {"assessment_interface": {"kind": "command", "argv": "ls -l"}},
        "argv must be a list of arguments, or set shell: true",
    ),
    (
        {
            "assessment_interface": {
                "kind": "sql",
                "query": "select 1",
                "url": "postgresql://u:pw@h/d",
            }
        },
        "a password does not belong in the spec",
    ),
    ({"assessment_interface": [1, 2]}, "an assessment interface is a short form"),
    ({"target": {"baseline": "champion"}}, "give exactly one of max_drop"),
    ({"target": {"baseline": "champion", "max_drop": 0.01, "x": 1}}, "unexpected ['x']"),
    (
        {"target": {"baseline": "champion", "max_rise": 0.01}},
        "max_rise goes with comparison less_or_equal",
    ),
    ({"nmae": "typo"}, "nmae: unexpected key"),
    ({"id": "Not A Slug"}, "String should match pattern"),
]


def spec_with(measurement: dict[str, Any]) -> str:
    """A spec whose only measurement is ``measurement``."""
    metric = {"id": "m", "name": "M", "measurements": [measurement]}
    requirement = {"id": "r", "name": "R", "metrics": [metric]}
    dimension = {"id": "d", "name": "D", "requirements": [requirement]}
    document = {"spec": 1, "id": "s", "name": "S", "dimensions": [dimension]}
    return yaml.safe_dump(document, sort_keys=False)


@pytest.mark.parametrize(("override", "message"), BAD)
def test_a_bad_measurement_is_named_with_line_and_path(
    capsys: pytest.CaptureFixture[str],
    assay_home: Path,
    tmp_path: Path,
    override: dict[str, Any],
    message: str,
) -> None:
    spec = write(tmp_path, spec_with(BASE | override))
    result = run_cli(capsys, "audit", "validate", str(spec))
    assert result.exit_code == 2, result
    assert "Traceback" not in result.stderr
    assert f"{spec}: " in result.stderr
    place = r"line \d+: dimensions\[0\]\.requirements\[0\]\.metrics\[0\]\.measurements\[0\]"
    assert re.search(place, result.stderr)
    assert message in result.stderr, result.stderr


def test_every_problem_is_listed_at_once(
    capsys: pytest.CaptureFixture[str], assay_home: Path, tmp_path: Path
) -> None:
    text = (
        VALID.replace("risks: [unfair-lending]", "risks: [unfair-lending, data-leak]")
        .replace("frequency: P7D", "frequency: P7X")
        .replace("severity: advisory", "severity: maybe")
        .replace("id: grade", "id: accuracy")
        .replace("spec: 1", "spec: 2")
    )
    result = run_cli(capsys, "audit", "validate", str(write(tmp_path, text)))
    assert result.exit_code == 2
    for fragment in (
        "5 problems",
        "line 1: spec: format version 2 is not supported; expected spec: 1",
        "line 16: dimensions[0].requirements[0].risks[1]: no risk 'data-leak' is declared",
        "measurements[1].id: the id 'accuracy' is used twice",
        "'P7X' is not an ISO 8601 duration",
        "severity: Input should be 'blocking' or 'advisory'",
    ):
        assert fragment in result.stderr, (fragment, result.stderr)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("spec: 1\nid: s\nname: [unclosed\n", "not valid YAML"),
        ("- a list\n", "the document is not a mapping"),
        ("spec: 1\nid: s\nname: S\ndimensions: []\n", "dimensions: List should have at least 1"),
        (
            "spec: 1\nid: s\nname: S\ndimensions:\n  - {id: d, name: D, "
            "assessment_interface: 'file:x.json'}\n",
            "only a metric, a measurement or an element with an assessor takes",
        ),
    ],
)
def test_malformed_files(
    capsys: pytest.CaptureFixture[str], assay_home: Path, tmp_path: Path, text: str, message: str
) -> None:
    result = run_cli(capsys, "audit", "validate", str(write(tmp_path, text)))
    assert result.exit_code == 2
    assert message in result.stderr, result.stderr


def test_a_missing_spec_file(
    capsys: pytest.CaptureFixture[str], assay_home: Path, tmp_path: Path
) -> None:
    result = run_cli(capsys, "audit", "validate", str(tmp_path / "none.yaml"))
    assert result.exit_code == 2
    assert "none.yaml: file not found" in result.stderr


def test_the_docs_show_the_example_spec_as_it_is(
    capsys: pytest.CaptureFixture[str], assay_home: Path
) -> None:
    root = REPO
    example = root / "src" / "assay" / "examples" / "audit" / "credit-model" / "spec.yaml"
    docs = (root / "docs" / "audit.md").read_text(encoding="utf-8")
    block = docs.split("### A complete example", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    assert block == example.read_text(encoding="utf-8"), "docs/audit.md shows an outdated copy"
    assert run_cli(capsys, "audit", "validate", str(example)).exit_code == 0


def test_the_example_specs_name_the_schema_for_editors() -> None:
    """Each example spec's first line is a yaml-language-server modeline whose path reaches the
    published schema, and the spec is valid against it: completion in VS Code needs nothing
    configured."""
    examples = sorted((REPO / "src" / "assay" / "examples" / "audit").glob("*/spec.yaml"))
    assert examples
    for example in examples:
        first = example.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), example
        schema_path = (example.parent / first.split("$schema=", 1)[1]).resolve()
        assert schema_path == REPO / "docs" / "schemas" / "spec.schema.json"
        schema = json.loads(schema_path.read_text(encoding="utf-8"))
        document = load_document(example).data
        assert list(Draft202012Validator(schema).iter_errors(document)) == [], example
