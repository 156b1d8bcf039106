"""Probes of the code itself: tests, experiment tracking and model registry calls, MLflow
projects, fixed seeds, hyperparameter search and distributed training."""

from __future__ import annotations

import re

from assay.scan.code import is_test_path
from assay.scan.context import ScanContext
from assay.scan.findings import Confidence, Evidence, Finding, found
from assay.scan.probes import MAX_EVIDENCE, probe
from assay.scan.probes.resources import objects_of
from assay.scan.tree import matching


def _test_files(ctx: ScanContext) -> list[str]:
    return [path for path in ctx.code_paths if is_test_path(path)]


@probe("test-suite-present")
def test_suite_present(ctx: ScanContext) -> Finding:
    """yes when the repository holds test modules with test functions."""
    evidence: list[Evidence] = []
    count = 0
    for line in ctx.code_matching("def test", "class Test", paths=tuple(_test_files(ctx))):
        if re.match(r"\s*(async\s+)?def test|\s*class Test", line.text):
            count += 1
            if len(evidence) < MAX_EVIDENCE and all(e.path != line.path for e in evidence):
                evidence.append(ctx.evidence(line.path, line.line))
    return found(
        "test-suite-present",
        evidence,
        tools=["pytest"] if evidence else [],
        yes=f"{count} test function(s) or class(es)",
        absent="no test modules (test_*.py, *_test.py) with test functions",
    )


def calls(
    ctx: ScanContext,
    patterns: dict[str, str],
    needles: tuple[str, ...],
    *,
    tests: bool = False,
    raw: bool = False,
) -> tuple[list[Evidence], set[str]]:
    """Code lines matching each tool's regular expression: the evidence and the tools.
    ``needles`` are plain strings one of which every match contains (a fast first filter).
    Test suites count only with ``tests`` (code that tests exercise a tool is not practice);
    string contents count only with ``raw``."""
    evidence: list[Evidence] = []
    tools: set[str] = set()
    compiled = {tool: re.compile(pattern) for tool, pattern in patterns.items()}
    paths = None if tests else ctx.product_code_paths
    for line in ctx.code_matching(*needles, paths=paths, raw=raw):
        for tool, pattern in compiled.items():
            if pattern.search(line.raw if raw else line.text):
                tools.add(tool)
                if len(evidence) < MAX_EVIDENCE:
                    evidence.append(ctx.evidence(line.path, line.line))
                break
    return evidence, tools


_TRACKING = {
    "mlflow": r"mlflow\.(log_params?|log_metrics?|start_run|autolog|log_artifacts?|log_input"
    r"|set_tags?|\w+\.autolog|\w+\.log_model)\b",
    "wandb": r"wandb\.(init|log)\b",
    "neptune": r"neptune\.init_run\b",
    "comet": r"comet_ml\.(Experiment|start)\b",
    "clearml": r"clearml|Task\.init\(",
    "aim": r"aim\.Run\(",
}


@probe("experiment-tracking-in-code")
def experiment_tracking_in_code(ctx: ScanContext) -> Finding:
    """yes when code logs runs, parameters or metrics to a tracking system (MLflow, W&B,
    Neptune, Comet, ClearML, Aim); mentions in comments, docstrings and Markdown do not count."""
    evidence, tools = calls(
        ctx,
        _TRACKING,
        ("mlflow", "wandb", "neptune", "comet_ml", "clearml", "Task.init", "aim.Run"),
    )
    return found(
        "experiment-tracking-in-code",
        evidence,
        tools=sorted(tools),
        yes=f"experiments are logged with {', '.join(sorted(tools))}",
        absent="no tracking calls in code (a mention in documentation is not use)",
    )


_REGISTRY = {
    "mlflow": r"(mlflow\.register_model|registered_model_name\s*=|create_model_version"
    r"|set_registered_model_alias|create_registered_model|transition_model_version_stage)",
    "wandb": r"wandb.*(link_model|log_model)\(|run\.link_model\(",
}


@probe("model-registry-in-code")
def model_registry_in_code(ctx: ScanContext) -> Finding:
    """yes when code registers model versions or sets aliases in a model registry."""
    evidence, tools = calls(
        ctx,
        _REGISTRY,
        ("mlflow", "registered_model_name", "model_version", "link_model", "log_model"),
    )
    return found(
        "model-registry-in-code",
        evidence,
        tools=sorted(tools),
        yes=f"models are registered with {', '.join(sorted(tools))}",
        absent="no model registration in code",
    )


