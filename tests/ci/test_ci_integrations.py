"""The CI integrations users copy: the GitHub Action (action.yml), the GitLab CI template
(ci/assay.gitlab-ci.yml) and the pre-commit hook (.pre-commit-hooks.yaml), each run as written.

The commands run in a fresh virtual environment that sees the locked dependencies through a
.pth file, with pip told (by environment, not by changing the command) not to reach an index:
installing assay is real, nothing is downloaded."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers.paths import REPO
from tests.helpers.specs import spec_document

SPEC = spec_document(
    [
        {
            "id": "accuracy",
            "name": "Accuracy",
            "comparison": "greater_or_equal",
            "target": 0.8,
            "assessment_interface": "file:metrics.json#accuracy",
        }
    ],
    spec_id="quality",
)


@pytest.fixture(scope="module")
def fresh_python(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of a new virtual environment without assay, whose pip works offline."""
    root = tmp_path_factory.mktemp("ci-venv")
    subprocess.run([sys.executable, "-m", "venv", str(root)], check=True, timeout=120)
    site = subprocess.run(
        [
            str(root / "bin" / "python"),
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['purelib'])",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(site, "locked.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return {
        "PATH": f"{root / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "VIRTUAL_ENV": str(root),
        "PIP_NO_INDEX": "1",
        "PIP_NO_BUILD_ISOLATION": "0",  # pip reads this one inverted: 0 builds without isolation
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "HOME": str(root),
    }


def project(directory: Path, accuracy: float) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "spec.yaml").write_text(yaml.safe_dump(SPEC))
    (directory / "metrics.json").write_text(f'{{"accuracy": {accuracy}}}')
    return directory


def run_steps(
    scripts: list[str], env: Mapping[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    """The scripts one after another in one bash, stopping at the first that fails, as the CI
    runners do."""
    return subprocess.run(
        ["bash", "-e", "-c", "\n".join(scripts)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
        env={**os.environ, **env, "ASSAY_HOME": str(cwd / ".assay")},
    )


def action_steps(inputs: Mapping[str, str]) -> tuple[list[str], dict[str, str]]:
    """action.yml's run steps and the environment GitHub would give them for ``inputs``."""
    action: dict[str, Any] = yaml.safe_load((REPO / "action.yml").read_text())
    values = {name: spec.get("default", "") for name, spec in action["inputs"].items()}
    values.update(inputs)
    assert all(values[n] for n, s in action["inputs"].items() if s.get("required"))

    def expand(text: str) -> str:
        text = text.replace("${{ github.action_path }}", str(REPO))
        return re.sub(r"\$\{\{ inputs\.([\w-]+) \}\}", lambda m: values[m.group(1)], text)

    scripts, env = [], {}
    steps = action["runs"]["steps"]
    assert action["runs"]["using"] == "composite"
    # The setup-python step: the machine's Python stands in for it.
    assert steps[0]["uses"].startswith("actions/setup-python@")
    for step in steps[1:]:
        assert step["shell"] == "bash"
        env.update({key: expand(value) for key, value in step.get("env", {}).items()})
        assert "${{" not in step["run"], "inputs reach the script through env, never inline"
        scripts.append(step["run"])
    return scripts, env


def test_the_github_action_installs_assay_and_gates(
    fresh_python: dict[str, str], tmp_path: Path
) -> None:
    good = project(tmp_path / "good", 0.9)
    scripts, env = action_steps({"spec": "spec.yaml", "target": "model@1", "report": "r.html"})
    ran = run_steps(scripts, {**fresh_python, **env}, good)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    suite = ET.parse(good / "assay-junit.xml").getroot()
    assert suite.find(".//testcase") is not None
    assert "model@1" in (good / "r.html").read_text()

    bad = project(tmp_path / "bad", 0.5)
    ran = run_steps(scripts[1:], {**fresh_python, **env}, bad)
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert "failure" in (bad / "assay-junit.xml").read_text()


def test_the_gitlab_template_installs_assay_and_gates(
    fresh_python: dict[str, str], tmp_path: Path
) -> None:
    template = yaml.safe_load((REPO / "ci" / "assay.gitlab-ci.yml").read_text())
    job = template[".assay-audit"]
    variables = {**job["variables"], "ASSAY_REQUIREMENT": f"assay @ {REPO.as_uri()}"}
    assert job["artifacts"]["reports"]["junit"] == "$ASSAY_JUNIT"
    good = project(tmp_path / "good", 0.9)
    ran = run_steps(job["script"], {**fresh_python, **variables}, good)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert (good / variables["ASSAY_JUNIT"]).exists()
    bad = project(tmp_path / "bad", 0.5)
    ran = run_steps(job["script"][1:], {**fresh_python, **variables}, bad)
    assert ran.returncode == 1


def test_the_pre_commit_hook_validates_the_specs_it_matches(tmp_path: Path) -> None:
    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "assay-validate"
    assert hook["language"] == "python"
    matches = re.compile(hook["files"]).search
    good = project(tmp_path / "quality", 0.9) / "spec.yaml"
    broken = tmp_path / "quality" / "fairness-spec.yaml"
    broken.write_text("spec: 1\nid: x\ndimensions: []\nnope: 1\n")
    for path in (good, broken):
        assert matches(str(path.relative_to(tmp_path)))
    assert not matches("docs/index.md")
    argv = hook["entry"].split()
    assert argv[0] == "assay"
    command = [str(Path(sys.executable).parent / "assay"), *argv[1:]]
    passing = subprocess.run([*command, str(good)], capture_output=True, text=True)
    assert passing.returncode == 0, passing.stderr
    both = subprocess.run([*command, str(good), str(broken)], capture_output=True, text=True)
    assert both.returncode == 2
    assert "fairness-spec.yaml" in both.stderr
    assert "1 of 2 specifications are not valid" in both.stderr
    assert "valid —" in both.stdout, "the good one is still reported"
