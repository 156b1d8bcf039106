"""On PostgreSQL, a function that appends a batch of entries to the ledger inside the database:
it takes the head lock, checks the batch's conditions on the ledger index, numbers, stamps and
chains the entries (format 2), adds their Merkle tree nodes, and writes entries, disclosures,
nodes, index and head. Sent in one pipeline with the transaction's COMMIT, the head lock is
then held only while PostgreSQL works, never while a Python thread waits for its turn.

The hashes are those of :func:`assay.store.chain.entry_hash_v2` and
:mod:`assay.store.merkle` (leaf ``sha256(0x00 || entry hash)``, node ``sha256(0x01 || left ||
right)``); the caller chains the same entries again from the head the function answers and
compares the last hash (:mod:`assay.store.ledger_in_database`). Kinds and payload hashes come
checked (a dotted lowercase name, 64 hex digits), so each is its own canonical JSON string
between quotes.

Nothing changes on SQLite.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The function raises SQLSTATE AL001 when a condition no longer holds (the caller runs its
# batch again) and AL002 when the stored tree lacks a node; "AL" is no class PostgreSQL uses.
_FUNCTION = r"""
CREATE OR REPLACE FUNCTION assay_ledger_append(
    kinds text[], payloads text[], payload_hashes text[],
    disclosed_at integer[], pointers text[], salts text[], disclosed_values text[],
    index_kinds text[], index_keys text[], index_at integer[],
    expected_kinds text[], expected_keys text[], expected_seqs bigint[]
) RETURNS TABLE (before_seq bigint, before_hash text, stamp text, after_hash text)
LANGUAGE plpgsql AS $body$
DECLARE
    head_seq bigint;
    head_hash text;
    at_ts text;
    n integer := coalesce(array_length(kinds, 1), 0);
    prevs text[];
    hashes text[];
    stack_levels smallint[];
    stack_hashes bytea[];
    top integer;
    node_levels smallint[] := '{}';
    node_idx bigint[] := '{}';
    node_hashes bytea[] := '{}';
    nodes integer := 0;
    chained text;
    node_level smallint;
    node_index bigint;
    node bytea;
BEGIN
    SELECT h.seq, h.hash INTO head_seq, head_hash FROM ledger_head AS h WHERE h.id = 1 FOR UPDATE;
    IF EXISTS (
        SELECT 1 FROM unnest(expected_kinds, expected_keys, expected_seqs) AS e(kind, key, seq)
        LEFT JOIN ledger_latest AS l ON l.kind = e.kind AND l.key = e.key
        WHERE l.seq IS DISTINCT FROM nullif(e.seq, 0)  -- 0: no entry of this key
    ) THEN
        RAISE EXCEPTION 'the ledger changed under a deferred append''s condition'
            USING ERRCODE = 'AL001';
    END IF;
    -- The perfect subtrees of the tree of head_seq leaves, largest first: one per bit set.
    SELECT coalesce(array_agg(t.level ORDER BY t.level DESC), '{}'),
           coalesce(array_agg(t.hash ORDER BY t.level DESC), '{}')
      INTO stack_levels, stack_hashes
      FROM generate_series(0, 62) AS p(level)
      JOIN ledger_tree AS t ON t.level = p.level AND t.idx = (head_seq >> (p.level + 1)) << 1
     WHERE ((head_seq >> p.level) & 1) = 1;
    top := coalesce(array_length(stack_levels, 1), 0);
    IF top <> length(replace((head_seq::bit(64))::text, '0', '')) THEN
        RAISE EXCEPTION USING ERRCODE = 'AL002', MESSAGE =
            'the ledger''s Merkle tree lacks nodes of the tree of ' || head_seq || ' leaves';
    END IF;
    at_ts := to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
    chained := head_hash;
    FOR i IN 1 .. n LOOP
        prevs[i] := chained;
        chained := encode(sha256(convert_to(
            chained || '{"kind":"' || kinds[i] || '","payload_hash":"' || payload_hashes[i]
            || '","seq":' || (head_seq + i) || ',"ts":"' || at_ts || '"}', 'UTF8')), 'hex');
        hashes[i] := chained;
        node_level := 0;
        node_index := head_seq + i - 1;
        node := sha256('\x00'::bytea || decode(chained, 'hex'));
        nodes := nodes + 1;
        node_levels[nodes] := node_level;
        node_idx[nodes] := node_index;
        node_hashes[nodes] := node;
        WHILE top > 0 AND stack_levels[top] = node_level LOOP
            node := sha256('\x01'::bytea || stack_hashes[top] || node);
            top := top - 1;
            node_level := node_level + 1;
            node_index := node_index >> 1;
            nodes := nodes + 1;
            node_levels[nodes] := node_level;
            node_idx[nodes] := node_index;
            node_hashes[nodes] := node;
        END LOOP;
        top := top + 1;
        stack_levels[top] := node_level;
        stack_hashes[top] := node;
    END LOOP;
    INSERT INTO ledger_entries (seq, ts, kind, payload, prev_hash, hash, payload_hash)
    SELECT head_seq + u.at, at_ts, u.kind, u.payload, u.prev, u.hash, u.payload_hash
      FROM unnest(kinds, payloads, payload_hashes, prevs, hashes)
           WITH ORDINALITY AS u(kind, payload, payload_hash, prev, hash, at);
    INSERT INTO ledger_disclosures (seq, pointer, salt, value)
    SELECT head_seq + d.at, d.pointer, d.salt, d.value
      FROM unnest(disclosed_at, pointers, salts, disclosed_values) AS d(at, pointer, salt, value);
    INSERT INTO ledger_tree (level, idx, hash)
    SELECT * FROM unnest(node_levels, node_idx, node_hashes);
    INSERT INTO ledger_latest (kind, key, seq)
    SELECT x.kind, x.key, head_seq + x.at
      FROM unnest(index_kinds, index_keys, index_at) AS x(kind, key, at)
    ON CONFLICT (kind, key) DO UPDATE SET seq = excluded.seq;
    UPDATE ledger_head SET seq = head_seq + n, hash = chained WHERE id = 1;
    RETURN QUERY SELECT head_seq, head_hash, at_ts, chained;
END
$body$
"""

_DROP = (
    "DROP FUNCTION IF EXISTS assay_ledger_append(text[], text[], text[], integer[], text[],"
    " text[], text[], text[], text[], integer[], text[], text[], bigint[])"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_DROP)
