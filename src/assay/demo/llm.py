"""The AI-first framework's closing example as data: an assistant whose answers lose
faithfulness while users vote them down, and a second assistant with a short burst of
down-votes that should page nobody. Deterministic for a seed."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

__all__ = [
    "FAITHFUL_SERVICE",
    "NOISY_SERVICE",
    "degrading_assistant",
    "noisy_assistant",
    "slo_file",
]

FAITHFUL_SERVICE = "support-bot"
NOISY_SERVICE = "search-bot"
STEP = timedelta(seconds=30)


def _time(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def degrading_assistant(
    now: datetime,
    *,
    model: str,
    version: str,
    llm: str = "gpt-4o-mini",
    prompt_hash: str = "prompt-7f3a",
    hours: float = 2.0,
    degraded_minutes: float = 30.0,
    seed: int = 7,
) -> list[dict[str, Any]]:
    """Responses of ``llm`` serving version ``version`` of the registered ``model`` (the
    assistant: prompt, retrieval and model together), one every 30 s for ``hours`` up to
    ``now``, each judged for faithfulness 10 s later and voted on 20 s later. During the last
    ``degraded_minutes`` half of the answers are unfaithful and 60% are voted down; before,
    1% and 5%."""
    chance = random.Random(seed)
    events: list[dict[str, Any]] = []
    start = now - timedelta(hours=hours)
    degraded_from = now - timedelta(minutes=degraded_minutes)
    moment = start
    index = 0
    while moment < now - timedelta(seconds=25):
        degraded = moment >= degraded_from
        response = f"{FAITHFUL_SERVICE}-r{index}"
        tokens_in, tokens_out = chance.randint(800, 1600), chance.randint(120, 400)
        events.append(
            {
                "type": "llm_response",
                "id": response,
                "source": "demo",
                "time": _time(moment),
                "response_id": response,
                "service": FAITHFUL_SERVICE,
                "environment": "production",
                "model": llm,
                "version": f"{model}@{version}",
                "prompt_hash": prompt_hash,
                "retrieval_config": "hybrid-top8",
                "retrieval_ids": [f"kb-{chance.randint(1, 400)}#{chance.randint(0, 9)}"],
                "conversation": f"chat-{index // 3}",
                "operation": "chat",
                "input_tokens": tokens_in,
                "output_tokens": tokens_out,
                "duration_ms": round(chance.uniform(600, 2400), 1),
                "ttft_ms": round(chance.uniform(150, 450), 1),
            }
        )
        # Fixed patterns rather than draws: every span of the stream shows the same rates.
        unfaithful = index % 2 == 0 if degraded else index % 100 == 0
        events.append(
            {
                "type": "evaluation",
                "id": f"{response}/faithfulness",
                "source": "demo",
                "time": _time(moment + timedelta(seconds=10)),
                "response_id": response,
                "evaluation": "faithfulness",
                "label": "unfaithful" if unfaithful else "faithful",
                "evaluator": "judge-llm",
            }
        )
        down = index % 5 < 3 if degraded else index % 20 == 0
        events.append(
            {
                "type": "feedback",
                "id": f"{response}/vote",
                "source": "demo",
                "time": _time(moment + timedelta(seconds=20)),
                "response_id": response,
                "vote": "down" if down else "up",
                "service": FAITHFUL_SERVICE,
            }
        )
        moment += STEP
        index += 1
    return events


def noisy_assistant(now: datetime, *, hours: float = 2.0) -> list[dict[str, Any]]:
    """Votes on another assistant every 30 s, 5% down, then a burst of down-votes in the last
    four minutes: the short span burns, the long one does not, so it must not page."""
    events = []
    moment = now - timedelta(hours=hours)
    burst_from = now - timedelta(minutes=4)
    index = 0
    while moment < now:
        down = moment >= burst_from or index % 20 == 0
        events.append(
            {
                "type": "feedback",
                "id": f"{NOISY_SERVICE}-v{index}",
                "source": "demo",
                "time": _time(moment),
                "vote": "down" if down else "up",
                "service": NOISY_SERVICE,
            }
        )
        moment += STEP
        index += 1
    return events


def slo_file(
    *,
    model: str,
    tracking_uri: str | None,
    spec: str | None,
    alertmanager: str | None = None,
    webhook: str | None = None,
    webhook_secret_env: str | None = None,
) -> dict[str, Any]:
    """The SLOs of both assistants, the correlation rule that makes a P1 of faithfulness
    falling while down-votes rise, and the actions of each class."""
    burn = [{"long": "30m", "short": "5m", "factor": 5}]
    slos = [
        {
            "name": "answer-faithfulness",
            "description": "Answers are faithful to the retrieved sources.",
            "indicator": "llm.faithfulness",
            "selector": {"service": FAITHFUL_SERVICE},
            "objective": 0.95,
            "window": "28d",
            "class": "P3",
            "burn_rates": burn,
        },
        {
            "name": "support-downvotes",
            "description": "Users rarely vote the assistant's answers down.",
            "indicator": "product.downvotes",
            "selector": {"service": FAITHFUL_SERVICE},
            "objective": 0.9,
            "window": "28d",
            "class": "P3",
            "burn_rates": burn,
        },
        {
            "name": "search-downvotes",
            "indicator": "product.downvotes",
            "selector": {"service": NOISY_SERVICE},
            "objective": 0.9,
            "window": "28d",
            "class": "P3",
            "burn_rates": burn,
        },
    ]
    actions: list[dict[str, Any]] = [
        {"name": "review", "type": "review"},
    ]
    p1 = ["review"]
    p3: list[str] = []
    if tracking_uri is not None:
        rollback: dict[str, Any] = {
            "name": "rollback",
            "type": "mlflow_rollback",
            "model": model,
            "alias": "champion",
            "tracking_uri": tracking_uri,
        }
        if spec is not None:
            rollback["spec"] = spec
        actions.append(rollback)
        p1.insert(0, "rollback")
    if alertmanager is not None:
        actions.append({"name": "page", "type": "alertmanager", "url": alertmanager})
        p1.append("page")
    if webhook is not None:
        hook: dict[str, Any] = {"name": "notify", "type": "webhook", "url": webhook}
        if webhook_secret_env:
            hook["secret_env"] = webhook_secret_env
        actions.append(hook)
        p3.append("notify")
    return {
        "slos": slos,
        "correlations": [
            {
                "name": "faithfulness-with-downvotes",
                "description": "Faithfulness falls while users vote answers down.",
                "signals": ["answer-faithfulness", "support-downvotes"],
                "within": "30m",
                "class": "P1",
            }
        ],
        "actions": actions,
        "routes": {"P1": p1, "P3": p3},
        "retry": {"attempts": 5, "backoff": "1s", "max_backoff": "30s"},
    }
