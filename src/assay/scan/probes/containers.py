"""Probes of packaging and deployment: Dockerfiles and their base images, compose files,
infrastructure as code, progressive delivery and model serving."""

from __future__ import annotations

import re

from assay.scan.context import ScanContext
from assay.scan.findings import Confidence, Evidence, Finding, Outcome, found
from assay.scan.probes import MAX_EVIDENCE, probe
from assay.scan.probes.code import calls
from assay.scan.probes.resources import kubernetes_objects
from assay.scan.tree import matching

_DOCKERFILES = ("Dockerfile", "Dockerfile.*", "*.Dockerfile", "*.dockerfile", "Containerfile")
_FROM = re.compile(
    r"^\s*FROM\s+(?:--platform=\S+\s+)?(?P<image>\S+)(?:\s+AS\s+(?P<alias>\S+))?", re.IGNORECASE
)


def _dockerfiles(ctx: ScanContext) -> list[str]:
    return list(matching(ctx.tree, *_DOCKERFILES))


@probe("dockerfile-present")
def dockerfile_present(ctx: ScanContext) -> Finding:
    """yes when the repository builds a container image."""
    paths = _dockerfiles(ctx)
    return found(
        "dockerfile-present",
        [ctx.evidence(path, None) for path in paths[:MAX_EVIDENCE]],
        tools=["docker"],
        yes=f"{len(paths)} Dockerfile(s)",
        absent="no Dockerfile or Containerfile",
    )


@probe("docker-base-image-pinned")
def docker_base_image_pinned(ctx: ScanContext) -> Finding:
    """yes when every external base image is pinned by digest (``@sha256:``); stages built
    from an earlier stage of the same file and ``scratch`` need no pin."""
    paths = _dockerfiles(ctx)
    if not paths:
        return Finding(
            "docker-base-image-pinned", Outcome.not_applicable, Confidence.high, "no Dockerfile"
        )
    pinned: list[Evidence] = []
    unpinned: list[Evidence] = []
    for path in paths:
        stages: set[str] = set()
        for number, line in enumerate((ctx.text(path) or "").split("\n"), 1):
            match = _FROM.match(line)
            if match is None:
                continue
            image = match.group("image")
            if match.group("alias"):
                stages.add(match.group("alias").lower())
            if image.lower() in stages or image == "scratch":
                continue
            (pinned if "@sha256:" in image else unpinned).append(ctx.evidence(path, number))
    if unpinned:
        return Finding(
            "docker-base-image-pinned",
            Outcome.no,
            Confidence.high,
            f"{len(unpinned)} base image(s) referenced by tag, not by digest",
            tuple(unpinned[:MAX_EVIDENCE]),
        )
    if not pinned:
        return Finding(
            "docker-base-image-pinned",
            Outcome.unknown,
            Confidence.low,
            "no FROM line could be read",
        )
    return Finding(
        "docker-base-image-pinned",
        Outcome.yes,
        Confidence.high,
        f"all {len(pinned)} base image(s) pinned by digest",
        tuple(pinned[:MAX_EVIDENCE]),
    )


@probe("docker-compose-present")
def docker_compose_present(ctx: ScanContext) -> Finding:
    """yes when a compose file defines services."""
    paths = [
        path
        for path in matching(
            ctx.tree, "docker-compose*.yml", "docker-compose*.yaml", "compose.yml", "compose.yaml"
        )
        if (doc := ctx.tree.document(path)) is not None
        and isinstance(doc.data, dict)
        and isinstance(doc.data.get("services"), dict)
    ]
    return found(
        "docker-compose-present",
        [ctx.evidence(path, None) for path in paths],
        tools=["docker-compose"],
        yes=f"{len(paths)} compose file(s) with services",
        absent="no compose file with services",
    )


