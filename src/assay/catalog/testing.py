"""The testing methodology catalog (``testing.yaml``)."""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path

from assay.audit.coverage import Methodology, methodology_from_data
from assay.files.documents import load_document

__all__ = ["load_methodology"]


def load_methodology() -> Methodology:
    """The IML4E testing methodology shipped with assay."""
    with as_file(files("assay.catalog").joinpath("testing.yaml")) as path:
        return methodology_from_data(load_document(Path(path)).data)
