"""Places in the repository that tests read (the docs, the schemas, the deployment files)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).parents[2]
TESTS = REPO / "tests"
