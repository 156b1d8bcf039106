"""Probes of data engineering: DVC pipelines and data versions, data validation, feature
stores, ingestion from external sources and data preparation code."""

from __future__ import annotations

import re

from assay.scan.context import ScanContext
from assay.scan.findings import Confidence, Evidence, Finding, Outcome, found
from assay.scan.probes import MAX_EVIDENCE, probe
from assay.scan.probes.code import calls
from assay.scan.probes.resources import assay_specs
from assay.scan.tree import matching


@probe("dvc-pipeline")
def dvc_pipeline(ctx: ScanContext) -> Finding:
    """yes when ``dvc.yaml`` declares stages (a reproducible data and training pipeline)."""
    evidence = []
    for path in matching(ctx.tree, "dvc.yaml", "dvc.yml"):
        document = ctx.tree.document(path)
        stages = (
            document.data.get("stages") if document and isinstance(document.data, dict) else None
        )
        if isinstance(stages, dict) and stages:
            evidence.append(ctx.evidence(path, document.line_of(("stages",)) if document else None))
    return found(
        "dvc-pipeline",
        evidence,
        tools=["dvc"],
        yes="DVC pipeline stages are declared",
        absent="no dvc.yaml with stages",
    )


@probe("data-versioned")
def data_versioned(ctx: ScanContext) -> Finding:
    """yes when data is versioned with DVC: locked stage outputs or ``.dvc`` files, and a
    remote to store the versions (no when data is tracked without a remote, it lives on one
    machine only)."""
    locks = list(matching(ctx.tree, "dvc.lock", "*.dvc"))
    locks = [p for p in locks if p != ".dvc" and not p.startswith(".dvc/")]
    config = next(iter(matching(ctx.tree, ".dvc/config")), None)
    text = ctx.text(config) if config else None
    remote = None
    if text:
        match = re.search(r"(?m)^\s*\[\s*['\"]?remote", text)
        remote = text.count("\n", 0, match.start()) + 1 if match else None
    if not locks:
        if config:
            return Finding(
                "data-versioned",
                Outcome.no,
                Confidence.high,
                "DVC is set up but no data is tracked (no dvc.lock or .dvc files)",
                (ctx.evidence(config, None),),
                ("dvc",),
            )
        return Finding(
            "data-versioned",
            Outcome.no,
            Confidence.medium,
            "no DVC-tracked data (dvc.lock or .dvc files)",
        )
    evidence = [ctx.evidence(p, None) for p in locks[:MAX_EVIDENCE]]
    if remote is None:
        return Finding(
            "data-versioned",
            Outcome.no,
            Confidence.high,
            "data is tracked with DVC but no remote is configured in .dvc/config",
            tuple(evidence),
            ("dvc",),
        )
    assert config is not None
    evidence.append(ctx.evidence(config, remote))
    return Finding(
        "data-versioned",
        Outcome.yes,
        Confidence.high,
        f"{len(locks)} DVC-tracked file(s) with a remote",
        tuple(evidence),
        ("dvc",),
    )


_VALIDATION = {
    "pandera": r"import pandera|from pandera|pa\.DataFrameSchema\(",
    "great-expectations": r"import great_expectations|from great_expectations|gx\.get_context\(",
    "evidently": r"from evidently|import evidently",
    "tfdv": r"tensorflow_data_validation",
    "deepchecks": r"from deepchecks|import deepchecks",
}


@probe("data-validation")
def data_validation(ctx: ScanContext) -> Finding:
    """yes when data is validated by a tool: pandera schemas, Great Expectations suites,
    Evidently tests, TFDV, deepchecks, or assay specs with data quality probes."""
    evidence, tools = calls(
        ctx,
        _VALIDATION,
        (
            "pandera",
            "great_expectations",
            "gx.",
            "evidently",
            "tensorflow_data_validation",
            "deepchecks",
        ),
        tests=True,
    )
    for path in matching(ctx.tree, "great_expectations.yml", "gx/great_expectations.yml"):
        evidence.append(ctx.evidence(path, None))
        tools.add("great-expectations")
    for path, text in assay_specs(ctx):
        match = re.search(r"(?m)(kind:\s*probe|missing_ratio|duplicate|drift|psi|ks_)", text)
        if match:
            evidence.append(ctx.evidence(path, text.count("\n", 0, match.start()) + 1))
            tools.add("assay")
    return found(
        "data-validation",
        evidence[:MAX_EVIDENCE],
        tools=sorted(tools),
        yes=f"data is validated with {', '.join(sorted(tools))}",
        absent="no data validation tool in code or specs",
    )


