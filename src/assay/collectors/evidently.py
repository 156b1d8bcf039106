"""``evidently``: a metric value from an Evidently report or snapshot saved as JSON.

Evidently 0.7 and later save ``{"metrics": [{"id", "metric_name", "config": {"type",
"column", …}, "value"}]}`` (``snapshot.save_json(path)``); earlier releases'
``report.as_dict()``/``save_json`` give ``{"metrics": [{"metric": NAME, "result": {…}}]}``.
Both are read. ``metric`` names the metric by its type (``ValueDrift``, ``MissingValueCount``),
its full name (``ValueDrift(column=age,method=K-S p_value,threshold=0.05)``) or its id;
``column`` picks among metrics of several columns; ``select`` picks a field of a structured
value (``share`` of ``{"count", "share"}``; a JMESPath for older results); without it a
structured value is returned whole, for measurements that each ``select`` a field. Exactly
one metric must match: none or several is an error that lists what the report holds.

Short form: ``evidently:PATH#METRIC[/COLUMN[/SELECT]]`` (``evidently:drift.json#ValueDrift/age``,
``evidently:drift.json#DriftedColumnsCount//share``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import Field

from assay.collectors.base import CollectContext, CollectionError, Parameters
from assay.collectors.file import ReadsSpecFile, read_json
from assay.collectors.values import Selector, select

__all__ = ["EvidentlyCollector", "EvidentlyParameters", "evidently_value"]


class EvidentlyParameters(Parameters):
    """See the module docstring."""

    path: str = Field(min_length=1)
    metric: str = Field(min_length=1)
    column: str | None = Field(default=None, min_length=1)
    select: Selector | None = None


def _type_name(item: Mapping[str, Any]) -> str:
    config = item.get("config") or {}
    return str(config.get("type", "")).rpartition(":")[2]


def _describe(item: Mapping[str, Any]) -> str:
    return str(item.get("metric_name") or item.get("metric") or item.get("id"))


def _column(item: Mapping[str, Any]) -> Any:
    if "config" in item:
        return (item.get("config") or {}).get("column")
    result = item.get("result") or {}
    return result.get("column_name") if isinstance(result, Mapping) else None


def evidently_value(
    document: Any, metric: str, column: str | None, selector: str | None, shown: str
) -> Any:
    """The value of the one metric of ``document`` that matches (see the module docstring)."""
    items = document.get("metrics") if isinstance(document, Mapping) else None
    if not isinstance(items, list):
        raise CollectionError(
            f"{shown} is not an Evidently report: it has no metrics list (save it with "
            "snapshot.save_json(PATH))"
        )
    matches = [
        item
        for item in items
        if isinstance(item, Mapping)
        and metric
        in (_type_name(item), item.get("metric_name"), item.get("id"), item.get("metric"))
        and (column is None or _column(item) == column)
    ]
    if len(matches) != 1:
        listed = ", ".join(sorted({_describe(i) for i in items if isinstance(i, Mapping)}))
        which = f"{metric}" + (f" of column {column}" if column else "")
        problem = "no metric" if not matches else f"{len(matches)} metrics"
        hint = "" if matches else f"; it holds {listed}"
        if len(matches) > 1:
            hint = "; name the column, or the metric's full name: " + ", ".join(
                _describe(m) for m in matches
            )
        raise CollectionError(f"{shown}: {problem} match {which}{hint}")
    found = matches[0]
    value = found["value"] if "value" in found else found.get("result")
    if selector is not None:
        return select(value, selector, f"{shown}#{metric}")
    return value


class EvidentlyCollector(ReadsSpecFile):
    """Reads a metric's value from an Evidently JSON report beside the spec."""

    kind: ClassVar[str] = "evidently"
    parameters: ClassVar[type[Parameters]] = EvidentlyParameters

    def collect(self, parameters: EvidentlyParameters, context: CollectContext) -> Any:
        """The metric's value (see the module docstring)."""
        shown, document = read_json(parameters.path, context)
        return evidently_value(
            document, parameters.metric, parameters.column, parameters.select, shown
        )

    def describe(self, parameters: EvidentlyParameters) -> str:
        """``evidently:PATH#METRIC/COLUMN/SELECT`` as written."""
        text = f"evidently:{parameters.path}#{parameters.metric}"
        if parameters.column or parameters.select:
            text += f"/{parameters.column or ''}"
        if parameters.select:
            text += f"/{parameters.select}"
        return text
