"""Loading maturity frameworks: the built-in catalog files or a user's own file."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from assay.catalog.validation import DocumentInvalidError, raise_problems, validate_document
from assay.errors import InvalidInputError
from assay.files.documents import load_document
from assay.maturity.frameworks import (
    Framework,
    FrameworkKind,
    framework_from_data,
    framework_problems,
)

__all__ = ["UnknownFrameworkError", "builtin_framework_ids", "load_framework"]

_EXPECTED = "a framework file as described in docs/maturity-frameworks.md"


def _builtin_dir() -> Path:
    return Path(str(resources.files("assay.catalog").joinpath("frameworks")))


@cache
def builtin_framework_ids() -> tuple[str, ...]:
    """The ids of the frameworks assay ships, sorted."""
    return tuple(sorted(path.stem for path in _builtin_dir().glob("*.yaml")))


class UnknownFrameworkError(InvalidInputError):
    """No built-in framework has this id and no framework file is at this path."""


def load_framework(reference: str) -> Framework:
    """The framework with this built-in id, or the one in the file at this path.

    Raises :class:`UnknownFrameworkError` for an unknown id, :class:`InvalidInputError` for
    a missing file, and
    :class:`DocumentInvalidError` listing every problem of an invalid file.
    """
    if reference in builtin_framework_ids():
        return _load_builtin(reference)
    path = Path(reference)
    if path.suffix.lower() in (".yaml", ".yml", ".json") or path.exists():
        return _load_file(path)
    raise UnknownFrameworkError(
        f"unknown framework {reference!r}",
        source="--framework",
        expected=f"one of {', '.join(builtin_framework_ids())} or the path of a framework file",
    )


@cache
def _load_builtin(framework_id: str) -> Framework:
    return _load_file(_builtin_dir() / f"{framework_id}.yaml")


def _load_file(path: Path) -> Framework:
    document = load_document(path)
    if not isinstance(document.data, dict):
        raise DocumentInvalidError(
            document.source, ["line 1: the document is not a mapping"], expected=_EXPECTED
        )
    validate_document(document, "framework", expected=_EXPECTED)
    problems = framework_problems(document.data)
    scale_ref = document.data.get("level_names")
    if scale_ref is not None and not _is_builtin_scale(scale_ref, document.data["id"]):
        scales = [i for i in builtin_framework_ids() if _is_builtin_scale(i, document.data["id"])]
        problems.append(
            (
                ("level_names",),
                f"{scale_ref!r} is not a built-in level scale; expected one of {scales}",
            )
        )
    raise_problems(document, problems, expected=_EXPECTED)
    scale = _load_builtin(scale_ref).scale if scale_ref else ()
    return framework_from_data(document.data, scale)


def _is_builtin_scale(reference: str, referrer: str) -> bool:
    if reference == referrer or reference not in builtin_framework_ids():
        return False
    return _load_builtin(reference).kind is FrameworkKind.scale
