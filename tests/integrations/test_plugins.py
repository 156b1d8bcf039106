"""Plugins: a real package installed beside assay extends its data types, comparisons and
collectors through entry points."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers.paths import TESTS
from tests.helpers.running import run_process
from tests.helpers.specs import spec_document

PLUGIN = TESTS / "plugin_example"

SPEC = spec_document(
    [
        {
            "id": "share",
            "name": "Share of approved applications",
            "data_type": "percent",
            "comparison": "approximately",
            "target": "93%",
            "assessment_interface": {"kind": "constant", "value": "93.5%"},
        }
    ],
    spec_id="plugged",
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example plugin, built and installed into a directory of its own."""
    target = tmp_path_factory.mktemp("site")
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    offline = ["--no-deps", "--no-build-isolation", "--target", str(target)]
    subprocess.run([*pip, *offline, str(PLUGIN)], check=True, capture_output=True, timeout=120)
    return target


def test_an_installed_plugin_is_used(site: Path, tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(SPEC))
    env = {
        "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]),
        "ASSAY_HOME": str(tmp_path / "home"),
    }
    valid = run_process("audit", "validate", str(spec), env=env)
    assert valid.exit_code == 0, valid.stderr
    ran = run_process("audit", "run", str(spec), "-f", "json", env=env)
    assert ran.exit_code == 0, ran.stderr
    model = json.loads(ran.stdout)
    measurement = model["dimensions"][0]["requirements"][0]["metrics"][0]["measurements"][0]
    assert (measurement["outcome"], measurement["value"], measurement["source"]) == (
        "pass",
        93.5,
        "constant:'93.5%'",
    )


def test_without_the_plugin_its_names_are_unknown(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(SPEC))
    result = run_process("audit", "validate", str(spec), env={"ASSAY_HOME": str(tmp_path)})
    assert result.exit_code == 2
    assert "unknown data type 'percent'" in result.stderr
    assert "unknown comparison 'approximately'" in result.stderr
    assert "unknown collector kind 'constant'" in result.stderr
