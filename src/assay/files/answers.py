"""Reading a self-assessment answers file (YAML or JSON)."""

from __future__ import annotations

from pathlib import Path

from assay.catalog import load_framework
from assay.catalog.frameworks import UnknownFrameworkError
from assay.catalog.validation import DocumentInvalidError, raise_problems, validate_document
from assay.files.documents import load_document
from assay.maturity.answers import Assessment, read_assessment
from assay.maturity.frameworks import FrameworkKind

__all__ = ["load_assessment"]

EXPECTED = "an answers file as described in docs/maturity.md (assay maturity template writes one)"


def load_assessment(path: Path, framework_reference: str | None = None) -> Assessment:
    """Read and check an answers file; ``framework_reference`` (``--framework``) replaces the
    file's own ``framework:``. Raises :class:`~assay.errors.InvalidInputError` naming the file,
    line and key path of every problem."""
    document = load_document(path)
    if not isinstance(document.data, dict):
        raise DocumentInvalidError(
            document.source, ["line 1: the document is not a mapping"], expected=EXPECTED
        )
    validate_document(document, "answers", expected=EXPECTED)
    reference = framework_reference or document.data["framework"]
    relative = path.parent / reference
    if framework_reference is None and relative.suffix in (".yaml", ".yml", ".json"):
        reference = str(relative)  # a framework file named in the answers file is beside it
    try:
        framework = load_framework(reference)
    except UnknownFrameworkError as error:
        if framework_reference is not None:
            raise
        # The file named it: say so at its line, not as if --framework had been given.
        raise_problems(
            document, [(("framework",), error.problem)], expected=error.expected or EXPECTED
        )
        raise
    if framework.kind is FrameworkKind.scale:
        raise_problems(
            document,
            [(("framework",), f"{framework.id} only names levels; it has nothing to answer")],
            expected=EXPECTED,
        )
    assessment, problems = read_assessment(document.data, framework)
    raise_problems(document, problems, expected=EXPECTED)
    return assessment