@probe("infrastructure-as-code")
def infrastructure_as_code(ctx: ScanContext) -> Finding:
    """yes when infrastructure is declared as code: Terraform, Helm charts, kustomize or
    Kubernetes manifests."""
    evidence: list[Evidence] = []
    tools: set[str] = set()
    terraform = [
        p
        for p in ctx.with_suffix(".tf")
        if 'resource "' in (ctx.text(p) or "") or 'module "' in (ctx.text(p) or "")
    ]
    if terraform:
        tools.add("terraform")
        evidence += [ctx.evidence(p, None) for p in terraform[:2]]
    charts = list(matching(ctx.tree, "Chart.yaml"))
    if charts:
        tools.add("helm")
        evidence += [ctx.evidence(p, None) for p in charts[:2]]
    kustomize = list(matching(ctx.tree, "kustomization.yaml", "kustomization.yml"))
    if kustomize:
        tools.add("kustomize")
        evidence += [ctx.evidence(p, None) for p in kustomize[:2]]
    manifests = [
        o
        for o in kubernetes_objects(ctx)
        if o[3]
        in (
            "Deployment",
            "StatefulSet",
            "Service",
            "CronJob",
            "Job",
            "DaemonSet",
            "InferenceService",
            "Ingress",
        )
    ]
    if manifests:
        tools.add("kubernetes")
        evidence += [ctx.evidence(p, line) for p, line, _, _ in manifests[:2]]
    return found(
        "infrastructure-as-code",
        evidence,
        tools=sorted(tools),
        yes=f"infrastructure declared with {', '.join(sorted(tools))}",
        absent="no Terraform, Helm, kustomize or Kubernetes manifests",
    )


_PROGRESSIVE = {
    ("Rollout", "argoproj.io"): "argo-rollouts",
    ("Canary", "flagger.app"): "flagger",
}


@probe("deployment-strategy")
def deployment_strategy(ctx: ScanContext) -> Finding:
    """yes when a progressive strategy is declared: Argo Rollouts, Flagger canaries, KServe
    ``canaryTrafficPercent`` or Seldon traffic splits."""
    evidence: list[Evidence] = []
    tools: set[str] = set()
    for path, line, api, kind in kubernetes_objects(ctx):
        for (wanted_kind, group), tool in _PROGRESSIVE.items():
            if kind == wanted_kind and api.startswith(group):
                evidence.append(ctx.evidence(path, line))
                tools.add(tool)
    for path in ctx.with_suffix(".yml", ".yaml"):
        text = ctx.text(path) or ""
        for needle, tool in (("canaryTrafficPercent:", "kserve"), ("traffic:", "seldon")):
            if needle in text and (tool != "seldon" or "SeldonDeployment" in text):
                evidence.append(ctx.evidence(path, text.count("\n", 0, text.index(needle)) + 1))
                tools.add(tool)
    return found(
        "deployment-strategy",
        evidence[:MAX_EVIDENCE],
        tools=sorted(tools),
        yes="a canary or progressive rollout is declared",
        absent="no canary, blue-green or progressive rollout declared in the repository",
        confidence=Confidence.medium,
    )


_SERVING_IMPORTS = {
    "bentoml": "bentoml",
    "mlserver": "mlserver",
    "seldon_core": "seldon",
    "fastapi": "fastapi",
    "kserve": "kserve",
    "ray.serve": "ray-serve",
    "torchserve": "torchserve",
}


@probe("model-serving")
def model_serving(ctx: ScanContext) -> Finding:
    """yes when the repository serves models: KServe or Seldon resources, BentoML services,
    MLServer settings, or a FastAPI application in code."""
    evidence: list[Evidence] = []
    tools: set[str] = set()
    for path, line, api, kind in kubernetes_objects(ctx):
        if kind == "InferenceService" and "kserve" in api:
            evidence.append(ctx.evidence(path, line))
            tools.add("kserve")
        elif kind == "SeldonDeployment":
            evidence.append(ctx.evidence(path, line))
            tools.add("seldon")
    for path in matching(ctx.tree, "bentofile.yaml", "model-settings.json"):
        evidence.append(ctx.evidence(path, None))
        tools.add("bentoml" if path.endswith("bentofile.yaml") else "mlserver")
    more, more_tools = calls(
        ctx,
        {
            tool: rf"^\s*(from|import)\s+{re.escape(module)}\b"
            for module, tool in _SERVING_IMPORTS.items()
        },
        tuple(_SERVING_IMPORTS),
    )
    evidence += more
    tools |= more_tools
    return found(
        "model-serving",
        evidence[:MAX_EVIDENCE],
        tools=sorted(tools),
        yes=f"models are served with {', '.join(sorted(tools))}",
        absent="no serving framework or inference service found",
        confidence=Confidence.medium,
    )
