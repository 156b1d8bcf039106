"""The tables assay stores, as SQLAlchemy Core metadata (the migrations create them)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

__all__ = [
    "alert_actions",
    "alerts",
    "api_tokens",
    "events",
    "ledger_disclosures",
    "ledger_entries",
    "ledger_head",
    "ledger_latest",
    "ledger_tree",
    "metadata",
    "schedule_jobs",
]

metadata = MetaData()

# One row per ledger entry. ``payload`` holds the entry's canonical JSON text verbatim: a JSON
# column would let the database renormalize numbers (PostgreSQL's jsonb prints 1e300 as an
# integer), and the hash must be recomputable from exactly what was stored.
ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("ts", String(32), nullable=False),
    Column("kind", String(200), nullable=False),
    Column("payload", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False, unique=True),
    # sha256 of ``payload`` for entries of format 2 (docs/ledger.md); NULL for format 1.
    Column("payload_hash", String(64), nullable=True),
    # Lookups by kind (rounds, audit runs, certificates) read entries of one kind in order.
    Index("ix_ledger_entries_kind_seq", "kind", "seq"),
)

# What opens each sealed (confidential) value of an entry: its JSON Pointer in the payload, the
# salt, and the value's canonical JSON. Kept beside the chain, so that readers without access
# receive the entry without these rows and still verify it; changing a row is caught by
# verification (the value no longer matches its seal).
ledger_disclosures = Table(
    "ledger_disclosures",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("pointer", String(1000), primary_key=True),
    Column("salt", String(32), nullable=False),
    Column("value", Text, nullable=False),
)

# A single row (id = 1) naming the newest entry. Appenders lock it to serialize, and ``verify``
# compares it with the chain's end, which exposes entries removed from the tail.
ledger_head = Table(
    "ledger_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)

# The ledger's RFC 9162 Merkle tree as its perfect subtrees: the row (level, idx) holds the root
# of leaves [idx * 2**level, (idx + 1) * 2**level), level 0 being the leaves. Written in each
# append's transaction, so any root or proof needs O(log² n) rows, not a rehash of the ledger.
ledger_tree = Table(
    "ledger_tree",
    metadata,
    Column("level", SmallInteger, primary_key=True, autoincrement=False),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
)

# The newest entry of each key of the kinds looked up by key on every audit run (the last run
# and status of a spec on a target, a specification's content by hash): derived from the
# entries, written in each append's transaction (assay.store.ledger_index).
ledger_latest = Table(
    "ledger_latest",
    metadata,
    Column("kind", String(200), primary_key=True),
    Column("key", String(1000), primary_key=True),
    Column("seq", BigInteger, nullable=False),
)

# Audit API tokens. Only a SHA-256 of each secret is kept; the secret is shown once at creation.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("scope", String(200), nullable=True),
    Column("internal", Boolean, nullable=False),
    Column("secret_hash", String(64), nullable=False),
    Column("created", String(32), nullable=False),
    Column("revoked", String(32), nullable=True),
)

# The scheduler's jobs: a registered (spec, target) run every ``every_seconds``. Times are Unix
# seconds. A process claims a due job by setting ``lease_owner``/``lease_until`` in one
# conditional UPDATE, and moves ``next_due`` in the transaction that stores the run, so a run is
# neither lost nor repeated across restarts and processes.
schedule_jobs = Table(
    "schedule_jobs",
    metadata,
    Column("id", String(420), primary_key=True),
    Column("spec", String(200), nullable=False),
    Column("target", String(200), nullable=False),
    Column("every_seconds", Float, nullable=False),
    Column("next_due", Float, nullable=False),
    Column("lease_owner", String(100), nullable=True),
    Column("lease_until", Float, nullable=True),
    Column("last_run", String(32), nullable=True),
)

# Events of delivery and of the ML life cycle (docs/metrics.md). ``body`` is the canonical
# event's canonical JSON; ``time`` its time in Unix seconds; the other columns repeat what the
# metrics select on. A second event with the same (source, id) is a redelivery and is not kept.
events = Table(
    "events",
    metadata,
    Column("source", String(200), primary_key=True),
    Column("id", String(200), primary_key=True),
    Column("type", String(40), nullable=False),
    Column("time", Float, nullable=False),
    Column("service", String(200), nullable=True),
    Column("environment", String(200), nullable=True),
    Column("model", String(200), nullable=True),
    Column("body", Text, nullable=False),
    Column("received", String(32), nullable=False),
    Index("ix_events_time", "time"),
    Index("ix_events_service_environment_time", "service", "environment", "time"),
    Index("ix_events_type_time", "type", "time"),
)

# Alerts of the SLOs and correlation rules (docs/alerts.md). ``open_key`` is "open" while the
# alert is open and NULL after: the unique pair lets one process only open a rule's alert.
alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("rule", String(100), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("alert_class", String(4), nullable=False),
    Column("state", String(20), nullable=False),
    Column("open_key", String(8), nullable=True),
    Column("opened", Float, nullable=False),
    Column("resolved", Float, nullable=True),
    Column("acknowledged", Float, nullable=True),
    Column("acknowledged_by", String(200), nullable=True),
    Column("note", Text, nullable=True),
    Column("evidence", Text, nullable=False),
    UniqueConstraint("rule", "open_key", name="uq_alerts_one_open_per_rule"),
)

# Each action an alert takes, once per (alert, action, phase): a process claims a due row by
# moving it to "running" with a lease, so that several server processes run it once.
alert_actions = Table(
    "alert_actions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("alert_id", Integer, ForeignKey("alerts.id"), nullable=False),
    Column("action", String(100), nullable=False),
    Column("phase", String(10), nullable=False),
    Column("status", String(10), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_try", Float, nullable=False),
    Column("lease_until", Float, nullable=True),
    Column("result", Text, nullable=True),
    UniqueConstraint("alert_id", "action", "phase", name="uq_alert_actions_once"),
)
