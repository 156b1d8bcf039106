"""``assay ledger witness`` against real ``assay serve`` processes: the first checkpoint pins the
server's key, a grown ledger is accepted with a consistency proof, and a forked, rewritten or
shrunk history (another database served under the same log name and key) is refused with exit
1 naming both checkpoints, leaving the state as it was."""

from __future__ import annotations

import json
from pathlib import Path

from assay.store import open_store
from assay.store.config import DatabaseChoice
from assay.store.tokens import Role, create_token
from tests.helpers.running import run_process
from tests.helpers.server import serve_process


def _append(url: str, count: int, salt: str) -> str:
    store = open_store(DatabaseChoice(url, "test"))
    try:
        for n in range(count):
            store.ledger.append("test.entry", {"n": n, "salt": salt})
        return create_token(store, name="w", role=Role.auditee)[1]
    finally:
        store.close()


def _witness(url: str, state: Path, token: str, *extra: str) -> tuple[int, str, str]:
    done = run_process(
        "ledger",
        "witness",
        url,
        "--state",
        str(state),
        "-f",
        "json",
        *extra,
        env={"ASSAY_TOKEN": token},
    )
    return done.exit_code, done.stdout, done.stderr


def test_the_witness_accepts_growth_and_refuses_forks(tmp_path: Path) -> None:
    key = tmp_path / "server.key"
    honest = f"sqlite:///{tmp_path / 'honest.db'}"
    forked = f"sqlite:///{tmp_path / 'forked.db'}"
    token = _append(honest, 5, "a")
    state = tmp_path / "witness.json"
    with serve_process(honest, "--signing-key", str(key), "--no-scheduler", home=tmp_path) as (
        _,
        base,
    ):
        code, out, err = _witness(base, state, token)
        assert code == 0, err
        first = json.loads(out)
        assert first["first"]
        assert first["tree_size"] >= 5
        _append(honest, 4, "a")
        code, out, err = _witness(base, state, token)
        assert code == 0, err
        grown = json.loads(out)
        assert grown["previous"]["tree_size"] == first["tree_size"] < grown["tree_size"]
    seen = state.read_text()

    fork_token = _append(forked, 20, "b")
    with serve_process(forked, "--signing-key", str(key), "--no-scheduler", home=tmp_path) as (
        _,
        base,
    ):
        code, _, err = _witness(base, state, fork_token)
        assert code == 1, err
        assert "forked" in err
        assert str(grown["tree_size"]) in err
        assert grown["root"] in err
    assert state.read_text() == seen, "a refused checkpoint is not stored"

    short = f"sqlite:///{tmp_path / 'short.db'}"
    short_token = _append(short, 2, "a")
    with serve_process(short, "--signing-key", str(key), "--no-scheduler", home=tmp_path) as (
        _,
        base,
    ):
        code, _, err = _witness(base, state, short_token)
        assert code == 1, err
        assert "shrank" in err
        other_key = tmp_path / "other.key"
        assert run_process("keys", "generate", "-o", str(other_key)).exit_code == 0
        code, _, err = _witness(
            base, tmp_path / "new.json", short_token, "--key", str(other_key) + ".pub"
        )
        assert code == 1, err
        assert "no signature" in err
        code, _, err = _witness(base, tmp_path / "new.json", "assay_bad_token")
        assert code == 2
        assert "401" in err
        assert "Traceback" not in err
    code, _, err = _witness("ftp://example.org", tmp_path / "x.json", "t")
    assert code == 2
    damaged = json.loads(state.read_text())
    damaged["checkpoint"]["root"] = "zz"
    (tmp_path / "damaged.json").write_text(json.dumps(damaged))
    code, _, err = _witness(base, tmp_path / "damaged.json", "t")
    assert code == 2
    assert "damaged" in err
    (tmp_path / "broken.json").write_text("{}")
    code, _, err = _witness(base, tmp_path / "broken.json", "t")
    assert code == 2
    assert "witness state" in err
