"""LLM, product, people, citation and SLO figures against hand computations and reference
libraries (numpy's percentiles, scikit-learn's precision and recall)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError
from sklearn.metrics import precision_score, recall_score

from assay.metrics.citations import citation_figures
from assay.metrics.events import EventProblem, parse_event
from assay.metrics.llm import flagged, llm_figures
from assay.metrics.people import Answer, Member, incident_figures, pulse_figures, role_balance
from assay.metrics.prices import ModelPrice, PriceTable
from assay.metrics.product import product_figures
from assay.metrics.slo import Objective, SloFile, burn_state, correlated, threshold_state
from assay.metrics.windows import Window

START = datetime(2026, 11, 1, tzinfo=UTC)
DAY = Window(START, START + timedelta(days=1))
PRICES = PriceTable(
    models=[
        ModelPrice(model="big", input=3.0, output=15.0),
        ModelPrice(model="small-*", input=0.1, output=0.4),
    ]
)


def at(minutes: float) -> str:
    return (START + timedelta(minutes=minutes)).isoformat()


def response(n: int, **fields: Any) -> dict[str, Any]:
    return {
        "type": "llm_response",
        "id": f"s{n}",
        "source": "otlp",
        "time": at(n),
        "response_id": f"r{n}",
        "model": "big",
        "version": "1",
        **fields,
    }


def test_costs_latency_and_rates_by_hand() -> None:
    responses = [
        response(1, input_tokens=1000, output_tokens=100, duration_ms=500, conversation="a"),
        response(2, input_tokens=2000, output_tokens=300, duration_ms=900, conversation="a"),
        response(3, input_tokens=500, output_tokens=50, duration_ms=100, conversation="b"),
        response(4, model="mystery", input_tokens=10, output_tokens=10, duration_ms=50),
        response(5, model="small-2", version="2", input_tokens=1_000_000, output_tokens=0),
        response(
            6, model="big", input_tokens=None, output_tokens=None, time=at(60 * 25)
        ),  # outside
    ]
    responses = [{k: v for k, v in r.items() if v is not None} for r in responses]
    evaluations: list[dict[str, Any]] = [
        {
            "id": "e1",
            "type": "evaluation",
            "time": at(2),
            "response_id": "r1",
            "evaluation": "faithfulness",
            "label": "faithful",
        },
        {
            "id": "e2",
            "type": "evaluation",
            "time": at(3),
            "response_id": "r2",
            "evaluation": "faithfulness",
            "score": 0.2,
        },
        # r2 judged again later: the latest judgement wins.
        {
            "id": "e3",
            "type": "evaluation",
            "time": at(4),
            "response_id": "r2",
            "evaluation": "faithfulness",
            "label": "pass",
        },
        {
            "id": "e4",
            "type": "evaluation",
            "time": at(4),
            "response_id": "r3",
            "evaluation": "Refusal",
            "label": "refused",
        },
        {
            "id": "e5",
            "type": "evaluation",
            "time": at(4),
            "response_id": "r3",
            "evaluation": "faithfulness",
            "label": "maybe",
        },
        {
            "id": "e6",
            "type": "evaluation",
            "time": at(4),
            "response_id": "nope",
            "evaluation": "safety",
            "score": 0.9,
        },
    ]
    votes: list[dict[str, Any]] = [
        {"id": "v1", "type": "feedback", "time": at(5), "response_id": "r1", "vote": "down"},
        {"id": "v2", "type": "feedback", "time": at(5), "response_id": "r2", "vote": "up"},
        {"id": "v3", "type": "feedback", "time": at(5), "vote": "down"},
    ]
    report = llm_figures(responses, evaluations, votes, DAY, PRICES, group_by=("model", "version"))
    big = next(g for g in report["groups"] if g["model"] == "big")
    costs = [(1000 * 3 + 100 * 15) / 1e6, (2000 * 3 + 300 * 15) / 1e6, (500 * 3 + 50 * 15) / 1e6]
    assert big["responses"] == 3
    assert big["cost"]["total"] == pytest.approx(sum(costs))
    assert big["cost"]["per_session"] == pytest.approx(sum(costs) / 2)
    assert big["cost"]["per_1k_tokens"] == pytest.approx(sum(costs) / 3950 * 1000)
    durations = [500, 900, 100]
    assert big["latency_ms"]["p95"] == pytest.approx(np.percentile(durations, 95))
    assert big["latency_ms"]["per_output_token"] == pytest.approx(np.median([5, 3, 2]))
    assert big["faithfulness_rate"] == {"value": 1.0, "passed": 2, "evaluated": 2}
    assert big["refusal_rate"] == {"value": 1.0, "flagged": 1, "evaluated": 1}
    assert big["downvote_rate"] == {"value": 0.5, "down": 1, "votes": 2}
    small = next(g for g in report["groups"] if g["model"] == "small-2")
    assert small["cost"]["per_response"] == pytest.approx(0.1)  # priced by the glob
    mystery = next(g for g in report["groups"] if g["model"] == "mystery")
    assert mystery["cost"]["per_response"] is None
    assert mystery["cost"]["unpriced_models"] == {"mystery": 1}
    assert report["all"]["responses"] == 5
    assert report["all"]["downvote_rate"]["votes"] == 3  # the vote naming no response counts here
    assert report["diagnostics"] == {
        "evaluations_without_response": 1,
        "evaluations_unreadable": 1,
        "votes_without_response": 1,
    }


def test_a_judgement_stamped_with_another_service_does_not_count() -> None:
    responses = [response(1, service="a")]
    evaluations = [
        {
            "id": "e",
            "type": "evaluation",
            "time": at(2),
            "response_id": "r1",
            "evaluation": "safety",
            "label": "unsafe",
            "service": "b",
        }
    ]
    report = llm_figures(responses, evaluations, [], DAY, PRICES)
    assert report["all"]["safety_violation_rate"]["evaluated"] == 0
    assert report["diagnostics"]["evaluations_without_response"] == 1


@pytest.mark.parametrize(
    ("evaluation", "result"),
    [
        ({"evaluation": "faithfulness", "label": "Hallucinated"}, True),
        ({"evaluation": "faithfulness", "score": 0.49}, True),
        ({"evaluation": "refusal", "score": 0.7}, True),
        ({"evaluation": "refusal", "label": "answered"}, False),
        ({"evaluation": "instruction_following", "label": "not followed"}, True),
        ({"evaluation": "tone", "label": "fail"}, True),
        ({"evaluation": "tone", "label": "meh"}, None),
    ],
)
def test_how_judgements_read(evaluation: dict[str, Any], result: bool | None) -> None:
    assert flagged(evaluation) is result


def test_the_short_evaluation_line_and_bad_llm_events() -> None:
    now = START + timedelta(hours=1)
    line = parse_event(
        {
            "response_id": "r1",
            "evaluation": "faithfulness",
            "label": "faithful",
            "evaluator": "judge",
        },
        now=now,
    )
    assert (line["type"], line["id"]) == ("evaluation", "r1/faithfulness/judge")
    with pytest.raises(EventProblem, match="output_tokens"):
        parse_event({**response(1), "output_tokens": -1}, now=now)
    with pytest.raises(EventProblem, match="score"):
        parse_event({"response_id": "r", "evaluation": "x", "score": float("nan")}, now=now)


def test_citations_agree_with_scikit_learn() -> None:
    relevant = {"q1": ["a", "b", "c"], "q2": ["d"], "q3": ["e", "f"]}
    cited = {"q1": ["a", "x"], "q2": ["d", "y", "z"], "q4": ["a"]}
    report = citation_figures(relevant, cited)
    chunks = sorted({c for ids in [*relevant.values(), *cited.values()] for c in ids})
    precisions, recalls = [], []
    for question in ("q1", "q2"):  # the answered ones (q3 has no answer: no precision)
        truth = [c in relevant[question] for c in chunks]
        guess = [c in cited[question] for c in chunks]
        precisions.append(precision_score(truth, guess))
        recalls.append(recall_score(truth, guess))
    recalls.append(0.0)  # q3: nothing of it cited
    assert report["precision"]["macro"] == pytest.approx(np.mean(precisions))
    assert report["recall"]["macro"] == pytest.approx(np.mean(recalls))
    assert report["precision"]["micro"] == pytest.approx(2 / 5)
    assert report["recall"]["micro"] == pytest.approx(2 / 6)
    assert report["unanswered"] == ["q3"]
    assert report["answers_without_question"] == ["q4"]


def test_product_and_people_figures() -> None:
    usage = [
        {"type": "feature_used", "time": at(1), "feature": "summarise", "user": "u1", "ai": True},
        {"type": "feature_used", "time": at(2), "feature": "search", "user": "u2", "ai": False},
        {"type": "feature_used", "time": at(3), "feature": "search", "user": "u1", "ai": False},
        {"type": "feature_used", "time": at(4), "feature": "search", "user": "u3", "ai": False},
    ]
    votes = [{"time": at(1), "vote": "down"}, {"time": at(2), "vote": "up"}]
    product = product_figures(votes, usage, DAY)
    assert product["ai_adoption"] == {
        "value": pytest.approx(1 / 3),
        "ai_users": 1,
        "active_users": 3,
    }
    assert product["downvote_rate"]["value"] == 0.5
    incidents = [
        {"time": at(0), "reported_by": "person", "detected": at(0), "reported": at(90)},
        {"time": at(10), "reported_by": "detector", "reported": at(40)},
        {"time": at(20), "reported_by": "person"},
        {"time": at(30)},
    ]
    people = incident_figures(incidents, DAY)
    assert people["raised_by_people"] == {
        "value": pytest.approx(2 / 3),
        "people": 2,
        "detectors": 1,
        "unknown": 1,
    }
    assert people["detection_to_report_hours"]["median"] == pytest.approx(np.median([1.5, 0.5]))
    balance = role_balance(
        [Member("research", 1), Member("platform", 0.5), Member("platform", 1.5)]
    )
    assert {r["role"]: r["share"] for r in balance["roles"]} == {
        "platform": 2 / 3,
        "research": 1 / 3,
    }


def test_pulse_groups_under_five_are_withheld_and_cannot_be_subtracted_out() -> None:
    answers = [Answer("data", "safe to report?", s) for s in (4, 5, 4, 3, 5, 4)]
    answers += [Answer("platform", "safe to report?", s) for s in (2, 3, 2, 4, 3)]
    answers += [Answer("research", "safe to report?", s) for s in (1, 2)]
    pulse = pulse_figures(answers)
    question = pulse["questions"][0]
    # research (2 answers) is withheld; platform too, or research = all - data - platform.
    assert question["withheld"] == ["platform", "research"]
    assert [g["group"] for g in question["groups"]] == ["data"]
    assert question["all"]["answers"] == 13
    assert question["all"]["mean"] == pytest.approx(
        np.mean([4, 5, 4, 3, 5, 4, 2, 3, 2, 4, 3, 1, 2])
    )
    alone = pulse_figures([Answer("tiny", "q", 5)] * 3)
    assert alone["questions"][0]["all"] is None
    assert alone["questions"][0]["withheld"] == ["tiny"]


def _slo(**fields: Any) -> Objective:
    base = {"name": "s", "indicator": "llm.faithfulness", "objective": 0.99, "class": "P2"}
    return Objective.model_validate({**base, **fields})


def test_burn_rates_by_hand() -> None:
    slo = _slo(burn_rates=[{"long": "1h", "short": "5m", "factor": 14.4}], min_events=10)
    now = 10_000.0
    times = np.asarray([now - 3000 + 30 * i for i in range(100)], dtype=float)  # 50 min of events
    bad = np.zeros(100, dtype=bool)
    bad[-10:] = True  # the last 5 minutes
    state = burn_state(slo, times, bad, now)
    pair = state.spans[0]
    # 10 of 100 bad in the hour: 0.1 / 0.01 = 10 < 14.4 → the long span holds it back.
    assert pair["long"]["burn_rate"] == pytest.approx(10.0)
    assert pair["short"]["burn_rate"] == pytest.approx(100.0)
    assert not state.firing
    bad[-20:] = True
    assert burn_state(slo, times, bad, now).firing  # 20 of 100: 20x and 100x


def test_threshold_slos_and_correlations() -> None:
    slo = _slo(indicator="llm.cost.per_response", objective=None, threshold={"max": 0.01})
    assert threshold_state(slo, {"1d": 0.02, "2h": 0.03}, 5).firing
    assert not threshold_state(slo, {"1d": 0.02, "2h": 0.005}, 5).firing
    assert not threshold_state(slo, {"1d": None, "2h": 0.03}, 5).firing
    rule = SloFile.model_validate(
        {
            "slos": [
                {"name": "a", "indicator": "llm.faithfulness", "objective": 0.9, "class": "P3"},
                {"name": "b", "indicator": "product.downvotes", "objective": 0.9, "class": "P3"},
            ],
            "correlations": [{"name": "ab", "signals": ["a", "b"], "within": "30m", "class": "P1"}],
        }
    ).correlations[0]
    assert correlated(rule, {"a": 0.0, "b": 1800.0})
    assert not correlated(rule, {"a": 0.0, "b": 1801.0})
    assert not correlated(rule, {"a": 0.0})


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"objective": None}, "ratio indicator"),
        ({"indicator": "llm.latency"}, "latency_ms"),
        ({"indicator": "nope"}, "unknown indicator"),
        ({"window": "3 days"}, "not a duration"),
        ({"class": "P5"}, "P1"),
    ],
)
def test_bad_slos_say_why(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        _slo(**fields)


def test_the_published_slo_schema_is_current_and_validates_the_demo_file() -> None:
    from jsonschema import Draft202012Validator

    from assay.demo.llm import slo_file
    from assay.metrics.slo import slo_json_schema
    from tests.helpers.paths import REPO

    published = json.loads((REPO / "docs" / "schemas" / "slo.schema.json").read_text())
    assert published == slo_json_schema(), (
        "stale: run assay alerts schema -o docs/schemas/slo.schema.json"
    )
    document = slo_file(
        model="m", tracking_uri="http://x", spec="s", alertmanager="http://a", webhook="http://w"
    )
    Draft202012Validator.check_schema(published)
    assert list(Draft202012Validator(published).iter_errors(document)) == []
    broken = {**document, "slos": [{**document["slos"][0], "class": "P7"}]}
    assert list(Draft202012Validator(published).iter_errors(broken))
