"""The official schemas kept beside the repository (``shared/reference``), test oracles for the
formats assay writes."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

REFERENCE = Path(
    os.environ.get("ASSAY_REFERENCE_DIR", Path(__file__).parents[3] / "shared" / "reference")
)


def sarif_schema() -> dict[str, Any]:
    """OASIS SARIF 2.1.0 (errata 01), JSON Schema draft-04."""
    loaded: dict[str, Any] = json.loads(
        (REFERENCE / "sarif" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8")
    )
    return loaded


def oscal_validator(model: str) -> Any:
    """A validator of the official NIST OSCAL 1.2.1 JSON Schema of ``model``
    (``assessment-results`` or ``component``), draft-07. Its patterns use ``\\p{L}``/``\\p{N}``,
    which Python's ``re`` lacks: ``pattern`` is checked with the ``regex`` module instead."""
    import jsonschema
    import regex  # type: ignore[import-untyped]
    from jsonschema.exceptions import ValidationError

    schema = json.loads(
        (REFERENCE / "oscal" / f"oscal_{model}_schema.json").read_text(encoding="utf-8")
    )

    def pattern(validator: Any, expected: str, instance: Any, _schema: Any) -> Any:
        if validator.is_type(instance, "string") and not regex.search(expected, instance):
            yield ValidationError(f"{instance!r} does not match {expected!r}")

    validator_class = jsonschema.validators.extend(jsonschema.Draft7Validator, {"pattern": pattern})
    return validator_class(schema)
