"""``http``: a value from a REST endpoint, with retries, backoff and secrets from the
environment."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Literal

from pydantic import Field

from assay.collectors.base import (
    CollectContext,
    CollectionError,
    Parameters,
    expand_secrets,
    unreadable_reference,
)
from assay.collectors.confinement import Confinement
from assay.collectors.values import Selector, decode, select

__all__ = ["HttpCollector", "HttpParameters"]


class HttpParameters(Parameters):
    """``url``; ``method`` GET or POST with an optional ``json`` body; ``headers`` whose values
    may hold ``${VAR}`` secrets; ``timeout`` seconds per attempt; ``retries`` after the first
    attempt on a timeout, a connection error or a 5xx answer, waiting ``backoff`` seconds,
    doubled each time; ``select`` a JMESPath on the JSON body."""

    url: str = Field(pattern=r"^https?://")
    method: Literal["GET", "POST"] = "GET"
    headers: dict[str, str] = Field(default_factory=dict)
    json_body: Any = Field(default=None, alias="json")
    timeout: float = Field(default=10.0, gt=0)
    retries: int = Field(default=2, ge=0, le=10)
    backoff: float = Field(default=0.5, ge=0)
    select: Selector | None = None


class HttpCollector:
    """Fetches a JSON (or plain text) answer over HTTP."""

    kind: ClassVar[str] = "http"
    parameters: ClassVar[type[Parameters]] = HttpParameters

    def collect(self, parameters: HttpParameters, context: CollectContext) -> Any:
        """The body, decoded and selected. 4xx fails at once; 5xx, timeouts and connection
        errors are retried; messages show the URL as written, never an expanded secret."""
        what = self.describe(parameters)
        confinement = context.confinement
        if confinement is not None:
            context.confined(self.confinement_problem(parameters, confinement, context.environ))
        url = expand_secrets(parameters.url, context.environ)
        headers = {k: expand_secrets(v, context.environ) for k, v in parameters.headers.items()}
        attempts = parameters.retries + 1
        problem = ""
        import httpx  # loaded on first use: its import is a tenth of every command's start

        hooks: dict[str, list[Callable[[httpx.Request], None]]] = {}
        if confinement is not None:

            def allowed(request: httpx.Request) -> None:
                """Every request of a confined spec, redirects included, goes to an allowed
                host."""
                refused = confinement.host_problem(str(request.url))
                if refused is not None:
                    raise CollectionError(f"{what}: {refused}")

            hooks["request"] = [allowed]
        with httpx.Client(
            timeout=parameters.timeout, follow_redirects=True, event_hooks=hooks
        ) as client:
            for attempt in range(attempts):
                if attempt:
                    time.sleep(parameters.backoff * 2 ** (attempt - 1))
                try:
                    response = client.request(
                        parameters.method, url, headers=headers, json=parameters.json_body
                    )
                except httpx.TimeoutException:
                    problem = f"timed out after {parameters.timeout:g} s"
                    continue
                except httpx.TransportError as error:
                    problem = f"could not connect ({type(error).__name__})"
                    continue
                if response.status_code >= 500:
                    problem = f"answered {response.status_code} {response.reason_phrase}"
                    continue
                if response.status_code >= 400:
                    raise CollectionError(
                        f"{what} answered {response.status_code} {response.reason_phrase}"
                    )
                body = decode(response.text, "auto", what)
                return select(body, parameters.select, what)
        tries = f"{attempts} attempt{'s' if attempts > 1 else ''}"
        raise CollectionError(f"{what} {problem} ({tries})")

    def confinement_problem(
        self, parameters: HttpParameters, confinement: Confinement, environ: Mapping[str, str]
    ) -> str | None:
        """A host the administrator did not allow, or a variable the spec may not read."""
        problem = unreadable_reference([parameters.url, *parameters.headers.values()], environ)
        if problem is not None:
            return problem
        return confinement.host_problem(expand_secrets(parameters.url, environ))

    def describe(self, parameters: HttpParameters) -> str:
        """``METHOD URL#SELECTOR`` as written."""
        selector = f"#{parameters.select}" if parameters.select else ""
        return f"{parameters.method} {parameters.url}{selector}"
