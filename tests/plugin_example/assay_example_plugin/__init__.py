"""An example assay plugin: percentages, approximate equality and a constant collector."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from assay.plugin import (
    EQUALITY,
    ORDER,
    CollectContext,
    Comparison,
    DataType,
    Parameters,
    TargetShape,
    ValueMismatchError,
)


def _percent(value: Any, scale: Sequence[Any]) -> float:
    text = str(value).strip()
    if not text.endswith("%"):
        raise ValueMismatchError(f"{value!r} is not a percentage such as 93%")
    try:
        return float(text[:-1])
    except ValueError:
        raise ValueMismatchError(f"{value!r} is not a percentage such as 93%") from None


PERCENT = DataType("percent", frozenset({EQUALITY, ORDER}), _percent)

APPROXIMATELY = Comparison(
    "approximately",
    ORDER,
    TargetShape.value,
    lambda value, target, key, tolerance: abs(key(value) - key(target)) <= abs(key(target)) / 100,
    "≈",
)


class ConstantParameters(Parameters):
    value: Any


class ConstantCollector:
    kind: ClassVar[str] = "constant"
    parameters: ClassVar[type[Parameters]] = ConstantParameters

    def collect(self, parameters: ConstantParameters, context: CollectContext) -> Any:
        return parameters.value

    def describe(self, parameters: ConstantParameters) -> str:
        return f"constant:{parameters.value!r}"
