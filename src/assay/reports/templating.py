"""The Jinja2 environment every report template is rendered with."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

__all__ = ["markdown_cell", "template_environment"]


def markdown_cell(value: object) -> str:
    """Text that stays inside one Markdown table cell: one line, pipes escaped."""
    return " ".join(str(value).split()).replace("|", "\\|")


def template_environment(
    *, html: bool, filters: Mapping[str, Callable[..., Any]] | None = None
) -> Environment:
    """An environment over ``assay/reports/templates`` that escapes HTML when ``html``,
    refuses undefined names, and has ``cell`` plus the given ``filters``."""
    environment = Environment(
        loader=PackageLoader("assay.reports", "templates"),
        autoescape=html,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["cell"] = markdown_cell
    environment.filters.update(filters or {})
    return environment