@probe("mlflow-project")
def mlflow_project(ctx: ScanContext) -> Finding:
    """yes when an ``MLproject`` file declares entry points (a reproducible training run)."""
    paths = [
        p
        for p in matching(ctx.tree, "MLproject", "MLProject")
        if "entry_points" in (ctx.text(p) or "")
    ]
    return found(
        "mlflow-project",
        [ctx.evidence(p, None) for p in paths],
        tools=["mlflow"],
        yes="an MLflow project declares entry points",
        absent="no MLproject file with entry points",
    )


_SEEDS = {
    "numpy": r"np\.random\.seed\(|numpy\.random\.seed\(|default_rng\(\s*\d",
    "python": r"random\.seed\(",
    "pytorch": r"torch\.manual_seed\(|seed_everything\(",
    "tensorflow": r"tf\.random\.set_seed\(",
    "scikit-learn": r"random_state\s*=\s*\d",
}


@probe("random-seeds-fixed")
def random_seeds_fixed(ctx: ScanContext) -> Finding:
    """yes when training code fixes random seeds (one ingredient of reproducible training)."""
    evidence, tools = calls(ctx, _SEEDS, ("seed", "random_state", "default_rng"))
    return found(
        "random-seeds-fixed",
        evidence,
        tools=sorted(tools),
        yes="random seeds are fixed in code",
        absent="no fixed random seed found in code",
        confidence=Confidence.medium,
    )


_TUNING = {
    "optuna": r"optuna\.create_study\(",
    "hyperopt": r"hyperopt|fmin\(",
    "ray-tune": r"tune\.(run|Tuner)\(",
    "scikit-learn": r"(GridSearchCV|RandomizedSearchCV|HalvingGridSearchCV)\(",
    "keras-tuner": r"kt\.(Hyperband|RandomSearch|BayesianOptimization)\(",
}


@probe("hyperparameter-tuning")
def hyperparameter_tuning(ctx: ScanContext) -> Finding:
    """yes when code searches hyperparameters automatically."""
    evidence, tools = calls(
        ctx, _TUNING, ("optuna", "hyperopt", "fmin", "tune.", "SearchCV", "kt.")
    )
    for path, line in objects_of(ctx, "Experiment", "kubeflow.org"):
        evidence.append(ctx.evidence(path, line))
        tools.add("katib")
    return found(
        "hyperparameter-tuning",
        evidence[:MAX_EVIDENCE],
        tools=sorted(tools),
        yes=f"hyperparameters are searched with {', '.join(sorted(tools))}",
        absent="no automatic hyperparameter search found",
        confidence=Confidence.medium,
    )


_DISTRIBUTED = {
    "pytorch": r"DistributedDataParallel|torch\.distributed|torchrun",
    "horovod": r"horovod",
    "deepspeed": r"deepspeed\.initialize",
    "ray-train": r"ray\.train|TorchTrainer\(",
    "tensorflow": r"tf\.distribute\.",
    "spark-ml": r"pyspark\.ml",
}


@probe("distributed-training")
def distributed_training(ctx: ScanContext) -> Finding:
    """yes when training is distributed over workers: PyTorch DDP, Horovod, DeepSpeed, Ray
    Train, tf.distribute, Spark ML, or Kubeflow training jobs."""
    evidence, tools = calls(
        ctx,
        _DISTRIBUTED,
        (
            "Distributed",
            "torch.distributed",
            "torchrun",
            "horovod",
            "deepspeed",
            "ray.train",
            "TorchTrainer",
            "tf.distribute",
            "pyspark.ml",
        ),
    )
    for kind in ("PyTorchJob", "TFJob", "MPIJob", "TrainJob"):
        for path, line in objects_of(ctx, kind, "kubeflow.org"):
            evidence.append(ctx.evidence(path, line))
            tools.add("kubeflow-training")
    return found(
        "distributed-training",
        evidence[:MAX_EVIDENCE],
        tools=sorted(tools),
        yes=f"training is distributed with {', '.join(sorted(tools))}",
        absent="no distributed training found",
        confidence=Confidence.medium,
    )
