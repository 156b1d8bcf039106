"""The core of assay without MLflow: every module imports, the core commands work, and what
needs MLflow says how to add it (exit 2, one line) instead of failing with an ImportError."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

from tests.helpers.paths import REPO
from tests.helpers.specs import spec_document

# Runs assay's command line with MLflow hidden, as if it were not installed.
WITHOUT_MLFLOW = (
    "import sys; sys.modules['mlflow'] = None; "
    "from assay.cli.app import main; sys.argv = ['assay', *sys.argv[1:]]; sys.exit(main())"
)


def without_mlflow(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_MLFLOW, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "ASSAY_HOME": str(cwd / "home"), "LANG": "C.UTF-8"},
    )


def test_mlflow_is_an_extra_not_a_dependency_of_the_core() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert not any(d.startswith("mlflow") for d in project["dependencies"])
    assert project["optional-dependencies"]["mlflow"] == ["mlflow-skinny>=3.4"]


def test_every_module_imports_without_mlflow() -> None:
    script = (
        "import sys, pkgutil, importlib; sys.modules['mlflow'] = None\n"
        "import assay\n"
        "names = [m.name for m in pkgutil.walk_packages(assay.__path__, 'assay.')\n"
        "         if not m.name.endswith('__main__') and '.migrations.' not in m.name]\n"
        "for name in names: importlib.import_module(name)\n"
        "print(len(names))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) > 100


def test_the_core_runs_and_mlflow_commands_say_how_to_add_it(tmp_path: Path) -> None:
    (tmp_path / "metrics.json").write_text('{"accuracy": 0.9}')
    plain = spec_document(
        [
            {
                "id": "a",
                "name": "A",
                "comparison": "greater_or_equal",
                "target": 0.8,
                "assessment_interface": "file:metrics.json#accuracy",
            }
        ]
    )
    (tmp_path / "plain.yaml").write_text(yaml.safe_dump(plain))
    ran = without_mlflow("audit", "run", "plain.yaml", "--gate", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr

    registry = without_mlflow(
        "audit",
        "run",
        "plain.yaml",
        "--target",
        "credit@1",
        "--gate",
        "--tag-version",
        "--tracking-uri",
        "http://127.0.0.1:9",
        cwd=tmp_path,
    )
    assert registry.returncode == 2, registry.stderr
    assert "needs MLflow, which is not installed" in registry.stderr
    assert "pip install 'assay[mlflow]'" in registry.stderr
    assert "Traceback" not in registry.stderr

    uses = spec_document(
        [
            {
                "id": "a",
                "name": "A",
                "comparison": "greater_or_equal",
                "target": 0.8,
                "assessment_interface": {
                    "kind": "mlflow",
                    "tracking_uri": "http://127.0.0.1:9",
                    "run_id": "abc",
                    "metric": "accuracy",
                },
            }
        ]
    )
    (tmp_path / "uses.yaml").write_text(yaml.safe_dump(uses))
    collected = without_mlflow("audit", "run", "uses.yaml", "-f", "json", "--gate", cwd=tmp_path)
    assert collected.returncode == 3, collected.stderr
    assert "the mlflow collector needs MLflow, which is not installed here" in collected.stdout

    demo = without_mlflow("demo", "--dir", "d", cwd=tmp_path)
    assert demo.returncode == 2
    assert "pip install 'assay[mlflow]'" in demo.stderr
    assert not (tmp_path / "d").exists(), "the demo stops before it writes anything"
