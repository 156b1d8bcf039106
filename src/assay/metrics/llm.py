"""LLM behaviour and cost figures over a window, per model version, prompt hash and retrieval
configuration (docs/metrics.md defines each one).

Inputs are canonical events: ``llm_response`` (one per response, from OpenTelemetry GenAI
spans), ``evaluation`` (judgements of a response) and ``feedback`` (votes). A response belongs
to the window its own time falls in; its evaluations and votes count with it, as known at the
window's end. Each (response, evaluation) pair counts once: the latest judgement wins.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assay.metrics.events import epoch_of
from assay.metrics.prices import ModelPrice, PriceTable
from assay.metrics.windows import Window

__all__ = [
    "GROUP_KEYS",
    "LLM_EVALUATIONS",
    "flagged",
    "llm_figures",
    "rate",
]

# What a group of responses is keyed on: the exact artifact, prompt and retrieval set.
GROUP_KEYS = ("model", "version", "prompt_hash", "retrieval_config")
_FAIL = {"fail", "failed", "false", "no", "incorrect", "bad", "0"}
_PASS = {"pass", "passed", "true", "yes", "correct", "good", "1"}


@dataclass(frozen=True)
class _Kind:
    """How a judgement of one kind reads: the labels that flag the response, the labels that
    clear it, and whether a score flags it when low (below 0.5) or when high."""

    flags: frozenset[str]
    clears: frozenset[str]
    low_score_flags: bool = True


LLM_EVALUATIONS: dict[str, _Kind] = {
    "faithfulness": _Kind(
        frozenset({*_FAIL, "unfaithful", "not_faithful", "hallucinated", "hallucination"}),
        frozenset({*_PASS, "faithful", "grounded"}),
    ),
    "refusal": _Kind(
        frozenset({"refused", "refusal", "yes", "true", "1"}),
        frozenset({"answered", "complied", "not_refused", "no", "false", "0"}),
        low_score_flags=False,
    ),
    "safety": _Kind(
        frozenset({*_FAIL, "unsafe", "violation", "harmful", "toxic"}),
        frozenset({*_PASS, "safe"}),
    ),
    "instruction_following": _Kind(
        frozenset({*_FAIL, "not_followed", "ignored"}),
        frozenset({*_PASS, "followed"}),
    ),
}
_GENERIC = _Kind(frozenset(_FAIL), frozenset(_PASS))
SCORE_THRESHOLD = 0.5


def flagged(evaluation: Mapping[str, Any]) -> bool | None:
    """Whether a judgement flags its response (hallucinated, refused, unsafe, instruction not
    followed, failed): from its label when the label is one assay knows for that evaluation,
    else from its score against 0.5; None when neither says."""
    kind = LLM_EVALUATIONS.get(str(evaluation["evaluation"]).lower(), _GENERIC)
    label = evaluation.get("label")
    if isinstance(label, str):
        word = label.strip().lower().replace(" ", "_").replace("-", "_")
        if word in kind.flags:
            return True
        if word in kind.clears:
            return False
    score = evaluation.get("score")
    if isinstance(score, int | float):
        return score < SCORE_THRESHOLD if kind.low_score_flags else score >= SCORE_THRESHOLD
    return None


def rate(part: int, whole: int) -> float | None:
    """``part / whole``, or None when there is nothing to divide by."""
    return part / whole if whole else None


def _percentile(values: np.ndarray, q: float) -> float | None:
    return float(np.percentile(values, q)) if values.size else None


def _mean(values: np.ndarray) -> float | None:
    return float(values.mean()) if values.size else None


@dataclass
class _Group:
    """The responses of one group as they are read, then summed up."""

    key: tuple[str | None, ...]
    responses: int = 0
    sessions: set[str] = field(default_factory=set)
    priced_sessions: set[str] = field(default_factory=set)
    input_tokens: list[float] = field(default_factory=list)
    output_tokens: list[float] = field(default_factory=list)
    durations: list[float] = field(default_factory=list)
    per_token: list[float] = field(default_factory=list)
    ttft: list[float] = field(default_factory=list)
    costs: list[float] = field(default_factory=list)
    priced_tokens: int = 0
    unpriced: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    judgements: dict[str, list[int]] = field(default_factory=dict)  # kind → [flagged, judged]
    votes: list[int] = field(default_factory=lambda: [0, 0])  # [down, all]

    def add(self, response: Mapping[str, Any], price: ModelPrice | None) -> None:
        """Count one response: its session, tokens, time and cost (at ``price``, the price of
        its model, None when it has none)."""
        self.responses += 1
        session = response.get("conversation") or f"response:{response['response_id']}"
        self.sessions.add(session)
        tokens_in, tokens_out = response.get("input_tokens"), response.get("output_tokens")
        if tokens_in is not None:
            self.input_tokens.append(tokens_in)
        if tokens_out is not None:
            self.output_tokens.append(tokens_out)
        duration = response.get("duration_ms")
        if duration is not None:
            self.durations.append(duration)
            if tokens_out:
                self.per_token.append(duration / tokens_out)
        if response.get("ttft_ms") is not None:
            self.ttft.append(response["ttft_ms"])
        if response.get("error"):
            self.errors += 1
        model = response["model"]
        if price is None or tokens_in is None or tokens_out is None:
            reason = model if price is None else f"{model} (no token counts)"
            self.unpriced[reason] = self.unpriced.get(reason, 0) + 1
        else:
            self.costs.append((tokens_in * price.input + tokens_out * price.output) / 1_000_000)
            self.priced_tokens += tokens_in + tokens_out
            self.priced_sessions.add(session)

    def absorb(self, other: _Group) -> None:
        """Add everything ``other`` counted to this group (the whole from its parts)."""
        self.responses += other.responses
        self.sessions |= other.sessions
        self.priced_sessions |= other.priced_sessions
        for mine, theirs in (
            (self.input_tokens, other.input_tokens),
            (self.output_tokens, other.output_tokens),
            (self.durations, other.durations),
            (self.per_token, other.per_token),
            (self.ttft, other.ttft),
            (self.costs, other.costs),
        ):
            mine.extend(theirs)
        self.priced_tokens += other.priced_tokens
        self.errors += other.errors
        for reason, count in other.unpriced.items():
            self.unpriced[reason] = self.unpriced.get(reason, 0) + count
        for kind, (flags, judged) in other.judgements.items():
            counts = self.judgements.setdefault(kind, [0, 0])
            counts[0] += flags
            counts[1] += judged
        self.votes[0] += other.votes[0]
        self.votes[1] += other.votes[1]

    def judge(self, kind: str, is_flagged: bool) -> None:
        """Count one response's latest judgement of ``kind``."""
        counts = self.judgements.setdefault(kind, [0, 0])
        counts[0] += is_flagged
        counts[1] += 1

    def vote(self, down: bool) -> None:
        """Count one vote on a response of the group."""
        self.votes[0] += down
        self.votes[1] += 1

    def figures(self, currency: str) -> dict[str, Any]:
        """The group's figures (see docs/metrics.md)."""
        tokens_in = np.asarray(self.input_tokens, dtype=float)
        tokens_out = np.asarray(self.output_tokens, dtype=float)
        durations = np.asarray(self.durations, dtype=float)
        ttft = np.asarray(self.ttft, dtype=float)
        costs = np.asarray(self.costs, dtype=float)
        total = float(costs.sum()) if costs.size else None
        responses = self.responses
        judged = self.judgements
        return {
            "responses": responses,
            "sessions": len(self.sessions),
            "errors": self.errors,
            "tokens_per_response": {
                "input": _mean(tokens_in),
                "output": _mean(tokens_out),
                "total": _mean(tokens_in) + _mean(tokens_out)  # type: ignore[operator]
                if tokens_in.size and tokens_out.size
                else None,
            },
            "cost": {
                "currency": currency,
                "total": total,
                "per_response": total / costs.size if total is not None else None,
                "per_session": total / len(self.priced_sessions) if total is not None else None,
                "per_1k_tokens": total / self.priced_tokens * 1000
                if total is not None and self.priced_tokens
                else None,
                "priced": int(costs.size),
                "unpriced": sum(self.unpriced.values()),
                "unpriced_models": dict(sorted(self.unpriced.items())),
            },
            "latency_ms": {
                "p50": _percentile(durations, 50),
                "p95": _percentile(durations, 95),
                "per_output_token": _percentile(np.asarray(self.per_token, dtype=float), 50),
                "measured": int(durations.size),
            },
            "ttft_ms": {
                "p50": _percentile(ttft, 50),
                "p95": _percentile(ttft, 95),
                "measured": int(ttft.size),
            },
            "refusal_rate": _flag_rate(judged.get("refusal")),
            "hallucination_rate": _flag_rate(judged.get("faithfulness")),
            "faithfulness_rate": _pass_rate(judged.get("faithfulness")),
            "safety_violation_rate": _flag_rate(judged.get("safety")),
            "instruction_following_rate": _pass_rate(judged.get("instruction_following")),
            "downvote_rate": {
                "value": rate(self.votes[0], self.votes[1]),
                "down": self.votes[0],
                "votes": self.votes[1],
            },
            "evaluations": {
                kind: _flag_rate(counts)
                for kind, counts in sorted(judged.items())
                if kind not in LLM_EVALUATIONS
            },
        }


