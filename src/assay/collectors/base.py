"""What every collector shares: the registry, the short forms and parameter checking.

An assessment interface is written either as a mapping with a ``kind`` (``{kind: file, path:
metrics.json, select: holdout.accuracy}``) or as a short form (``file:metrics.json#holdout
.accuracy``, ``command:python eval.py``, ``https://host/path#json.path``, ``sql:SELECT …``).
Each collector declares its parameters as a pydantic model, so a spec with a bad interface is
refused when it is loaded.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict, ValidationError

from assay.audit.registry import Registry

__all__ = [
    "COLLECTORS",
    "CollectContext",
    "CollectionError",
    "Collector",
    "Parameters",
    "Traced",
    "expand_secrets",
    "interface_problem",
    "parse_interface",
]

_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class CollectionError(Exception):
    """A value could not be collected; the message says why and never holds a secret."""


@dataclass(frozen=True)
class Traced:
    """A collected value with what makes it traceable (input hashes, row counts, parameters),
    which the run keeps in the evidence ledger beside the value."""

    value: Any
    metadata: Mapping[str, Any]


class Parameters(BaseModel):
    """Base of every collector's parameters: unknown keys are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class CollectContext:
    """Where a run collects: the spec's directory (relative paths start there), the
    environment that ``${VAR}`` references and URL variables are read from, and the target the
    run evaluates (``NAME@VERSION`` tells the mlflow collector which model version)."""

    base_dir: Path
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    target: str | None = None


class Collector(Protocol):
    """Fetches values for one kind of assessment interface."""

    kind: ClassVar[str]
    parameters: ClassVar[type[Parameters]]

    def collect(self, parameters: Any, context: CollectContext) -> Any:
        """The value, or :class:`CollectionError` with the reason."""
        ...

    def describe(self, parameters: Any) -> str:
        """Where the value comes from, for reports; no secret expanded."""
        ...


COLLECTORS: Registry[Collector] = Registry("collector")

# Short forms: "KIND:REST" for these kinds; URLs stand for themselves.
_SHORT_FORMS: dict[str, Callable[[str], dict[str, Any]]] = {
    "file": lambda rest: _with_selector({"kind": "file", "path": rest}, "path"),
    "command": lambda rest: {"kind": "command", "argv": shlex.split(rest)},
    "sql": lambda rest: {"kind": "sql", "query": rest},
}


def _with_selector(interface: dict[str, Any], key: str) -> dict[str, Any]:
    value, hash_mark, selector = str(interface[key]).partition("#")
    interface[key] = value
    if hash_mark and selector:
        interface["select"] = selector
    return interface


def parse_interface(raw: str | Mapping[str, Any]) -> tuple[Collector, Parameters]:
    """The collector and checked parameters of an interface in either form; ``ValueError``
    saying what is wrong otherwise."""
    interface = _short_form(raw) if isinstance(raw, str) else dict(raw)
    kind = interface.pop("kind", None)
    if not isinstance(kind, str):
        raise ValueError("an assessment interface needs a kind (file, command, http, sql, …)")
    collector = COLLECTORS.get(kind)
    if collector is None:
        raise ValueError(f"unknown collector kind {kind!r} (known: {', '.join(COLLECTORS)})")
    try:
        return collector, collector.parameters.model_validate(interface)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        detail = f"{where}: {first['msg']}" if where else first["msg"]
        raise ValueError(f"{kind} interface: {detail}") from None


def _short_form(text: str) -> dict[str, Any]:
    text = text.strip()
    if text.startswith(("http://", "https://")):
        return _with_selector({"kind": "http", "url": text}, "url")
    kind, colon, rest = text.partition(":")
    if colon and kind in _SHORT_FORMS and rest.strip():
        return _SHORT_FORMS[kind](rest.strip())
    raise ValueError(
        f"{text!r} is not an assessment interface; expected file:PATH[#SELECTOR], "
        "command:ARGS, http(s)://URL[#SELECTOR], sql:QUERY or a mapping with a kind"
    )


def interface_problem(raw: str | Mapping[str, Any]) -> str | None:
    """Why ``raw`` is not a usable interface, or None when it is."""
    try:
        parse_interface(raw)
    except ValueError as error:
        return str(error)
    return None


def expand_secrets(text: str, environ: Mapping[str, str]) -> str:
    """``text`` with each ``${VAR}`` replaced by the environment's value; a missing variable is
    a :class:`CollectionError` naming it (never its value)."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in environ:
            raise CollectionError(f"the environment variable {name} is not set")
        return environ[name]

    return _ENV_REFERENCE.sub(value, text)
