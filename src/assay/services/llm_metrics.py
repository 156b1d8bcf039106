"""Computing the LLM, product and people figures from the stored events (and, for people, a
roster and survey answers), each with the digest of the events it came from."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from assay.metrics.llm import GROUP_KEYS, llm_figures
from assay.metrics.people import Answer, Member, people_figures
from assay.metrics.prices import PriceTable
from assay.metrics.product import product_figures
from assay.metrics.windows import Window
from assay.store import Store
from assay.store.events import events_digest, parse_body

__all__ = ["llm_report", "people_report", "product_report"]


def _read(
    store: Store,
    types: Sequence[str],
    window: Window,
    *,
    service: str | None = None,
    model: str | None = None,
) -> tuple[list[dict[str, Any]], list[str]]:
    bodies = list(
        store.events.bodies(
            types=types,
            service=service,
            model=model,
            after=window.since.timestamp(),
            before=window.until.timestamp(),
        )
    )
    return [parse_body(body) for body in bodies], bodies


def llm_report(
    store: Store,
    window: Window,
    prices: PriceTable,
    *,
    service: str | None = None,
    model: str | None = None,
    group_by: Sequence[str] = GROUP_KEYS,
) -> dict[str, Any]:
    """The LLM figures of the responses of ``service``/``model`` (all when None) in
    ``window``, per group, with the prices' provenance and the events' digest."""
    responses, bodies = _read(store, ["llm_response"], window, service=service, model=model)
    all_read = responses
    if service is not None:
        responses = [r for r in responses if r.get("service") == service]
    if model is not None:
        responses = [r for r in responses if r.get("model") == model]
    judgements, judgement_bodies = _read(store, ["evaluation", "feedback"], window)
    evaluations = [e for e in judgements if e["type"] == "evaluation"]
    votes = [e for e in judgements if e["type"] == "feedback"]
    figures = llm_figures(responses, evaluations, votes, window, prices, group_by=group_by)
    return {
        "service": service,
        "model": model,
        "group_by": list(group_by),
        **figures,
        "prices": {"currency": prices.currency, "as_of": prices.as_of, "source": prices.source},
        "events": {
            "count": len(bodies) + len(judgement_bodies),
            "digest": events_digest(bodies + judgement_bodies, all_read + judgements),
        },
    }


def product_report(store: Store, window: Window, *, service: str | None = None) -> dict[str, Any]:
    """Down-vote rate and AI-feature adoption of ``service`` (all when None) in ``window``."""
    events, bodies = _read(store, ["feedback", "feature_used"], window, service=service)
    votes = [e for e in events if e["type"] == "feedback"]
    usage = [e for e in events if e["type"] == "feature_used"]
    return {
        **product_figures(votes, usage, window, service=service),
        "events": {"count": len(bodies), "digest": events_digest(bodies, events)},
    }


def people_report(
    store: Store,
    window: Window,
    *,
    service: str | None = None,
    roster: Sequence[Member] | None = None,
    answers: Sequence[Answer] | None = None,
) -> dict[str, Any]:
    """Who raises incidents and how fast they are reported (from the incidents of
    ``service``, all when None, in ``window``), the role balance of ``roster`` and the pulse
    aggregates of ``answers``."""
    incidents, bodies = _read(store, ["incident"], window, service=service)
    return {
        "service": service,
        **people_figures(incidents, window, roster=roster, answers=answers),
        "events": {"count": len(bodies), "digest": events_digest(bodies, incidents)},
    }


def report_value(report: Mapping[str, Any], path: str) -> Any:
    """The figure at a dotted ``path`` of a report (``cost.per_response`` of its ``all``
    entry for LLM reports), or None when the report has none there."""
    node: Any = report.get("all", report) if "groups" in report else report
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node
