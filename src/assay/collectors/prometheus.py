"""``prometheus``: a figure from Prometheus, by a PromQL instant query through its HTTP API
(``GET /api/v1/query``), so production latency, error rates and drift gauges become evidence.

``url`` is the server's base URL (``${VAR}`` allowed; on a server only the hosts of
``allow.hosts``), ``query`` the PromQL expression, ``time`` an optional evaluation time (RFC
3339 or Unix seconds; default: now), ``headers`` e.g. a bearer token from ``${VAR}``. The value
is the result's number: a scalar, or a vector of exactly one sample. An empty vector, several
series, a range (matrix) result, or a sample that is NaN are errors saying which.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import Field

from assay.collectors.base import (
    CollectContext,
    CollectionError,
    Parameters,
    expand_secrets,
    unreadable_reference,
)
from assay.collectors.confinement import Confinement

__all__ = ["PrometheusCollector", "PrometheusParameters", "instant_value"]


class PrometheusParameters(Parameters):
    """See the module docstring."""

    url: str = Field(pattern=r"^(https?://|\$\{)")
    query: str = Field(min_length=1)
    time: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    timeout: float = Field(default=10.0, gt=0)


def _series(sample: Mapping[str, Any]) -> str:
    labels = sample.get("metric") or {}
    name = labels.get("__name__", "")
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()) if k != "__name__")
    return f"{name}{{{inner}}}"


def _number(raw: Any, what: str) -> float:
    try:
        value = float(raw[1])
    except (TypeError, ValueError, IndexError):
        raise CollectionError(f"{what}: the sample {raw!r} is not [time, number]") from None
    if math.isnan(value):
        raise CollectionError(f"{what}: the value is NaN (no data in the window?)")
    return value


def instant_value(body: Any, what: str) -> float:
    """The number of an instant query's answer (see the module docstring)."""
    if not isinstance(body, Mapping) or body.get("status") != "success":
        error = body.get("error") if isinstance(body, Mapping) else None
        raise CollectionError(f"{what}: Prometheus answered an error: {error or body!r}")
    data = body.get("data") or {}
    kind, result = data.get("resultType"), data.get("result")
    if kind == "scalar":
        return _number(result, what)
    if kind != "vector":
        raise CollectionError(
            f"{what}: the result is a {kind}, expected a scalar or a one-sample vector (use an "
            "instant selector or an aggregation)"
        )
    if not result:
        raise CollectionError(f"{what}: the query returned no series")
    if len(result) > 1:
        shown = ", ".join(_series(sample) for sample in result[:5])
        more = f" and {len(result) - 5} more" if len(result) > 5 else ""
        raise CollectionError(
            f"{what}: the query returned {len(result)} series ({shown}{more}); aggregate them "
            "(sum, avg, max by …) or select one"
        )
    return _number(result[0].get("value"), what)


class PrometheusCollector:
    """Runs an instant query against a Prometheus server."""

    kind: ClassVar[str] = "prometheus"
    parameters: ClassVar[type[Parameters]] = PrometheusParameters

    def collect(self, parameters: PrometheusParameters, context: CollectContext) -> Any:
        """The query's single number."""
        what = self.describe(parameters)
        confinement = context.confinement
        if confinement is not None:
            context.confined(self.confinement_problem(parameters, confinement, context.environ))
        base = expand_secrets(parameters.url, context.environ).rstrip("/")
        headers = {k: expand_secrets(v, context.environ) for k, v in parameters.headers.items()}
        query = {"query": parameters.query}
        if parameters.time is not None:
            query["time"] = parameters.time
        import httpx  # loaded on first use: its import is a tenth of every command's start

        try:
            # Redirects are not followed: a confined spec reaches only the host it names.
            response = httpx.get(
                f"{base}/api/v1/query", params=query, headers=headers, timeout=parameters.timeout
            )
        except httpx.TimeoutException:
            raise CollectionError(f"{what} timed out after {parameters.timeout:g} s") from None
        except httpx.HTTPError as error:
            raise CollectionError(f"{what}: could not connect ({type(error).__name__})") from None
        try:
            body = response.json()
        except ValueError:
            raise CollectionError(
                f"{what} answered {response.status_code} without JSON (is it Prometheus?)"
            ) from None
        return instant_value(body, what)

    def confinement_problem(
        self,
        parameters: PrometheusParameters,
        confinement: Confinement,
        environ: Mapping[str, str],
    ) -> str | None:
        """A host the administrator did not allow, or a variable the spec may not read."""
        problem = unreadable_reference([parameters.url, *parameters.headers.values()], environ)
        if problem is not None:
            return problem
        return confinement.host_problem(expand_secrets(parameters.url, environ))

    def describe(self, parameters: PrometheusParameters) -> str:
        """``prometheus URL QUERY`` as written."""
        return f"prometheus {parameters.url} {parameters.query}"
