"""How a server process is set up: the database, where uploaded specs' relative paths start,
the request size limit and the scheduler; passed to worker processes as JSON in the
environment."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from assay.collectors.confinement import Allowances, Confinement
from assay.store.config import DatabaseChoice, assay_home

__all__ = ["SERVE_GC_YOUNG_THRESHOLD", "SETTINGS_VARIABLE", "ServerSettings"]

SETTINGS_VARIABLE = "ASSAY_SERVER_SETTINGS"


# A push makes thousands of objects, few of which outlive it; at Python's 700 the youngest
# generation was collected many times a push. With 10,000 the workers under load took 1.82 ms
# of CPU a push instead of 1.93 (benchmarks/README.md, "Fewer young collections").
SERVE_GC_YOUNG_THRESHOLD = 10_000


@dataclass(frozen=True)
class ServerSettings:
    """One server's settings. ``spec_dir`` is where relative paths in uploaded specs start
    (and the only place their files are read from); ``allow`` what else uploaded specs may
    reach (:class:`Allowances` as JSON); ``max_body_bytes`` the largest request body accepted;
    ``scheduler`` whether this process runs due jobs (every ``tick`` seconds, holding a job at
    most ``lease`` seconds); ``slo_file`` the SLOs this process evaluates every
    ``alert_interval`` seconds, ``llm_prices`` the price table of the cost figures;
    ``signing_key`` the server's own Ed25519 key file, ``ledger_origin`` the name its
    checkpoints carry; ``freeze_startup_objects`` whether what start-up built is frozen out of
    the garbage collector's sight (``gc.freeze``); ``gc_young_threshold``, when set, how many
    new objects start a collection of the youngest generation (Python's default, 700, left
    alone when None)."""

    database_url: str
    database_origin: str = "--db"
    database_home: str | None = None
    spec_dir: str = "."
    max_body_bytes: int = 16 * 1024 * 1024
    scheduler: bool = True
    tick: float = 1.0
    lease: float = 600.0
    mlflow_webhook_secret_env: str = "ASSAY_MLFLOW_WEBHOOK_SECRET"
    github_webhook_secret_env: str = "ASSAY_GITHUB_WEBHOOK_SECRET"
    gitlab_webhook_token_env: str = "ASSAY_GITLAB_WEBHOOK_TOKEN"
    allow: dict[str, Any] = field(default_factory=dict)
    slo_file: str | None = None
    alert_interval: float = 30.0
    llm_prices: str | None = None
    signing_key: str | None = None
    ledger_origin: str = "assay.local/ledger"
    # `assay serve` sets it; in-process applications (tests) leave it off, since it would keep
    # whatever else their process holds at that moment for good.
    freeze_startup_objects: bool = False
    # `assay serve` sets it (SERVE_GC_YOUNG_THRESHOLD); in-process applications leave it alone:
    # the threshold is their whole process's.
    gc_young_threshold: int | None = None

    @property
    def signing_key_path(self) -> Path:
        """The server's signing key file: ``signing_key``, else ``server-signing.key`` in
        assay's data directory."""
        if self.signing_key:
            return Path(self.signing_key).expanduser()
        return assay_home() / "server-signing.key"

    @property
    def choice(self) -> DatabaseChoice:
        """The database, as every command chooses it."""
        home = Path(self.database_home) if self.database_home else None
        return DatabaseChoice(self.database_url, self.database_origin, home)

    @cached_property
    def spec_base(self) -> Path:
        """``spec_dir`` as an absolute path (resolved once: every request asks for it)."""
        return Path(self.spec_dir).resolve()

    @cached_property
    def confinement(self) -> Confinement:
        """What uploaded specs may reach: the spec directory (never the server's own SQLite
        file or signing key) and the administrator's allowances."""
        forbidden: tuple[Path, ...] = ()
        try:
            url = make_url(self.database_url)
        except ArgumentError:
            url = None
        if url is not None and url.get_backend_name() == "sqlite" and url.database:
            forbidden = (Path(url.database).expanduser().resolve(),)
        # The server's private key is never evidence, wherever the administrator put it.
        forbidden += (self.signing_key_path.resolve(),)
        return Confinement(self.spec_base, Allowances.from_dict(self.allow), forbidden)

    def to_environment(self) -> None:
        """Hand these settings to worker processes started from this one."""
        os.environ[SETTINGS_VARIABLE] = json.dumps(asdict(self))

    @classmethod
    def for_database(cls, choice: DatabaseChoice, **options: object) -> ServerSettings:
        """Settings for the database ``choice``, with any other ``options``."""
        home = str(choice.default_home) if choice.default_home else None
        return cls(choice.url, choice.origin, home, **options)  # type: ignore[arg-type]

    @classmethod
    def from_environment(cls) -> ServerSettings:
        """The settings the parent process handed over."""
        return cls(**json.loads(os.environ[SETTINGS_VARIABLE]))
