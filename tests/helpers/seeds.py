"""The project's source documents (``shared/seeds`` beside the repository), for tests that check
the catalog against them. ``ASSAY_SEEDS_DIR`` points elsewhere."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

SEEDS = Path(os.environ.get("ASSAY_SEEDS_DIR", Path(__file__).parents[3] / "shared" / "seeds"))


def seed_text(prefix: str) -> str:
    """The text of the seed document whose file name starts with ``prefix`` (e.g. ``001``);
    the test is skipped when the documents are not beside the repository."""
    matches = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    if not matches:
        pytest.skip(f"source documents not found in {SEEDS} (set ASSAY_SEEDS_DIR)")
    return matches[0].read_text(encoding="utf-8")


def iml4e_table_rows() -> dict[str, dict[int, str]]:
    """Topic number → {level: descriptor} from Tables 9-15 of the IML4E D4.4 text, where each
    row is ``N.<tab>topic<tab>level 0<tab>…<tab>level 4`` and an empty cell means no descriptor."""
    text = seed_text("001")
    start = text.index("5.2 The IML4E MLOPs Maturity Assessment Framework V2\n")
    end = text.index("5.3 The IML4E MLOps Testing Methodology\n")
    rows: dict[str, dict[int, str]] = {}
    for line in text[start:end].splitlines():
        match = re.match(r"^(\d+)\.\t(.*)$", line)
        if match:
            cells = match.group(2).split("\t")
            rows[match.group(1)] = {
                level: cell.strip() for level, cell in enumerate(cells[1:6]) if cell.strip()
            }
    return rows
