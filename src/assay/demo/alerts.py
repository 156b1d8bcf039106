"""The demo's LLM step: an assistant registered in MLflow in three audited versions, two hours of
its responses in which faithfulness falls while users vote answers down, a second assistant
with a short burst of down-votes, and the SLO file that turns the first into one P1 alert that
rolls the model alias back, and the second into nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console

from assay.catalog.metrics import load_prices
from assay.demo.llm import degrading_assistant, noisy_assistant, slo_file
from assay.files.slo import load_slo_file
from assay.files.spec import load_spec
from assay.metrics.windows import Window
from assay.reports.llm_report import llm_sections, sections_html, sections_table
from assay.services.alerts import evaluate_alerts, run_due_actions
from assay.services.audit_runs import run_audit
from assay.services.events import checked_events, ingest
from assay.services.llm_metrics import llm_report
from assay.services.metrics import record_snapshot
from assay.store import Store

__all__ = ["ASSISTANT", "llm_alert_step"]

ASSISTANT = "support-assistant"
_GATE = {
    "spec": 1,
    "id": "assistant-gate",
    "name": "Assistant release gate",
    "dimensions": [
        {
            "id": "quality",
            "name": "Answer quality",
            "requirements": [
                {
                    "id": "grounded",
                    "name": "Grounded in the knowledge base",
                    "metrics": [
                        {
                            "id": "offline",
                            "name": "Offline evaluation",
                            "measurements": [
                                {
                                    "id": "faithfulness",
                                    "name": "Offline faithfulness",
                                    "comparison": "greater_or_equal",
                                    "target": 0.9,
                                    "assessment_interface": {
                                        "kind": "mlflow",
                                        "model": ASSISTANT,
                                        "metric": "faithfulness",
                                    },
                                }
                            ],
                        }
                    ],
                }
            ],
        }
    ],
}


def _register_versions(client: Any, uri: str, store: Store, directory: Path) -> str:
    """Three versions of the assistant, each audited by the gate (all pass); champion on the
    newest. Returns its version."""
    spec_path = directory / "assistant-gate.yaml"
    spec_path.write_text(yaml.safe_dump(_GATE, sort_keys=False), encoding="utf-8")
    loaded = load_spec(spec_path)
    experiment = client.get_experiment_by_name(ASSISTANT) or None
    experiment_id = (
        experiment.experiment_id
        if experiment
        else client.create_experiment(ASSISTANT, artifact_location=(directory / "mlflow").as_uri())
    )
    client.create_registered_model(ASSISTANT)
    version = ""
    for score in (0.93, 0.95, 0.94):
        run = client.create_run(experiment_id)
        client.log_metric(run.info.run_id, "faithfulness", score)
        client.set_terminated(run.info.run_id)
        version = str(
            client.create_model_version(
                ASSISTANT, f"runs:/{run.info.run_id}/model", run_id=run.info.run_id
            ).version
        )
        run_audit(store, loaded, f"{ASSISTANT}@{version}", environ={"MLFLOW_TRACKING_URI": uri})
    client.set_registered_model_alias(ASSISTANT, "champion", version)
    return version


def llm_alert_step(
    store: Store, directory: Path, console: Console, program: str, registry: tuple[Any, str]
) -> tuple[list[Path], bool]:
    """Step 7 of the demo (see the module); returns the report and SLO file, and whether the
    story came out as told: one P1, the alias rolled back, the noisy assistant quiet."""
    client, uri = registry
    current = _register_versions(client, uri, store, directory)
    console.print(
        f"   {ASSISTANT} versions 1-{current} registered and audited; champion → {current}"
    )
    now = datetime.now(UTC)
    raw = degrading_assistant(now, model=ASSISTANT, version=current) + noisy_assistant(now)
    result = ingest(store, checked_events(raw, now=now, where=lambda i: f"demo event {i}"))
    console.print(
        f"   {result.stored} events: 2 hours of responses, faithfulness judgements and votes "
        "(support-bot's answers degrade in the last 30 minutes; search-bot has a 4-minute "
        "burst of down-votes)"
    )
    slos_path = directory / "slos.yaml"
    config = slo_file(model=ASSISTANT, tracking_uri=uri, spec="assistant-gate")
    slos_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    slos = load_slo_file(slos_path)
    prices = load_prices()
    report = llm_report(store, Window(now - timedelta(minutes=30), now), prices)
    record_snapshot(store, "llm", report)
    console.print(sections_table("Last 30 minutes", llm_sections(report)[:1]))
    outcome = evaluate_alerts(store, slos, now=now, prices=prices)
    actions = run_due_actions(store, slos)
    for name, state in outcome["states"].items():
        span = state["spans"][0]
        burns = "/".join(
            "-" if part["burn_rate"] is None else f"{part['burn_rate']:.1f}x"
            for part in (span["long"], span["short"])
        )
        console.print(
            f"   {name}: burn rate {burns} over 30m/5m (fires at {span['factor']:g}x) → "
            + ("[bold red]firing[/]" if state["firing"] else "quiet")
        )
    opened = [store.alerts.get(n) for n in outcome["opened"]]
    for alert in opened:
        assert alert is not None
        console.print(f"   alert {alert.id}: {alert.alert_class} {alert.rule}")
    for action in actions:
        console.print(
            f"   action {action['action']} of alert {action['alert']}: {action['outcome']}"
        )
    champion = str(client.get_model_version_by_alias(ASSISTANT, "champion").version)
    console.print(f"   MLflow: {ASSISTANT}@champion is now version {champion}")
    html = directory / "metrics-llm.html"
    html.write_text(sections_html("LLM figures, last 30 minutes", report, llm_sections(report)))
    console.print(f"   report: {html}; SLOs: {slos_path}")
    console.print(
        f"   (yours: export spans to assay serve --slos FILE at /v1/traces, then "
        f"{program} alerts list, {program} metrics llm)"
    )
    p1 = [a for a in opened if a is not None and a.alert_class == "P1"]
    expected = (
        len(p1) == 1
        and champion == str(int(current) - 1)
        and not outcome["states"]["search-downvotes"]["firing"]
        and all(a["outcome"] == "done" for a in actions)
    )
    return [html, slos_path], expected
