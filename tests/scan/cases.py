"""Fixture repositories for every probe: positive, negative and tricky ones, each with the
outcomes (and places of evidence) a scan must give. Shared by the probe tests and the test that
checks every probe has both a yes case and a case that is not yes."""

from __future__ import annotations

from dataclasses import dataclass, field

WORKFLOW_MAKE = """\
name: ci
on: [push, pull_request]
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: make check
"""
MAKEFILE = """\
.PHONY: check lint test
check: lint test

lint:
\truff check src

test:
\t@python -m pytest -q tests
"""


@dataclass(frozen=True)
class Case:
    """A fixture repository and what the scan must say about it."""

    name: str
    files: dict[str, str | bytes]
    outcomes: dict[str, str]
    # (probe, path, line) that must be among the finding's evidence
    places: tuple[tuple[str, str, int | None], ...] = ()
    tools: dict[str, tuple[str, ...]] = field(default_factory=dict)


CASES = [
    Case(
        "ci through make to pytest and ruff",
        {".github/workflows/ci.yml": WORKFLOW_MAKE, "Makefile": MAKEFILE},
        {
            "ci-configured": "yes",
            "ci-runs-tests": "yes",
            "ci-runs-lint": "yes",
            "ci-runs-type-check": "no",
            "ci-runs-security-scan": "no",
            "assay-gate-in-ci": "no",
        },
        places=(
            ("ci-runs-tests", ".github/workflows/ci.yml", 8),
            ("ci-runs-tests", "Makefile", 8),
            ("ci-runs-lint", "Makefile", 5),
        ),
        tools={"ci-runs-tests": ("pytest",), "ci-runs-lint": ("ruff",)},
    ),
    Case(
        "no ci at all",
        {"src/app.py": "print('hi')\n"},
        {
            "ci-configured": "no",
            "ci-runs-tests": "not_applicable",
            "ci-runs-lint": "not_applicable",
            "assay-gate-in-ci": "not_applicable",
        },
    ),
    Case(
        "a disabled workflow is not evidence",
        {
            ".github/workflows/ci.yml": WORKFLOW_MAKE.replace(
                "    runs-on: ubuntu-latest", "    if: false\n    runs-on: ubuntu-latest"
            ),
            "Makefile": MAKEFILE,
        },
        {"ci-configured": "no", "ci-runs-tests": "not_applicable"},
        places=(("ci-configured", ".github/workflows/ci.yml", 4),),
    ),
    Case(
        "a workflow without triggers never runs",
        {".github/workflows/ci.yml": "name: ci\njobs:\n  t:\n    steps:\n      - run: pytest\n"},
        {"ci-configured": "no"},
    ),
    Case(
        "a step that is switched off does not count",
        {
            ".github/workflows/ci.yml": "on: push\njobs:\n  t:\n    steps:\n"
            "      - run: pytest\n        if: ${{ false }}\n      - run: mypy src\n"
        },
        {"ci-runs-tests": "no", "ci-runs-type-check": "yes"},
        places=(("ci-runs-type-check", ".github/workflows/ci.yml", 7),),
    ),
    Case(
        "gitlab: hidden template ignored, a job's script runs nox that runs pytest",
        {
            ".gitlab-ci.yml": (
                ".template:\n  script:\n    - bandit -r src\n"
                "test:\n  image: python:3.12\n  script:\n"
                "    - pip install nox\n    - nox -s tests\n"
                "never:\n  script: [pip-audit]\n  when: never\n"
            ),
            "noxfile.py": (
                "import nox\n\n\n@nox.session\ndef tests(session):\n"
                '    session.install(".")\n    session.run("pytest", "-q")\n\n\n'
                "@nox.session\ndef lint(session):\n"
                '    session.run("flake8")\n'
            ),
        },
        {
            "ci-configured": "yes",
            "ci-runs-tests": "yes",
            "ci-runs-lint": "no",
            "ci-runs-security-scan": "no",
        },
        places=(("ci-runs-tests", ".gitlab-ci.yml", 8), ("ci-runs-tests", "noxfile.py", 7)),
    ),
    Case(
        "a job's working directory, gitlab extends, pre-commit hooks run in CI",
        {
            ".github/workflows/ci.yml": (
                "on: push\njobs:\n  t:\n    defaults:\n      run:\n"
                "        working-directory: service\n    steps:\n      - run: make test\n"
                "      - run: pre-commit run --all-files\n        working-directory: .\n"
            ),
            "service/Makefile": "test:\n\tpytest -q\n",
            ".pre-commit-config.yaml": (
                "repos:\n  - repo: https://github.com/pre-commit/mirrors-mypy\n"
                "    rev: v1.11.0\n    hooks:\n      - id: mypy\n"
                "  - repo: https://github.com/PyCQA/bandit\n    rev: 1.7.9\n    hooks:\n"
                "      - id: bandit\n"
            ),
            ".gitlab-ci.yml": ".lint:\n  script:\n    - flake8 src\nlint:\n  extends: .lint\n",
        },
        {
            "ci-runs-tests": "yes",
            "ci-runs-type-check": "yes",
            "ci-runs-security-scan": "yes",
            "ci-runs-lint": "yes",
        },
        places=(
            ("ci-runs-tests", "service/Makefile", 2),
            ("ci-runs-type-check", ".pre-commit-config.yaml", 5),
            ("ci-runs-lint", ".gitlab-ci.yml", 3),
        ),
        tools={"ci-runs-lint": ("flake8", "pre-commit"), "ci-runs-security-scan": ("bandit",)},
    ),
    Case(
        "jenkins shell steps through tox, comments ignored",
        {
            "Jenkinsfile": (
                "pipeline {\n  agent any\n  stages {\n    stage('test') {\n"
                "      steps {\n        // sh 'bandit -r .'\n        sh 'tox -e lint,py312'\n"
                "      }\n    }\n  }\n}\n"
            ),
            "tox.ini": (
                "[tox]\nenvlist = py312\n\n[testenv]\ncommands =\n    pytest {posargs}\n\n"
                "[testenv:lint]\ncommands =\n    pylint src\n"
            ),
        },
        {"ci-runs-tests": "yes", "ci-runs-lint": "yes", "ci-runs-security-scan": "no"},
        places=(("ci-runs-lint", "tox.ini", 10), ("ci-runs-tests", "Jenkinsfile", 7)),
    ),
    Case(
        "azure pipelines through invoke and a poe task; security scan and assay gate",
        {
            "azure-pipelines.yml": (
                "trigger: [main]\nsteps:\n  - script: invoke check\n"
                "  - bash: poe audit\n  - script: |\n      assay audit run spec.yaml --gate\n"
            ),
            "tasks.py": (
                "from invoke import task\n\n\n@task\ndef check(c):\n"
                '    c.run("mypy src")\n    c.run("python -m pytest")\n'
            ),
            "pyproject.toml": '[tool.poe.tasks]\naudit = "pip-audit --strict"\n',
        },
        {
            "ci-runs-type-check": "yes",
            "ci-runs-tests": "yes",
            "ci-runs-security-scan": "yes",
            "assay-gate-in-ci": "yes",
        },
        places=(
            ("ci-runs-type-check", "tasks.py", 6),
            ("ci-runs-security-scan", "pyproject.toml", 2),
            ("assay-gate-in-ci", "azure-pipelines.yml", 6),
        ),
    ),
    Case(
        "github actions that scan: codeql and pre-commit",
        {
            ".github/workflows/scan.yml": (
                "on: push\njobs:\n  a:\n    steps:\n      - uses: github/codeql-action/analyze@v3\n"
                "      - uses: pre-commit/action@v3.0.1\n"
            ),
            ".pre-commit-config.yaml": (
                "repos:\n  - repo: https://github.com/astral-sh/ruff-pre-commit\n"
                "    rev: v0.6.0\n    hooks:\n      - id: ruff\n"
            ),
        },
        {"ci-runs-security-scan": "yes", "ci-runs-lint": "yes", "pre-commit-configured": "yes"},
        tools={"ci-runs-security-scan": ("codeql",)},
    ),
    Case(
        "tests, locks with hashes, dependency bot, codeowners",
        {
            "tests/test_model.py": "def test_fit():\n    assert True\n",
            "requirements.txt": (
                "numpy==2.1.0 \\\n    --hash=sha256:" + "a" * 64 + "\npandas==2.2.3\n"
            ),
            ".github/dependabot.yml": "version: 2\nupdates: []\n",
            ".github/CODEOWNERS": "* @ml-team\n",
        },
        {
            "test-suite-present": "yes",
            "dependencies-locked": "yes",
            "dependencies-hash-pinned": "yes",
            "dependency-update-automation": "yes",
            "codeowners": "yes",
            "pre-commit-configured": "no",
            "review-rules": "unknown",
        },
        places=(
            ("test-suite-present", "tests/test_model.py", 1),
            ("dependencies-hash-pinned", "requirements.txt", 2),
        ),
    ),
    Case(
        "unpinned requirements are not a lock; an empty codeowners owns nothing",
        {
            "requirements.txt": "numpy>=2\npandas\n",
            "CODEOWNERS": "# nobody yet\n",
            "tests/helpers.py": "def helper():\n    return 1\n",
        },
        {
            "dependencies-locked": "no",
            "dependencies-hash-pinned": "no",
            "codeowners": "no",
            "test-suite-present": "no",
            "dependency-update-automation": "no",
        },
    ),
    Case(
        "no dependency manifest at all",
        {"README.md": "# nothing\n"},
        {
            "dependencies-locked": "not_applicable",
            "dependencies-hash-pinned": "not_applicable",
            "docker-base-image-pinned": "not_applicable",
            "model-card-sections": "not_applicable",
        },
    ),
    Case(
        "uv lock with hashes; docker images pinned by digest; compose; review settings",
        {
            "pyproject.toml": '[project]\nname = "m"\n',
            "uv.lock": 'version = 1\n[[package]]\nname = "numpy"\n'
            + 'sdist = { url = "x", hash = "sha256:'
            + "b" * 64
            + '" }\n',
            "Dockerfile": (
                "FROM python:3.12-slim@sha256:" + "c" * 64 + " AS build\n"
                "RUN pip install .\nFROM build AS final\nFROM scratch\n"
            ),
            "docker-compose.yml": "services:\n  mlflow:\n    image: ghcr.io/mlflow/mlflow\n",
            ".github/settings.yml": "branches:\n  - name: main\n    protection:\n"
            "      required_pull_request_reviews:\n        required_approving_review_count: 1\n",
        },
        {
            "dependencies-locked": "yes",
            "dependencies-hash-pinned": "yes",
            "dockerfile-present": "yes",
            "docker-base-image-pinned": "yes",
            "docker-compose-present": "yes",
            "review-rules": "yes",
        },
        places=(
            ("docker-base-image-pinned", "Dockerfile", 1),
            ("review-rules", ".github/settings.yml", 5),
        ),
    ),
    Case(
        "a base image by tag only",
        {
            "deploy/Dockerfile": "FROM python:3.12-slim\nCOPY . /app\n",
            "compose.yaml": "version: '3'\n",
        },
        {
            "docker-base-image-pinned": "no",
            "docker-compose-present": "no",
            "dockerfile-present": "yes",
        },
        places=(("docker-base-image-pinned", "deploy/Dockerfile", 1),),
    ),
    Case(
        "kubernetes, kustomize, helm, terraform; kserve canary; argo workflow",
        {
            "infra/main.tf": 'resource "aws_s3_bucket" "data" {\n  bucket = "d"\n}\n',
            "chart/Chart.yaml": "apiVersion: v2\nname: model\nversion: 0.1.0\n",
            "k8s/kustomization.yaml": "resources:\n  - serving.yaml\n",
            "k8s/serving.yaml": (
                "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata:\n"
                "  name: churn\nspec:\n  predictor:\n    canaryTrafficPercent: 10\n"
                "    model:\n      modelFormat: {name: sklearn}\n"
            ),
            "pipelines/train.yaml": (
                "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  generateName: t-\n"
            ),
        },
        {
            "infrastructure-as-code": "yes",
            "deployment-strategy": "yes",
            "model-serving": "yes",
            "orchestration": "yes",
        },
        places=(
            ("deployment-strategy", "k8s/serving.yaml", 7),
            ("model-serving", "k8s/serving.yaml", 2),
        ),
        tools={
            "infrastructure-as-code": ("helm", "kubernetes", "kustomize", "terraform"),
            "model-serving": ("kserve",),
            "orchestration": ("argo-workflows",),
        },
    ),
    Case(
        "a multi-document manifest: each object has its own apiVersion",
        {
            "k8s/app.yaml": (
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\n---\n"
                "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  name: app\n"
            ),
        },
        {"deployment-strategy": "yes", "infrastructure-as-code": "yes"},
        places=(
            ("deployment-strategy", "k8s/app.yaml", 7),
            ("infrastructure-as-code", "k8s/app.yaml", 2),
        ),
        tools={"deployment-strategy": ("argo-rollouts",)},
    ),
    Case(
        "tools mentioned only in documentation, comments and strings are not used",
        {
            "README.md": "We use MLflow (mlflow.log_metric) and Feast, Airflow and pandera.\n",
            "docs/mlops.md": "```python\nimport mlflow\nmlflow.start_run()\n```\n",
            "src/train.py": (
                '"""Train. Uses mlflow.start_run() eventually."""\n'
                "# import mlflow\n"
                'HELP = "call mlflow.log_metric(name, value)"\n'
                "def train():\n    return 1  # mlflow.autolog()\n"
            ),
            "notebooks/explore.ipynb": (
                '{"cells": [{"cell_type": "markdown", "source": ["import mlflow\\n", '
                '"mlflow.autolog()"]}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
            ),
        },
        {
            "experiment-tracking-in-code": "no",
            "feature-store": "no",
            "orchestration": "no",
            "data-validation": "no",
            "model-registry-in-code": "no",
        },
    ),
    Case(
        "tracking, registry, pandera, feast, airflow in code and notebook cells",
        {
            "src/train.py": (
                "import mlflow\nimport pandera as pa\n\nschema = pa.DataFrameSchema({})\n\n"
                "def train(model):\n    with mlflow.start_run():\n"
                '        mlflow.log_params({"C": 1})\n'
                '        mlflow.sklearn.log_model(model, name="m", registered_model_name="churn")\n'
            ),
            "features/feature_store.yaml": "project: churn\nprovider: local\n",
            "dags/train.py": "from airflow import DAG\n",
            "notebooks/train.ipynb": (
                '{"cells": [{"cell_type": "code", "source": ["import optuna\\n", '
                '"study = optuna.create_study()\\n"], "metadata": {}, "outputs": [], '
                '"execution_count": null}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
            ),
            "MLproject": "name: churn\nentry_points:\n  main:\n    command: python src/train.py\n",
        },
        {
            "experiment-tracking-in-code": "yes",
            "model-registry-in-code": "yes",
            "data-validation": "yes",
            "feature-store": "yes",
            "orchestration": "yes",
            "hyperparameter-tuning": "yes",
            "mlflow-project": "yes",
        },
        places=(
            ("experiment-tracking-in-code", "src/train.py", 7),
            ("model-registry-in-code", "src/train.py", 9),
            ("hyperparameter-tuning", "notebooks/train.ipynb", 1),
        ),
        tools={"experiment-tracking-in-code": ("mlflow",), "orchestration": ("airflow",)},
    ),
    Case(
        "code in test suites exercises tools but is not practice",
        {
            "tests/test_tracking.py": (
                "import mlflow\n\ndef test_log():\n    mlflow.log_metric('a', 1)\n"
            ),
            "tests/test_schema.py": "import pandera as pa\n\ndef test_schema():\n    pa.Check\n",
        },
        {
            "experiment-tracking-in-code": "no",
            "data-validation": "yes",
            "test-suite-present": "yes",
        },
    ),
    Case(
        "dvc pipeline with data tracked and a remote",
        {
            "dvc.yaml": "stages:\n  prepare:\n    cmd: python prepare.py\n    outs: [data/clean]\n",
            "dvc.lock": "schema: '2.0'\nstages: {}\n",
            "data/raw.csv.dvc": "outs:\n- md5: 1\n  path: raw.csv\n",
            ".dvc/config": "[core]\n    remote = store\n['remote \"store\"']\n    url = s3://bucket\n",
        },
        {"dvc-pipeline": "yes", "data-versioned": "yes"},
        places=(("data-versioned", ".dvc/config", 3), ("dvc-pipeline", "dvc.yaml", 1)),
    ),
    Case(
        "dvc data tracked but no remote",
        {"data/raw.csv.dvc": "outs:\n- md5: 1\n  path: raw.csv\n", ".dvc/config": "[core]\n"},
        {"data-versioned": "no", "dvc-pipeline": "no"},
    ),
    Case(
        "monitoring, alert rules and dashboards; assay spec with a frequency",
        {
            "monitoring/rules.yml": (
                "groups:\n  - name: model\n    rules:\n      - alert: DriftHigh\n"
                "        expr: drift_share > 0.3\n"
            ),
            "monitoring/dashboard.json": '{"title": "model", "schemaVersion": 39, "panels": []}',
            "audit/spec.yaml": (
                "id: churn\nname: churn\ndimensions:\n  - id: d\n    name: d\n    requirements:\n"
                "      - id: r\n        name: r\n        frequency: 1d\n        metrics:\n"
                "          - id: m\n            name: m\n            measurements:\n"
                "              - {id: x, name: x, comparison: less_than, target: 0.1,"
                " assessment_interface: 'probe:quality.missing_ratio'}\n"
            ),
            "service/app.py": (
                "from fastapi import FastAPI\nfrom prometheus_client import Counter\n"
                "from opentelemetry import trace\n\napp = FastAPI()\n\n\n"
                '@app.post("/feedback")\ndef feedback():\n    return {}\n'
            ),
        },
        {
            "monitoring-configured": "yes",
            "alerting-rules": "yes",
            "dashboards": "yes",
            "audit-trail": "yes",
            "model-serving": "yes",
            "feedback-collected": "yes",
            "data-validation": "yes",
        },
        places=(
            ("alerting-rules", "monitoring/rules.yml", 4),
            ("monitoring-configured", "audit/spec.yaml", 9),
        ),
        tools={"model-serving": ("fastapi",)},
    ),
    Case(
        "what lives outside the repository is unknown, not no",
        {"src/model.py": "def predict(x):\n    return x\n"},
        {
            "monitoring-configured": "unknown",
            "alerting-rules": "unknown",
            "dashboards": "unknown",
            "audit-trail": "unknown",
            "feedback-collected": "unknown",
            "data-ingestion-code": "unknown",
            "data-preparation-code": "unknown",
            "review-rules": "unknown",
            "mlflow-runs-linked-to-commits": "unknown",
            "mlflow-registered-models": "unknown",
            "mlflow-model-aliases": "unknown",
            "mlflow-versions-linked-to-runs": "unknown",
            "mlflow-datasets-logged": "unknown",
            "mlflow-model-signatures": "unknown",
            "distributed-training": "no",
            "random-seeds-fixed": "no",
            "hyperparameter-tuning": "no",
            "model-serving": "no",
            "deployment-strategy": "no",
            "infrastructure-as-code": "no",
            "mlflow-project": "no",
            "model-card-present": "no",
            "dockerfile-present": "no",
        },
    ),
    Case(
        "ingestion, preparation, seeds, distributed training",
        {
            "src/pipeline.py": (
                "import numpy as np\nimport pandas as pd\nfrom sqlalchemy import create_engine\n"
                "import torch\n\nnp.random.seed(7)\n\n\ndef load():\n"
                '    engine = create_engine("postgresql://db/x")\n'
                '    frame = pd.read_sql("select * from t", engine)\n'
                "    return frame.dropna()\n\n\n"
                "def wrap(model):\n    return torch.nn.parallel.DistributedDataParallel(model)\n"
            )
        },
        {
            "data-ingestion-code": "yes",
            "data-preparation-code": "yes",
            "random-seeds-fixed": "yes",
            "distributed-training": "yes",
        },
        places=(
            ("random-seeds-fixed", "src/pipeline.py", 6),
            ("data-ingestion-code", "src/pipeline.py", 10),
        ),
    ),
    Case(
        "a model card with every section, and one that lacks some",
        {
            "MODEL_CARD.md": (
                "# Churn model\n## Model details\nx\n## Intended use\nx\n## Training data\nx\n"
                "## Evaluation\nx\n## Limitations\nx\n## Ethical considerations\nx\n"
            ),
        },
        {"model-card-present": "yes", "model-card-sections": "yes"},
        places=(("model-card-sections", "MODEL_CARD.md", 12),),
    ),
    Case(
        "an incomplete model card",
        {"models/churn/model_card.md": "# Churn\n## Intended use\nscoring\n## Metrics\nAUC\n"},
        {"model-card-present": "yes", "model-card-sections": "no"},
    ),
]
