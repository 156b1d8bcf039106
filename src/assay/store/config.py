"""Where assay keeps its data and which database it uses, from options and ``ASSAY_*`` variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DEFAULT_DATABASE_FILENAME", "DatabaseChoice", "assay_home", "choose_database"]

DEFAULT_DATABASE_FILENAME = "assay.db"


@dataclass(frozen=True)
class DatabaseChoice:
    """A database URL and where it came from (for messages: ``--db``, a variable, the default).

    ``default_home`` is set only when the URL is the default SQLite file, whose directory assay
    may create; a directory named explicitly by the user is never created behind their back.
    """

    url: str
    origin: str
    default_home: Path | None = None


def assay_home(env: Mapping[str, str] = os.environ) -> Path:
    """Return the data directory: ``ASSAY_HOME``, else ``$XDG_DATA_HOME/assay``, else
    ``~/.local/share/assay``. Nothing is created here."""
    if env.get("ASSAY_HOME"):
        return Path(env["ASSAY_HOME"]).expanduser()
    if env.get("XDG_DATA_HOME"):
        return Path(env["XDG_DATA_HOME"]).expanduser() / "assay"
    return Path.home() / ".local" / "share" / "assay"


def choose_database(option: str | None, env: Mapping[str, str] = os.environ) -> DatabaseChoice:
    """Pick the database URL: the ``--db`` option wins, then ``ASSAY_DATABASE_URL``, then the
    SQLite file ``assay.db`` in :func:`assay_home`."""
    if option:
        return DatabaseChoice(option, "--db")
    if env.get("ASSAY_DATABASE_URL"):
        return DatabaseChoice(env["ASSAY_DATABASE_URL"], "ASSAY_DATABASE_URL")
    home = assay_home(env)
    path = home / DEFAULT_DATABASE_FILENAME
    return DatabaseChoice(f"sqlite:///{path}", f"default database {path}", default_home=home)