@probe("feature-store")
def feature_store(ctx: ScanContext) -> Finding:
    """yes when features are served from a feature store (Feast, Hopsworks, Tecton)."""
    evidence: list[Evidence] = []
    tools: set[str] = set()
    for path in matching(ctx.tree, "feature_store.yaml"):
        evidence.append(ctx.evidence(path, None))
        tools.add("feast")
    more, more_tools = calls(
        ctx,
        {
            "feast": r"from feast|import feast|FeatureStore\(",
            "hopsworks": r"import hopsworks|hsfs",
            "tecton": r"import tecton",
        },
        ("feast", "FeatureStore", "hopsworks", "hsfs", "tecton"),
    )
    return found(
        "feature-store",
        (evidence + more)[:MAX_EVIDENCE],
        tools=sorted(tools | more_tools),
        yes=f"features come from {', '.join(sorted(tools | more_tools))}",
        absent="no feature store configuration or client code",
    )


_INGESTION = {
    "kafka": r"KafkaConsumer\(|from confluent_kafka|aiokafka",
    "spark": r"spark\.read(Stream)?\b",
    "sql": r"read_sql(_query|_table)?\(|create_engine\(",
    "object-storage": r"boto3\.client\(\s*['\"]s3|s3fs|gcsfs|BlobServiceClient",
    "http": r"requests\.get\(|httpx\.(get|Client)\(",
    "airbyte": r"airbyte",
}


@probe("data-ingestion-code")
def data_ingestion_code(ctx: ScanContext) -> Finding:
    """yes when code ingests data from external systems (streams, databases, object stores,
    APIs, Spark); no finding means it could live elsewhere, so the answer is unknown."""
    evidence, tools = calls(
        ctx,
        _INGESTION,
        (
            "Kafka",
            "kafka",
            "spark.read",
            "read_sql",
            "create_engine",
            "boto3",
            "s3fs",
            "gcsfs",
            "BlobServiceClient",
            "requests.get",
            "httpx.",
            "airbyte",
        ),
    )
    return found(
        "data-ingestion-code",
        evidence,
        tools=sorted(tools),
        yes=f"data is ingested from {', '.join(sorted(tools))}",
        absent="no ingestion from external sources in this repository (it may live elsewhere)",
        absent_outcome=Outcome.unknown,
        confidence=Confidence.low,
    )


_PREPARATION = {
    "scikit-learn": r"ColumnTransformer\(|Pipeline\(\s*\[|StandardScaler\(|OneHotEncoder\(",
    "pandas": r"\.(fillna|dropna|drop_duplicates)\(",
    "spark": r"\.(withColumn|na\.fill|dropDuplicates)\(",
    "polars": r"\.(fill_null|drop_nulls|with_columns)\(",
}


@probe("data-preparation-code")
def data_preparation_code(ctx: ScanContext) -> Finding:
    """yes when code cleans or transforms data (scikit-learn pipelines, pandas, Spark, Polars
    cleaning) or a dbt project declares transformations."""
    evidence, tools = calls(
        ctx,
        _PREPARATION,
        (
            "Transformer",
            "Pipeline",
            "Scaler",
            "Encoder",
            "fillna",
            "dropna",
            "drop_duplicates",
            "withColumn",
            "na.fill",
            "dropDuplicates",
            "fill_null",
            "drop_nulls",
            "with_columns",
        ),
    )
    for path in matching(ctx.tree, "dbt_project.yml"):
        evidence.insert(0, ctx.evidence(path, None))
        tools.add("dbt")
    return found(
        "data-preparation-code",
        evidence[:MAX_EVIDENCE],
        tools=sorted(tools),
        yes=f"data is prepared in code with {', '.join(sorted(tools))}",
        absent="no data preparation code found in this repository (it may live elsewhere)",
        absent_outcome=Outcome.unknown,
        confidence=Confidence.low,
    )
