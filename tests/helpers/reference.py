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


def oscal_catalog_validator() -> Any:
    """A validator of OSCAL 1.2.1 catalogs. No catalog schema is kept here, so the catalog's
    frame (uuid, metadata, groups of controls, back matter; from the OSCAL catalog model
    reference) is written here and every part inside it refers to the official definitions of
    the assessment-results schema (metadata, property, part, back matter, token, uuid)."""
    base = oscal_validator("assessment-results")
    schema = dict(base.schema)
    prefix = "#/definitions/oscal-ar-oscal-"
    control: dict[str, Any] = {
        "type": "object",
        "required": ["id", "title"],
        "additionalProperties": False,
        "properties": {
            "id": {"$ref": "#/definitions/TokenDatatype"},
            "title": {"type": "string", "minLength": 1},
            "props": {"type": "array", "items": {"$ref": f"{prefix}metadata:property"}},
            "parts": {"type": "array", "items": {"$ref": f"{prefix}control-common:part"}},
        },
    }
    group: dict[str, Any] = {
        "type": "object",
        "required": ["title"],
        "additionalProperties": False,
        "properties": {
            "id": {"$ref": "#/definitions/TokenDatatype"},
            "title": {"type": "string", "minLength": 1},
            "props": {"type": "array", "items": {"$ref": f"{prefix}metadata:property"}},
            "controls": {"type": "array", "minItems": 1, "items": control},
        },
    }
    schema.pop("properties", None)
    schema.pop("oneOf", None)
    schema.pop("required", None)
    schema.update(
        {
            "type": "object",
            "required": ["catalog"],
            "additionalProperties": False,
            "properties": {
                "catalog": {
                    "type": "object",
                    "required": ["uuid", "metadata"],
                    "additionalProperties": False,
                    "properties": {
                        "uuid": {"$ref": "#/definitions/UUIDDatatype"},
                        "metadata": {"$ref": f"{prefix}metadata:metadata"},
                        "groups": {"type": "array", "minItems": 1, "items": group},
                        "back-matter": {"$ref": f"{prefix}metadata:back-matter"},
                    },
                }
            },
        }
    )
    return type(base)(schema)
