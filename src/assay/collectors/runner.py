"""Collecting many interfaces at once: in parallel up to a bound, each distinct interface
fetched once per run however many measurements share it."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from assay.collectors.base import CollectContext, CollectionError, Traced, parse_interface

__all__ = ["DEFAULT_WORKERS", "Fetched", "collect_all", "describe_in"]

DEFAULT_WORKERS = 8


@dataclass(frozen=True)
class Fetched:
    """What one interface gave: a value, or the reason there is none; where it came from and
    when it was fetched (UTC, ISO 8601)."""

    kind: str
    source: str
    value: Any = None
    error: str | None = None
    started: str = ""
    finished: str = ""
    metadata: Mapping[str, Any] | None = None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def describe_in(collector: Any, parameters: Any, context: CollectContext) -> str:
    """Where a value comes from, as read in ``context``: a collector whose source depends on
    the target (an MLflow version taken from ``NAME@VERSION``) offers ``describe_in``; the
    others are described by their parameters alone."""
    describe = getattr(collector, "describe_in", None)
    if describe is not None:
        return str(describe(parameters, context))
    return str(collector.describe(parameters))


def collect_all(
    interfaces: Mapping[str, str | Mapping[str, Any]],
    context: CollectContext,
    *,
    workers: int = DEFAULT_WORKERS,
    on_fetched: Callable[[Fetched, int], None] | None = None,
) -> dict[str, Fetched]:
    """Fetch the interface of every key (keys are the caller's, e.g. measurement ids). Equal
    interfaces are fetched once and their result shared; at most ``workers`` fetch at a time.
    A failing collector gives a :class:`Fetched` with ``error``; nothing here raises for it.
    ``on_fetched(fetched, total)`` is called once per distinct interface as it completes,
    with the number of distinct interfaces of the run."""
    distinct: dict[str, list[str]] = {}
    prepared: dict[str, tuple[Any, Any]] = {}
    for key, raw in interfaces.items():
        collector, parameters = parse_interface(raw)
        identity = json.dumps(
            [collector.kind, parameters.model_dump(mode="json", by_alias=True)], sort_keys=True
        )
        distinct.setdefault(identity, []).append(key)
        prepared[identity] = (collector, parameters)

    def fetch(identity: str) -> Fetched:
        collector, parameters = prepared[identity]
        source = describe_in(collector, parameters, context)
        started = _now()
        try:
            value = collector.collect(parameters, context)
        except CollectionError as error:
            result = Fetched(collector.kind, source, error=str(error), started=started)
        except Exception as error:  # a collector's bug must not end the run; say what it was
            reason = f"the {collector.kind} collector failed: {type(error).__name__}: {error}"
            result = Fetched(collector.kind, source, error=reason, started=started)
        else:
            metadata = None
            if isinstance(value, Traced):
                value, metadata = value.value, value.metadata
            result = Fetched(collector.kind, source, value, started=started, metadata=metadata)
        result = replace(result, finished=_now())
        if on_fetched is not None:
            on_fetched(result, len(distinct))
        return result

    results: dict[str, Fetched] = {}
    if not distinct:
        return results
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(distinct)))) as pool:
        for identity, fetched in zip(distinct, pool.map(fetch, distinct), strict=True):
            for key in distinct[identity]:
                results[key] = fetched
    return results
