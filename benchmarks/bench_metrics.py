"""Delivery metrics at scale: assay against plain SQL in the style of the peers, on one PostgreSQL.

In one run, on a fresh schema of the PostgreSQL named by ``--postgres``:

1. **Ingest**: N canonical events (deployments of 50 services over 180 days with 1-5 changes
   each, incidents linked to 10 % of them, rollbacks of 3 %) are checked and stored by assay's
   bulk ingestion from a JSON-lines file (``assay events import FILE``: strict JSON parsing,
   validation, canonical JSON, deduplicating insert, one transaction). Reports events per
   second (writing the file is not timed).
2. **Compute**: the five keys for every service over rolling 90-day windows ending a day apart
   over the last month (30 windows per service), twice on the same events table:
   - assay: read the events once, build each service's history, answer every window;
   - SQL: one query per (service, window) computing the same definitions (first deployment of a
     change, as-of-``until`` incidents and rollbacks, ``percentile_cont`` as numpy's median and
     p90) over the JSON bodies, as fourkeys-style dashboards do with their median queries.
   The figures of both are compared (they must agree to 1e-9), and both times and their ratio
   are printed and written to ``benchmarks/results/metrics.md``.

    python benchmarks/bench_metrics.py --postgres postgresql+psycopg://postgres@127.0.0.1/db
        [--events 1000000] [--services 50]
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import shutil
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from assay.metrics.dora import DeliveryHistory
from assay.metrics.windows import Window
from assay.services.events import import_events_file
from assay.store import open_store
from assay.store.config import DatabaseChoice

RESULTS = Path(__file__).parent / "results" / "metrics.md"
DAY = 86_400.0
END = datetime(2026, 11, 30, tzinfo=UTC)
WINDOWS = 30  # daily: a month of points on a trend chart


def iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat().replace("+00:00", "Z")


def generate(total: int, services: int, seed: int = 7) -> list[dict[str, Any]]:
    """About ``total`` canonical events of ``services`` services over the 180 days before END."""
    rng = np.random.default_rng(seed)
    per_deployment = 1 + 0.10 + 0.03
    deployments = int(total / per_deployment)
    end = END.timestamp()
    start = end - 180 * DAY
    times = np.sort(rng.uniform(start, end - DAY, deployments))
    owner = rng.integers(0, services, deployments)
    events: list[dict[str, Any]] = []
    for index in range(deployments):
        at = float(times[index])
        service = f"svc-{int(owner[index]):02d}"
        deployment = f"d{index}"
        changes = [
            {"id": f"c{index}-{k}", "time": iso(at - float(rng.lognormal(10.0, 1.0)))}
            for k in range(int(rng.integers(1, 6)))
        ]
        if index > 0 and rng.random() < 0.05:  # a re-deploy carries an earlier change again
            changes.append({"id": f"c{index - 1}-0", "time": iso(at - 7200.0)})
        events.append(
            {
                "id": deployment,
                "source": "bench",
                "type": "deployment",
                "time": iso(at),
                "service": service,
                "environment": "production",
                "outcome": "success",
                "changes": changes,
                "planned": bool(rng.random() > 0.1),
            }
        )
        draw = rng.random()
        if draw < 0.10:
            detected = at + float(rng.uniform(60, 3600))
            incident: dict[str, Any] = {
                "id": f"i{index}",
                "source": "bench",
                "type": "incident",
                "time": iso(detected),
                "service": service,
                "environment": "production",
                "deployment": deployment,
            }
            if rng.random() < 0.9:
                incident["resolved"] = iso(min(detected + float(rng.lognormal(8.0, 1.0)), end))
            events.append(incident)
        if draw > 0.97:
            events.append(
                {
                    "id": f"r{index}",
                    "source": "bench",
                    "type": "rollback",
                    "time": iso(at + float(rng.uniform(600, 7200))),
                    "service": service,
                    "environment": "production",
                    "deployment": deployment,
                }
            )
    return events


SQL = """
WITH base AS MATERIALIZED (
  SELECT id, type, time, body::jsonb AS j
  FROM events
  WHERE service = :service AND environment = 'production' AND time < :until
),
dep AS (
  SELECT id, time, (j ->> 'planned') IS DISTINCT FROM 'false' AS planned, j
  FROM base WHERE type = 'deployment' AND j ->> 'outcome' = 'success'
),
carried AS MATERIALIZED (
  SELECT DISTINCT ON (x ->> 'id') x ->> 'id' AS change, dep.time AS deployed,
         extract(epoch FROM (x ->> 'time')::timestamptz) AS committed
  FROM dep, jsonb_array_elements(dep.j -> 'changes') x
  ORDER BY x ->> 'id', dep.time, dep.id
),
inc AS (
  SELECT j ->> 'deployment' AS dep_id, min(time) AS detected,
         bool_and(j ? 'resolved'
                  AND extract(epoch FROM (j ->> 'resolved')::timestamptz) < :until)
           AS all_resolved,
         max(extract(epoch FROM (j ->> 'resolved')::timestamptz)) AS last_resolved
  FROM base WHERE type = 'incident'
  GROUP BY 1
),
rb AS (
  SELECT j ->> 'deployment' AS dep_id, min(time) AS at
  FROM base WHERE type = 'rollback'
  GROUP BY 1
),
judged AS MATERIALIZED (
  SELECT dep.time, dep.planned, (inc.dep_id IS NOT NULL OR rb.dep_id IS NOT NULL) AS failed,
         least(rb.at, CASE WHEN inc.all_resolved THEN inc.last_resolved END) - dep.time
           AS restored_after
  FROM dep LEFT JOIN inc ON inc.dep_id = dep.id LEFT JOIN rb ON rb.dep_id = dep.id
  WHERE dep.time >= :since
)
SELECT
  (SELECT count(*) FROM judged) AS deployments,
  (SELECT count(DISTINCT floor(time / 86400)) FROM judged) AS days,
  (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY (deployed - committed) / 3600.0)
     FROM carried WHERE deployed >= :since) AS lead_median,
  (SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY (deployed - committed) / 3600.0)
     FROM carried WHERE deployed >= :since) AS lead_p90,
  (SELECT count(*) FROM carried WHERE deployed >= :since) AS changes,
  (SELECT count(*) FROM judged WHERE failed) AS failed,
  (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY restored_after / 3600.0)
     FROM judged WHERE failed AND restored_after IS NOT NULL) AS recovery_median,
  (SELECT count(*) FROM judged WHERE NOT planned) AS unplanned
