"""The data files assay ships (frameworks, later the testing methodology and metric
definitions) and their loading: YAML, validated against a JSON Schema when read."""

from assay.catalog.frameworks import builtin_framework_ids, load_framework

__all__ = ["builtin_framework_ids", "load_framework"]
