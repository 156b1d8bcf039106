"""``file``: a value read from a JSON, YAML, CSV or text file, optionally picked by JMESPath."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from assay.collectors.base import CollectContext, CollectionError, Parameters
from assay.collectors.values import Format, decode, select

__all__ = ["FileCollector", "FileParameters"]

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
    select: str | None = None


class FileCollector:
    """Reads a file beside the spec (or anywhere, by absolute path)."""

    kind: ClassVar[str] = "file"
    parameters: ClassVar[type[Parameters]] = FileParameters

    def collect(self, parameters: FileParameters, context: CollectContext) -> Any:
        """The file's content, decoded and selected."""
        path = context.base_dir / Path(parameters.path).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CollectionError(f"no such file: {path}") from None
        except (OSError, UnicodeDecodeError) as error:
            reason = getattr(error, "strerror", None) or str(error)
            raise CollectionError(f"cannot read {path}: {reason}") from None
        fmt = parameters.format
        if fmt == "auto":
            fmt = _FORMATS.get(path.suffix.lower(), "auto")
        return select(decode(text, fmt, str(path)), parameters.select, str(path))

    def describe(self, parameters: FileParameters) -> str:
        """``file:PATH#SELECTOR``."""
        return f"file:{parameters.path}" + (f"#{parameters.select}" if parameters.select else "")
