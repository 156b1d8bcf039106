"""``file``: a value read from a JSON, YAML, CSV or text file, optionally picked by JMESPath."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from assay.collectors.base import CollectContext, CollectionError, Parameters
from assay.collectors.confinement import Confinement
from assay.collectors.values import Format, Selector, decode, select

__all__ = ["FileCollector", "FileParameters", "ReadsSpecFile", "read_file", "read_json"]

_FORMATS: dict[str, Format] = {
    ".json": "json",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".csv": "csv",
}


class FileParameters(Parameters):
    """``path`` (relative to the spec), ``format`` (by default from the suffix: .json, .yaml,
    .csv, otherwise the text, read as a number when it is one) and ``select``."""

    path: str = Field(min_length=1)
    format: Format = "auto"
    select: Selector | None = None


def read_file(written: str, context: CollectContext) -> tuple[Path, str, str]:
    """The file ``written`` in a spec (relative to it; confined on a server): its path, the
    name to show in messages and its text. :class:`CollectionError` when it cannot be read."""
    path = context.resolve(written)
    # A confined spec's messages name the path as written, not where the server keeps it.
    shown = str(path) if context.confinement is None else written
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CollectionError(f"no such file: {shown}") from None
    except IsADirectoryError:
        raise CollectionError(f"cannot read {shown}: it is a directory") from None
    except UnicodeDecodeError:
        raise CollectionError(f"cannot read {shown}: it is not UTF-8 text") from None
    except OSError as error:
        raise CollectionError(f"cannot read {shown}: {error.strerror}") from None
    return path, shown, text


def read_json(written: str, context: CollectContext) -> tuple[str, Any]:
    """The JSON document in the file ``written`` (see :func:`read_file`) and its name for
    messages. Python's reader: other tools write ``NaN``, which a value then carries."""
    _, shown, text = read_file(written, context)
    try:
        return shown, json.loads(text)
    except ValueError as error:
        raise CollectionError(f"{shown} is not JSON: {error}") from None


class ReadsSpecFile:
    """For collectors whose parameters name one file, ``path``, beside the spec: on a server it
    must lie inside the spec directory."""

    def confinement_problem(
        self, parameters: Any, confinement: Confinement, environ: Mapping[str, str]
    ) -> str | None:
        """A path that leaves the spec directory."""
        problem: str | None = confinement.path_problem(parameters.path)
        return problem


class FileCollector:
    """Reads a file beside the spec (or anywhere, by absolute path, for a local spec)."""

    kind: ClassVar[str] = "file"
    parameters: ClassVar[type[Parameters]] = FileParameters

    def collect(self, parameters: FileParameters, context: CollectContext) -> Any:
        """The file's content, decoded and selected."""
        path, shown, text = read_file(parameters.path, context)
        fmt = parameters.format
        if fmt == "auto":
            fmt = _FORMATS.get(path.suffix.lower(), "auto")
        return select(decode(text, fmt, shown), parameters.select, shown)

    def confinement_problem(
        self, parameters: FileParameters, confinement: Confinement, environ: Mapping[str, str]
    ) -> str | None:
        """A path that leaves the spec directory."""
        return confinement.path_problem(parameters.path)

    def describe(self, parameters: FileParameters) -> str:
        """``file:PATH#SELECTOR``."""
        return f"file:{parameters.path}" + (f"#{parameters.select}" if parameters.select else "")
