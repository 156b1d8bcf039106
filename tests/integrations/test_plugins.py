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

from tests.helpers.paths import REPO, TESTS
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


def test_the_plugin_surface_and_its_documentation_agree() -> None:
    """Every name `assay.plugin` exports is documented in docs/plugins.md, and nothing else is
    documented there as part of it."""
    import re

    import assay.plugin

    documented = re.findall(r"^### `(\w+)`$", (REPO / "docs" / "plugins.md").read_text(), re.M)
    assert sorted(documented) == sorted(assay.plugin.__all__)
    for name in assay.plugin.__all__:
        assert getattr(assay.plugin, name) is not None


def test_the_example_plugin_imports_only_the_plugin_surface() -> None:
    import ast

    tree = ast.parse((PLUGIN / "assay_example_plugin" / "__init__.py").read_text())
    imported = {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("assay")
    }
    assert imported == {"assay.plugin"}


@pytest.mark.parametrize(
    ("offered", "said"),
    [
        ("object()", "has no kind, parameters, collect, describe: not an assay.plugin.Collector"),
        ("Half", "parameters is not a subclass of assay.plugin.Parameters"),
        ("NotAType", "is not an assay.plugin.DataType"),
    ],
)
def test_a_plugin_that_is_not_what_its_group_takes_is_refused(
    tmp_path: Path, offered: str, said: str
) -> None:
    """A real package whose entry point offers the wrong kind of object: the command stops with
    exit 2 naming the plugin and what was wrong."""
    package = tmp_path / "bad" / "bad_plugin"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(
        "from typing import ClassVar\n"
        "class Half:\n"
        "    kind: ClassVar[str] = 'half'\n"
        "    parameters: ClassVar[type] = dict\n"
        "    def collect(self, parameters, context): return 1\n"
        "    def describe(self, parameters): return 'half'\n"
        "NotAType = 42\n"
    )
    group = "assay.data_types" if offered == "NotAType" else "assay.collectors"
    target = "bad_plugin:NotAType" if offered == "NotAType" else "bad_plugin:Half"
    if offered == "object()":
        (package / "__init__.py").write_text("thing = object()\n")
        target = "bad_plugin:thing"
    info = tmp_path / "site" / "bad_plugin-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: bad-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[{group}]\nbad = {target}\n")
    env = {
        "PYTHONPATH": os.pathsep.join([str(tmp_path / "site"), str(tmp_path / "bad")]),
        "ASSAY_HOME": str(tmp_path / "home"),
    }
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(SPEC))
    result = run_process("audit", "validate", str(spec), env=env)
    assert result.exit_code == 2, result.stderr
    assert "plugin 'bad'" in result.stderr
    assert said in result.stderr
    assert "Traceback" not in result.stderr