def _flag_rate(counts: list[int] | None) -> dict[str, Any]:
    flagged_count, judged = counts or (0, 0)
    return {"value": rate(flagged_count, judged), "flagged": flagged_count, "evaluated": judged}


def _pass_rate(counts: list[int] | None) -> dict[str, Any]:
    flagged_count, judged = counts or (0, 0)
    return {
        "value": rate(judged - flagged_count, judged),
        "passed": judged - flagged_count,
        "evaluated": judged,
    }


def _same_service(judgement: Mapping[str, Any], service: str | None) -> bool:
    """A judgement or vote that names a service counts only for that service's responses."""
    named = judgement.get("service")
    return named is None or service is None or named == service


def llm_figures(
    responses: Iterable[Mapping[str, Any]],
    evaluations: Iterable[Mapping[str, Any]],
    votes: Iterable[Mapping[str, Any]],
    window: Window,
    prices: PriceTable,
    *,
    group_by: Sequence[str] = GROUP_KEYS,
) -> dict[str, Any]:
    """The LLM figures of the responses whose time lies in ``window``: one entry per group
    (the ``group_by`` fields of the responses), ``all`` over every response, and diagnostics
    (judgements and votes that name no response in the window, judgements assay cannot read).
    Evaluations and votes are those known at the window's end."""
    since, until = window.since.timestamp(), window.until.timestamp()
    groups: dict[tuple[str | None, ...], _Group] = {}
    unmatched = _Group(key=())  # the votes that name no response of the window
    owner: dict[str, tuple[_Group, str | None]] = {}  # response → its group and service
    price_of: dict[str, ModelPrice | None] = {}
    for response in responses:
        if not since <= epoch_of(response["time"]) < until:
            continue
        key = tuple(response.get(name) for name in group_by)
        group = groups.get(key)
        if group is None:
            group = groups[key] = _Group(key=key)
        model = response["model"]
        if model not in price_of:
            price_of[model] = prices.price_of(model)
        group.add(response, price_of[model])
        owner[response["response_id"]] = (group, response.get("service"))
    latest: dict[tuple[str, str], bool | None] = {}
    unmatched_evaluations = 0
    for evaluation in sorted(evaluations, key=lambda e: (e["time"], e["id"])):
        if epoch_of(evaluation["time"]) >= until:
            continue
        found = owner.get(evaluation["response_id"])
        if found is None or not _same_service(evaluation, found[1]):
            unmatched_evaluations += 1
            continue
        kind = str(evaluation["evaluation"]).lower()
        latest[(evaluation["response_id"], kind)] = flagged(evaluation)
    unreadable = 0
    for (response_id, kind), verdict in latest.items():
        if verdict is None:
            unreadable += 1
            continue
        owner[response_id][0].judge(kind, verdict)
    unmatched_votes = 0
    for vote in votes:
        if not since <= epoch_of(vote["time"]) < until:
            continue
        down = vote["vote"] == "down"
        found = owner.get(vote.get("response_id") or "")
        if found is None or not _same_service(vote, found[1]):
            unmatched_votes += 1
            unmatched.vote(down)
        else:
            found[0].vote(down)
    everything = _Group(key=())
    for group in (*groups.values(), unmatched):
        everything.absorb(group)
    return {
        "since": window.since.isoformat(),
        "until": window.until.isoformat(),
        "currency": prices.currency,
        "groups": [
            {**dict(zip(group_by, key, strict=True)), **group.figures(prices.currency)}
            for key, group in sorted(groups.items(), key=lambda item: [str(k) for k in item[0]])
        ],
        "all": everything.figures(prices.currency),
        "diagnostics": {
            "evaluations_without_response": unmatched_evaluations,
            "evaluations_unreadable": unreadable,
            "votes_without_response": unmatched_votes,
        },
    }
