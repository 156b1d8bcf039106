"""``assay events`` and ``assay metrics`` end to end on a real SQLite store: bulk import with
its refusals, a git history backfilled from a real repository, the figures in every format,
and the snapshot in the ledger."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.running import run_cli

DEPLOY = {
    "type": "deployment",
    "service": "api",
    "environment": "production",
    "outcome": "success",
}


def line(**fields: Any) -> str:
    return json.dumps(fields)


def write_events(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def good_file(tmp_path: Path) -> Path:
    return write_events(
        tmp_path / "events.jsonl",
        line(
            id="d1",
            time="2026-11-02T10:00:00Z",
            changes=[{"id": "c1", "time": "2026-11-02T06:00:00Z"}],
            **DEPLOY,
        ),
        "",
        line(
            id="d2",
            time="2026-11-03T10:00:00Z",
            changes=[{"id": "c2", "time": "2026-11-03T08:00:00Z"}],
            planned=False,
            **DEPLOY,
        ),
        line(
            id="i1",
            type="incident",
            time="2026-11-03T11:00:00Z",
            resolved="2026-11-03T13:00:00Z",
            service="api",
            environment="production",
            deployment="d2",
        ),
        line(id="x1", type="feature_flag.toggled", time="2026-11-03T11:00:00Z", flag="new-ui"),
    )


def test_import_then_redeliver_changes_nothing(
    capsys: pytest.CaptureFixture[str], assay_home: Path, tmp_path: Path
) -> None:
    path = good_file(tmp_path)
    first = run_cli(capsys, "events", "import", str(path), "--format", "json")
    assert first.exit_code == 0, first.stderr
    assert json.loads(first.stdout) == {
        "received": 4,
        "stored": 4,
        "duplicates": 0,
        "types": {"deployment": 2, "incident": 1, "unmapped": 1},
        "unmapped": {"feature_flag.toggled": 1},
    }
    again = run_cli(capsys, "events", "import", str(path), "--format", "json")
    assert json.loads(again.stdout)["duplicates"] == 4
    listed = run_cli(capsys, "events", "list", "--type", "unmapped", "--format", "json")
    assert json.loads(listed.stdout)[0]["payload"] == {"flag": "new-ui"}


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("{not json", "events.jsonl:3: not JSON"),
        (
            line(id="d9", time="2099-01-01T00:00:00Z", changes=[], **DEPLOY),
            "events.jsonl:3: time: 2099-01-01T00:00:00+00:00 is in the future",
        ),
        (
            line(
                id="d9",
                time="2026-11-03T10:00:00Z",
                changes=[{"id": "c", "time": "2026-11-03T11:00:00Z"}],
                **DEPLOY,
            ),
            "later than the deployment",
        ),
        (
            line(id="d9", time="2026-11-03T10:00:00Z", **{**DEPLOY, "outcome": "maybe"}),
            "events.jsonl:3: outcome:",
        ),
        ("[1, 2]", "a JSON list, not an object"),
        (
            line(
                id="d9",
                time="2026-11-03T10:00:00Z",
                service="api",
                environment="p",
                outcome="success",
                type="deployment",
                changes=[],
                planned="sometimes",
            ),
            "planned",
        ),
    ],
)
def test_one_bad_line_refuses_the_whole_file(
    capsys: pytest.CaptureFixture[str], assay_home: Path, tmp_path: Path, bad: str, message: str
) -> None:
    path = write_events(
        tmp_path / "events.jsonl",
        line(id="ok", time="2026-11-02T10:00:00Z", changes=[], **DEPLOY),
        "",
        bad,
    )
    result = run_cli(capsys, "events", "import", str(path))
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    listed = run_cli(capsys, "events", "list", "--format", "json")
    # The store was created by the refused import, but holds nothing.
    assert listed.exit_code == 0
    assert json.loads(listed.stdout) == []


def test_reading_commands_never_create_a_store(
    capsys: pytest.CaptureFixture[str], assay_home: Path
) -> None:
    for args in (("events", "list"), ("metrics", "dora"), ("metrics", "ml")):
        result = run_cli(capsys, *args)
        assert result.exit_code == 2
        assert "no store at" in result.stderr
    assert not (assay_home / "assay.db").exists()


def test_dora_in_every_format_and_recorded(
    capsys: pytest.CaptureFixture[str], assay_home: Path, tmp_path: Path
) -> None:
    assert run_cli(capsys, "events", "import", str(good_file(tmp_path))).exit_code == 0
    window = ("--since", "2026-11-01", "--until", "2026-11-08T00:00:00Z")
    result = run_cli(capsys, "metrics", "dora", "--service", "api", *window, "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["deployment_frequency"] == {
        "deployments": 2,
        "per_week": 2.0,
        "deployment_days": 2,
    }
    assert report["lead_time_hours"] == {"median": 3.0, "p90": 3.8, "changes": 2}
    assert report["change_failure_rate"] == {"value": 0.5, "failed": 1, "deployments": 2}
    assert report["recovery_time_hours"]["median"] == 3.0
    assert report["rework_rate"] == {"value": 0.5, "unplanned": 1, "deployments": 2}
    assert report["tiers"]["year"] == 2024
    assert len(report["trend"]) == 12
    assert any("types assay does not map" in note for note in report["diagnostics"])
    table = run_cli(capsys, "metrics", "dora", *window)
    assert "Change failure rate" in table.stdout
    assert "high" in table.stdout
    html = tmp_path / "dora.html"
    written = run_cli(capsys, "metrics", "dora", *window, "--format", "html", "-o", str(html))
    assert written.exit_code == 0
    assert f"wrote {html}" in written.stderr
    page = html.read_text(encoding="utf-8")
    assert page.count("<svg") >= 1
    assert "Lead time for changes" in page
    recorded = run_cli(capsys, "metrics", "dora", *window, "--record", "--format", "json")
    seq = json.loads(recorded.stdout)["ledger_seq"]
    entries = run_cli(capsys, "ledger", "list", "--kind", "metrics.snapshot", "--format", "json")
    [entry] = [e for e in json.loads(entries.stdout) if e["seq"] == seq]
    assert entry["payload"]["events"]["digest"] == report["events"]["digest"]
    assert run_cli(capsys, "ledger", "verify").exit_code == 0


def test_events_digest_is_recomputable_from_the_listed_events(
    capsys: pytest.CaptureFixture[str], assay_home: Path, tmp_path: Path
) -> None:
    assert run_cli(capsys, "events", "import", str(good_file(tmp_path))).exit_code == 0
    report = json.loads(
        run_cli(
            capsys,
            "metrics",
            "dora",
            "--since",
            "2026-11-01",
            "--until",
            "2026-11-08",
            "--format",
            "json",
        ).stdout
    )
    listed = json.loads(
        run_cli(
            capsys,
            "events",
            "list",
            "--type",
            "deployment",
            "--type",
            "incident",
            "--format",
            "json",
        ).stdout
    )
    canonical = sorted(listed, key=lambda e: (e["source"], e["id"]))
    digest = hashlib.sha256()
    for event in canonical:
        digest.update(
            json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
            + b"\n"
        )
    assert report["events"] == {"count": 3, "digest": digest.hexdigest()}


def test_bad_options_are_one_line(
    capsys: pytest.CaptureFixture[str], assay_home: Path, tmp_path: Path
) -> None:
    assert run_cli(capsys, "events", "import", str(good_file(tmp_path))).exit_code == 0
    for args, message in (
        (("--window", "7x"), "is not a duration"),
        (("--since", "yesterday"), "is not a time"),
        (("--since", "2026-11-08", "--until", "2026-11-01"), "is not before"),
        (("--tiers", "1999"), "no DORA clusters for 1999"),
    ):
        result = run_cli(capsys, "metrics", "dora", *args)
        assert result.exit_code == 2, args
        assert message in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def git(repo: Path, *args: str, when: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_DATE": when,
        "GIT_COMMITTER_DATE": when,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    subprocess.run(["git", "-C", str(repo), *args], check=True, env=env, capture_output=True)


def test_backfill_from_a_real_git_history(
    capsys: pytest.CaptureFixture[str], assay_home: Path, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main", when="2026-11-01T00:00:00Z")
    for n, (day, hour) in enumerate([(1, 8), (1, 12), (2, 9), (3, 10), (3, 11)]):
        (repo / "f.txt").write_text(str(n))
        git(repo, "add", "f.txt", when=f"2026-11-0{day}T{hour:02d}:00:00Z")
        git(repo, "commit", "-q", "-m", f"change {n}", when=f"2026-11-0{day}T{hour:02d}:00:00Z")
        if n == 1:
            git(repo, "tag", "-a", "v1", "-m", "release 1", when="2026-11-01T14:00:00Z")
        if n == 2:
            git(repo, "tag", "build-7", when="2026-11-02T09:30:00Z")  # not a deployment tag
        if n == 4:
            git(repo, "tag", "v2", when="2026-11-03T12:00:00Z")  # lightweight: the commit's time
    result = run_cli(
        capsys,
        "events",
        "backfill",
        "git",
        str(repo),
        "--deploy-tags",
        "v*",
        "--service",
        "api",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["stored"] == 2
    report = json.loads(
        run_cli(
            capsys,
            "metrics",
            "dora",
            "--since",
            "2026-11-01",
            "--until",
            "2026-11-08",
            "--format",
            "json",
        ).stdout
    )
    # v1 (tagged 14:00) carries changes at 08:00 and 12:00: 6 h and 2 h. v2 (the commit at 11:00
    # on the 3rd) carries 09:00 on the 2nd, 10:00 and 11:00 on the 3rd: 26 h, 1 h, 0 h.
    assert report["lead_time_hours"]["median"] == 2.0
    assert report["lead_time_hours"]["changes"] == 5
    assert report["deployment_frequency"]["deployments"] == 2
    again = run_cli(
        capsys,
        "events",
        "backfill",
        "git",
        str(repo),
        "--deploy-tags",
        "v*",
        "--service",
        "api",
        "--format",
        "json",
    )
    assert json.loads(again.stdout)["duplicates"] == 2
    none = run_cli(
        capsys,
        "events",
        "backfill",
        "git",
        str(repo),
        "--deploy-tags",
        "release-*",
        "--service",
        "api",
    )
    assert none.exit_code == 2
    assert "no tag matches 'release-*'" in none.stderr
    not_git = run_cli(
        capsys,
        "events",
        "backfill",
        "git",
        str(tmp_path),
        "--deploy-tags",
        "v*",
        "--service",
        "api",
    )
    assert not_git.exit_code == 2
    assert "git rev-parse failed" in not_git.stderr


def test_a_bad_line_after_the_first_chunk_still_stores_nothing(
    capsys: pytest.CaptureFixture[str], assay_home: Path, tmp_path: Path
) -> None:
    # The first 10,000 events reach the database before the bad line is read: the whole
    # transaction is rolled back.
    path = tmp_path / "big.jsonl"
    good = [
        line(id=f"d{n}", time="2026-11-02T10:00:00Z", changes=[], **DEPLOY) for n in range(10_001)
    ]
    write_events(
        path, *good, line(id="bad", time="2026-11-02T10:00:00Z", **DEPLOY | {"outcome": "?"})
    )
    result = run_cli(capsys, "events", "import", str(path))
    assert result.exit_code == 2
    assert "big.jsonl:10002: outcome:" in result.stderr
    listed = run_cli(capsys, "events", "list", "--format", "json")
    assert json.loads(listed.stdout) == []
    path.write_text("\n".join(good) + "\n", encoding="utf-8")
    stored = run_cli(capsys, "events", "import", str(path), "--format", "json")
    assert json.loads(stored.stdout)["stored"] == 10_001
