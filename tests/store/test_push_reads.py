"""The token and the ledger index read together before a push (store/push_reads.py) find what
each read alone finds: the same token (or none) for every kind of presented text, and the same
index entries for any keys, on SQLite and in PostgreSQL's one statement."""

from __future__ import annotations

from assay.services.registrations import audited_version_keys
from assay.store import Store, open_store
from assay.store.config import DatabaseChoice
from assay.store.ledger_index import latest_of
from assay.store.push_reads import token_and_latest
from assay.store.tokens import Role, create_token, find_token, revoke_token

SPEC_HASH = "a" * 64


def _indexed(store: Store) -> None:
    """A spec, its registration on ``m@1`` and a run of it: entries the index keys."""
    store.ledger.append("audit.spec", {"hash": SPEC_HASH, "id": "quality", "document": {}})
    store.ledger.append(
        "audit.registration", {"spec": "quality", "target": "m@1", "spec_hash": SPEC_HASH}
    )
    store.ledger.append("audit.run", {"spec": {"id": "quality"}, "target": "m@1"})


def test_the_token_and_the_index_read_together_are_what_each_read_finds(store: Store) -> None:
    _indexed(store)
    active, active_text = create_token(store, name="pusher", role=Role.auditee)
    revoked, revoked_text = create_token(store, name="gone", role=Role.auditee)
    revoke_token(store, revoked.id)
    secret = active_text.split("_", 2)[2]
    presented = [
        active_text,
        revoked_text,
        active_text[:-1] + ("A" if active_text[-1] != "A" else "B"),  # a wrong secret
        f"assay_0000000000000000_{secret}",  # an unknown id
        f"assay_{active.id}",  # no secret
        "Bearer nonsense",
        "",
    ]
    pushed = audited_version_keys("quality", "m@1")
    wanted = [
        pushed,
        [*pushed, ("audit.spec", SPEC_HASH), ("audit.spec", "b" * 64)],
        audited_version_keys("quality", "other@1"),
        [],
    ]
    for text in presented:
        for keys in wanted:
            with store.database.reading() as conn:
                alone = latest_of(conn, keys)
            assert token_and_latest(store, text, keys) == (find_token(store, text), alone)
    token, latest = token_and_latest(store, active_text, pushed)
    assert token == active
    with store.database.reading() as conn:
        seqs = latest_of(conn, pushed)
    # Not vacuous: the push's keys find the spec, its registration and the run.
    assert sorted(kind for kind, _ in latest) == ["audit.registration", "audit.run", "audit.spec"]
    assert latest == seqs
    assert token_and_latest(store, revoked_text, pushed) == (None, seqs)


def test_a_token_revoked_by_another_connection_is_refused_at_the_next_read(
    store: Store, database_url: str
) -> None:
    """Nothing of a token is kept between reads: revoked through another store (another
    process's pool), it is refused by the very next read of this one."""
    token, text = create_token(store, name="pusher", role=Role.auditee)
    keys = audited_version_keys("quality", "m@1")
    assert token_and_latest(store, text, keys)[0] == token
    other = open_store(DatabaseChoice(database_url, "test"))
    try:
        revoke_token(other, token.id)
    finally:
        other.close()
    assert token_and_latest(store, text, keys) == (None, {})
