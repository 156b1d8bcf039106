"""An audit run as JSON, and the view of it each audience may see.

The model (``run_model``) is what ``assay audit run --format json`` prints for engineers and
what the ``audit.run`` ledger entry keeps; :func:`for_audience` cuts it down: executives and
the public see the verdict and dimensions; auditors see everything but the values and comments
of confidential elements (and of everything beneath them).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from assay.audit.confidentiality import REDACTED, hidden_run_paths, hidden_spec_paths, replace_at
from assay.audit.evaluation import Result, Waiver
from assay.audit.run_model import CHILD_KEY, RunModel, children_of, walk_model

__all__ = [
    "REDACTED",
    "Audience",
    "children_of",
    "for_audience",
    "jsonable",
    "redacted_spec",
    "result_json",
    "visible_run",
    "waivers_of",
    "walk_model",
]


class Audience(StrEnum):
    """Who a report is for."""

    executive = "executive"
    engineer = "engineer"
    auditor = "auditor"
    public = "public"


def jsonable(value: Any) -> Any:
    """``value`` with anything JSON cannot hold (dates, NaN, sets, objects) turned into text."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:  # the usual: as they are
        return value
    if kind is float:  # checked apart: a measured value is most often a float
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    return str(value)


def _waiver(waiver: Waiver | None) -> dict[str, Any] | None:
    if waiver is None:
        return None
    return {
        "by": waiver.by,
        "justification": waiver.justification,
        "expires": waiver.expires.isoformat(),
        "granted": waiver.granted,
    }


def result_json(result: Result, comments: Mapping[str, str | None]) -> dict[str, Any]:
    """One element and everything below it, as nested JSON (``comments`` by element id)."""
    node: dict[str, Any] = {
        "id": result.id,
        "name": result.name,
        "outcome": result.outcome.value,
        "confidential": result.confidential,
        "comment": comments.get(result.id),
    }
    if result.external:
        node["assessor"] = result.assessor
    if result.kind == "requirement":
        node["severity"] = result.severity
        node["risks"] = list(result.risks)
    if result.kind == "measurement" or not result.children:
        node |= {
            "value": jsonable(result.value),
            "error": result.error,
            "source": result.source,
            "collected_at": result.collected_at,
            "attested_by": result.attested_by,
        }
    if result.kind == "measurement":
        node |= {
            "target": jsonable(result.target),
            "comparison": result.comparison,
            "data_type": result.data_type,
            **jsonable(dict(result.extra)),
        }
    if result.waiver is not None:
        node["waiver"] = _waiver(result.waiver)
    if result.kind in CHILD_KEY:
        node[CHILD_KEY[result.kind]] = [result_json(child, comments) for child in result.children]
    return node


def for_audience(run: RunModel, audience: Audience) -> dict[str, Any]:
    """The run as ``audience`` may see it, as JSON (see the module's rules)."""
    model = run.payload()
    if audience is Audience.engineer:
        return model
    if audience in (Audience.executive, Audience.public):
        kept: dict[str, Any] = {
            key: model[key]
            for key in ("run_id", "spec", "target", "verdict", "started", "finished", "ledger")
            if key in model
        }
        kept["spec"] = {k: v for k, v in model["spec"].items() if k != "comment"}
        kept["dimensions"] = [
            {"id": d["id"], "name": d["name"], "outcome": d["outcome"]} for d in model["dimensions"]
        ]
        if audience is Audience.executive and "previous" in model:
            kept["previous"] = model["previous"]
        if audience is Audience.executive:
            from assay.reports.attention import attention

            kept["attention"] = attention(visible_run(run, Audience.auditor))
        kept["waivers"] = waivers_of(model)
        return kept
    return replace_at(model, hidden_run_paths(model), REDACTED)


def visible_run(run: RunModel, audience: Audience) -> RunModel:
    """The run as an engineer (all of it) or an auditor (confidential values and comments read
    ``[confidential]``) may see it, typed; other audiences see :func:`for_audience`'s summary."""
    if audience is Audience.engineer:
        return run
    payload = run.payload()
    return RunModel.from_payload(replace_at(payload, hidden_run_paths(payload), REDACTED), run.seq)


def waivers_of(model: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every waiver applied in a run: the element, who waived it, why and until when."""
    return [
        {"element": node["id"], "name": node["name"], **node["waiver"]}
        for kind, node in walk_model({"dimensions": model["dimensions"]})
        if kind != "spec" and node.get("waiver")
    ]


def redacted_spec(document: Mapping[str, Any]) -> dict[str, Any]:
    """A specification document as an auditor without internal access may read it: the
    confidential values of :mod:`assay.audit.confidentiality` read ``[confidential]``; names
    and structure stay."""
    return replace_at(document, hidden_spec_paths(document), REDACTED)
