"""A small user framework file, as a team would write its own."""

from __future__ import annotations

from pathlib import Path

USER_FRAMEWORK = """
id: ours
name: Our team's framework
version: "1"
kind: levels
level_names: microsoft
source: {title: internal, attribution: ours}
areas:
  - id: data
    name: Data
    topics:
      - {id: lineage, name: Lineage, levels: {0: none, 3: most, 4: all}}
"""


def write_user_framework(path: Path) -> Path:
    """Write :data:`USER_FRAMEWORK` (one area, one topic ``lineage`` describing levels 0, 3 and 4)
    to ``path``."""
    path.write_text(USER_FRAMEWORK, encoding="utf-8")
    return path
