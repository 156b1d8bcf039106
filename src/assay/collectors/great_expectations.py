"""``great_expectations``: a figure from a Great Expectations (GX) validation result saved as
JSON: an ``ExpectationSuiteValidationResult`` (``result.to_json_dict()``), or a checkpoint
result holding several (``run_results`` or ``validation_results``).

Without ``expectation``, ``select`` is one of the suite's statistics: ``success`` (true when
every expectation held), ``success_percent``, ``successful_expectations``,
``unsuccessful_expectations``, ``evaluated_expectations``. With ``expectation`` (its type,
``expect_column_values_to_not_be_null``, and ``column`` when several columns have one),
``select`` is ``success`` or a field of the expectation's result: ``observed_value``,
``unexpected_count``, ``unexpected_percent``, ``element_count``, ``missing_percent``, ….
``suite`` picks one suite's result out of a checkpoint result.

Short form: ``great_expectations:PATH#SELECT`` for the statistics.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from pydantic import Field

from assay.collectors.base import CollectContext, CollectionError, Parameters
from assay.collectors.file import ReadsSpecFile, read_json

__all__ = ["GreatExpectationsCollector", "GreatExpectationsParameters", "gx_value"]

_STATISTICS = (
    "success_percent",
    "successful_expectations",
    "unsuccessful_expectations",
    "evaluated_expectations",
)


class GreatExpectationsParameters(Parameters):
    """See the module docstring."""

    path: str = Field(min_length=1)
    select: str = Field(default="success", min_length=1)
    expectation: str | None = Field(default=None, min_length=1)
    column: str | None = Field(default=None, min_length=1)
    suite: str | None = Field(default=None, min_length=1)


def _suite_results(document: Any) -> Iterator[Mapping[str, Any]]:
    if not isinstance(document, Mapping):
        return
    if isinstance(document.get("results"), list):
        yield document
    runs = document.get("run_results")
    if isinstance(runs, Mapping):
        for run in runs.values():
            if isinstance(run, Mapping):
                yield from _suite_results(run.get("validation_result", run))
    listed = document.get("validation_results")
    if isinstance(listed, list):
        for item in listed:
            yield from _suite_results(item)


def _expectation_type(item: Mapping[str, Any]) -> str:
    config = item.get("expectation_config") or {}
    return str(config.get("type") or config.get("expectation_type") or "")


def _column(item: Mapping[str, Any]) -> Any:
    return ((item.get("expectation_config") or {}).get("kwargs") or {}).get("column")


def gx_value(document: Any, parameters: GreatExpectationsParameters, shown: str) -> Any:
    """The figure the parameters name (see the module docstring)."""
    suites = list(_suite_results(document))
    if parameters.suite is not None:
        suites = [s for s in suites if s.get("suite_name") == parameters.suite]
    if not suites:
        which = f" of suite {parameters.suite!r}" if parameters.suite else ""
        raise CollectionError(f"{shown} holds no GX validation result{which}")
    if len(suites) > 1:
        names = ", ".join(str(s.get("suite_name")) for s in suites)
        raise CollectionError(
            f"{shown} holds {len(suites)} validation results ({names}): name the suite"
        )
    suite = suites[0]
    if parameters.expectation is None:
        if parameters.select == "success":
            return bool(suite.get("success"))
        statistics = suite.get("statistics") or {}
        if parameters.select not in _STATISTICS or parameters.select not in statistics:
            raise CollectionError(
                f"{shown}: select one of success, {', '.join(_STATISTICS)} for a suite "
                f"(got {parameters.select!r})"
            )
        return statistics[parameters.select]
    matches = [
        item
        for item in suite.get("results", [])
        if isinstance(item, Mapping)
        and _expectation_type(item) == parameters.expectation
        and (parameters.column is None or _column(item) == parameters.column)
    ]
    which = parameters.expectation + (f" on {parameters.column}" if parameters.column else "")
    if len(matches) != 1:
        held = sorted(
            {f"{_expectation_type(i)}({_column(i) or ''})" for i in suite.get("results", [])}
        )
        raise CollectionError(
            f"{shown}: {len(matches)} results of {which} (it holds {', '.join(held)})"
            + ("; name the column" if matches else "")
        )
    found = matches[0]
    if found.get("exception_info", {}).get("raised_exception"):
        message = found["exception_info"].get("exception_message")
        raise CollectionError(f"{shown}: {which} raised an exception in GX: {message}")
    if parameters.select == "success":
        return bool(found.get("success"))
    result = found.get("result") or {}
    if parameters.select not in result:
        raise CollectionError(
            f"{shown}: the result of {which} has no {parameters.select!r} (it has "
            f"{', '.join(result) or 'nothing'})"
        )
    return result[parameters.select]


class GreatExpectationsCollector(ReadsSpecFile):
    """Reads a GX validation result beside the spec."""

    kind: ClassVar[str] = "great_expectations"
    parameters: ClassVar[type[Parameters]] = GreatExpectationsParameters

    def collect(self, parameters: GreatExpectationsParameters, context: CollectContext) -> Any:
        """The figure (see the module docstring)."""
        shown, document = read_json(parameters.path, context)
        return gx_value(document, parameters, shown)

    def describe(self, parameters: GreatExpectationsParameters) -> str:
        """``great_expectations:PATH#[EXPECTATION(COLUMN).]SELECT``."""
        what = ""
        if parameters.expectation:
            what = f"{parameters.expectation}({parameters.column or ''})."
        return f"great_expectations:{parameters.path}#{what}{parameters.select}"