"""


def windows() -> list[Window]:
    last = Window(END - timedelta(days=90), END)
    return last.earlier(WINDOWS, timedelta(days=1))


def assay_compute(url: str, services: list[str]) -> tuple[float, dict[tuple[str, int], Any]]:
    started = time.perf_counter()
    store = open_store(DatabaseChoice(url, "bench"))
    try:
        by_service: dict[str, list[dict[str, Any]]] = {name: [] for name in services}
        for body in store.events.bodies(environment="production"):
            event = json.loads(body)
            by_service[event["service"]].append(event)
        figures = {}
        for name in services:
            history = DeliveryHistory.build(
                by_service[name], environment="production", service=name
            )
            for k, window in enumerate(windows()):
                figures[(name, k)] = history.figures(window)
    finally:
        store.close()
    return time.perf_counter() - started, figures


def sql_compute(url: str, services: list[str]) -> tuple[float, dict[tuple[str, int], Any]]:
    engine = create_engine(url)
    started = time.perf_counter()
    figures = {}
    with engine.connect() as conn:
        for name in services:
            for k, window in enumerate(windows()):
                row = conn.execute(
                    text(SQL),
                    {
                        "service": name,
                        "since": window.since.timestamp(),
                        "until": window.until.timestamp(),
                    },
                ).one()
                figures[(name, k)] = row
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed, figures


def agree(mine: dict[str, Any], row: Any) -> bool:
    def close(a: float | None, b: float | None) -> bool:
        if a is None or b is None:
            return a is None and b is None
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)

    return (
        mine["deployment_frequency"]["deployments"] == row.deployments
        and mine["deployment_frequency"]["deployment_days"] == row.days
        and mine["lead_time_hours"]["changes"] == row.changes
        and close(mine["lead_time_hours"]["median"], row.lead_median)
        and close(mine["lead_time_hours"]["p90"], row.lead_p90)
        and mine["change_failure_rate"]["failed"] == row.failed
        and close(mine["recovery_time_hours"]["median"], row.recovery_median)
        and mine["rework_rate"]["unplanned"] == row.unplanned
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", required=True, help="a PostgreSQL URL (a schema is made)")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--services", type=int, default=50)
    options = parser.parse_args()
    base = make_url(options.postgres).set(drivername="postgresql+psycopg")
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )
    try:
        print(f"generating {options.events:,} events …", flush=True)
        events_file = Path(tempfile.mkdtemp()) / "events.jsonl"
        with events_file.open("w", encoding="utf-8") as stream:
            for event in generate(options.events, options.services):
                stream.write(json.dumps(event) + "\n")
        gc.collect()
        store = open_store(DatabaseChoice(url, "bench"))
        started = time.perf_counter()
        import_events_file(store, events_file)  # what assay events import FILE does
        ingest_seconds = time.perf_counter() - started
        shutil.rmtree(events_file.parent)
        stored = sum(store.events.counts().values())
        store.close()
        with admin.begin() as conn:
            conn.execute(text(f'ANALYZE "{schema}".events'))
        rate = stored / ingest_seconds
        print(
            f"ingested {stored:,} events in {ingest_seconds:.1f} s: {rate:,.0f} events/s",
            flush=True,
        )
        services = [f"svc-{n:02d}" for n in range(options.services)]
        sql_seconds, sql_figures = sql_compute(url, services)
        print(f"SQL: {len(sql_figures)} (service, window) sets in {sql_seconds:.1f} s", flush=True)
        assay_seconds, assay_figures = assay_compute(url, services)
        print(f"assay: the same in {assay_seconds:.1f} s")
        disagreements = [
            key for key in assay_figures if not agree(assay_figures[key], sql_figures[key])
        ]
        ratio = sql_seconds / assay_seconds
        table = "\n".join(
            [
                f"# Delivery metrics: {stored:,} events, {options.services} services, "
                f"{WINDOWS} rolling 90-day windows each",
                "",
                f"Measured {datetime.now(UTC):%Y-%m-%d} by `benchmarks/bench_metrics.py` on one "
                "PostgreSQL (a fresh schema), both contenders in the same run.",
                "",
                "| step | assay | plain SQL (fourkeys style) | ratio |",
                "|---|---|---|---|",
                f"| ingest (check, canonical JSON, dedup insert) | {rate:,.0f} events/s "
                f"({ingest_seconds:.1f} s) | - | - |",
                f"| five keys, {len(assay_figures)} (service, window) sets | "
                f"{assay_seconds:.2f} s | {sql_seconds:.2f} s | {ratio:.1f} times faster |",
                "",
                f"Figures that disagree (tolerance 1e-9): {len(disagreements)} of "
                f"{len(assay_figures)}.",
                "",
            ]
        )
        print(table)
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(table, encoding="utf-8")
        if disagreements:
            raise SystemExit(f"the figures disagree, first at {disagreements[0]}")
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
