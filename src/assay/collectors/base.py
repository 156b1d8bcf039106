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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, ValidationError

from assay.audit.registry import Registry
from assay.collectors.confinement import Confinement, ConfinementError

__all__ = [
    "COLLECTORS",
    "CollectContext",
    "CollectionError",
    "Collector",
    "Parameters",
    "Traced",
    "confinement_problem",
    "expand_secrets",
    "interface_problem",
    "parse_interface",
    "referenced_variables",
    "unreadable_reference",
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
    environment that ``${VAR}`` references and URL variables are read from, the target the
    run evaluates (``NAME@VERSION`` tells the mlflow collector which model version), for a
    spec uploaded to the server its :class:`Confinement`, and the store the run is recorded
    in."""

    base_dir: Path
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    target: str | None = None
    confinement: Confinement | None = None
    # The store the run is recorded in (its events feed the ``metrics`` collector).
    store: Any = None

    def confined(self, problem: str | None) -> None:
        """Raise :class:`CollectionError` with ``problem`` when there is one."""
        if problem is not None:
            raise CollectionError(problem)

    def resolve(self, written: str) -> Path:
        """The path of a file a spec names: relative to the spec directory, and for a
        confined spec checked to lie inside it (:class:`CollectionError` otherwise)."""
        if self.confinement is None:
            return self.base_dir / Path(written).expanduser()
        try:
            return self.confinement.resolve(written)
        except ConfinementError as error:
            raise CollectionError(str(error)) from None


@runtime_checkable
class Collector(Protocol):
    """Fetches values for one kind of assessment interface.

    A collector that may run for specs uploaded to the server also has
    ``confinement_problem(parameters, confinement, environ) -> str | None`` saying why the
    server refuses its parameters (``environ`` is what ``${VAR}`` may read there), and checks
    ``context.confinement`` when it collects; one without it is refused in uploaded specs.
    """

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
    "junit": lambda rest: _with_selector({"kind": "junit", "path": rest}, "path"),
    "evidently": lambda rest: _evidently(rest),
    "mlflow_evaluation": lambda rest: _keyed("mlflow_evaluation", rest, "path", "metric"),
    "great_expectations": lambda rest: _with_selector(
        {"kind": "great_expectations", "path": rest}, "path"
    ),
    "prometheus": lambda rest: _keyed("prometheus", rest, "url", "query"),
    "giskard": lambda rest: _giskard(rest),
}


def _giskard(rest: str) -> dict[str, Any]:
    """``giskard:PATH[#DETECTOR[/SEVERITY]]``."""
    path, _, which = rest.partition("#")
    detector, _, severity = which.partition("/")
    interface: dict[str, Any] = {"kind": "giskard", "path": path}
    if detector:
        interface["detector"] = detector
    if severity:
        interface["severity"] = severity
    return interface


def _keyed(kind: str, rest: str, before: str, after: str) -> dict[str, Any]:
    """``KIND:BEFORE#AFTER`` (both needed)."""
    first, hash_mark, second = rest.partition("#")
    if not hash_mark or not first or not second:
        raise ValueError(f"{kind}:{rest} needs both parts: {kind}:{before.upper()}#{after.upper()}")
    return {"kind": kind, before: first, after: second}


def _evidently(rest: str) -> dict[str, Any]:
    """``evidently:PATH#METRIC[/COLUMN[/SELECT]]``."""
    interface = _keyed("evidently", rest, "path", "metric")
    metric, *more = str(interface["metric"]).split("/")
    interface["metric"] = metric
    if more and more[0]:
        interface["column"] = more[0]
    if len(more) > 1 and more[1]:
        interface["select"] = "/".join(more[1:])
    return interface


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
        "command:ARGS, http(s)://URL[#SELECTOR], sql:QUERY, junit:PATH#WHAT, "
        "evidently:PATH#METRIC, great_expectations:PATH#WHAT, mlflow_evaluation:DIR#METRIC, "
        "prometheus:URL#QUERY, giskard:PATH[#DETECTOR/SEVERITY] or a mapping with a kind"
    )


def interface_problem(raw: str | Mapping[str, Any]) -> str | None:
    """Why ``raw`` is not a usable interface, or None when it is."""
    try:
        parse_interface(raw)
    except ValueError as error:
        return str(error)
    return None


def confinement_problem(
    raw: str | Mapping[str, Any], confinement: Confinement, environ: Mapping[str, str]
) -> str | None:
    """Why a confined server refuses the interface ``raw`` (see
    :mod:`assay.collectors.confinement`), or None; an interface that does not parse is
    :func:`interface_problem`'s to report."""
    try:
        collector, parameters = parse_interface(raw)
    except ValueError:
        return None
    check = getattr(collector, "confinement_problem", None)
    if check is None:
        return (
            f"the {collector.kind} collector cannot be confined, so uploaded specs may not use it"
        )
    problem: str | None = check(parameters, confinement, environ)
    return problem


def referenced_variables(text: str) -> list[str]:
    """The names of the ``${VAR}`` references in ``text``."""
    return _ENV_REFERENCE.findall(text)


def unreadable_reference(texts: Iterable[str], environ: Mapping[str, str]) -> str | None:
    """Why the ``${VAR}`` references in ``texts`` are refused in an uploaded spec (a variable
    that ``environ``, what such a spec may read, does not hold), or None."""
    for text in texts:
        for name in referenced_variables(text):
            if name not in environ:
                return (
                    f"${{{name}}} is not readable by uploaded specs (see allow.variables in the"
                    " server configuration)"
                )
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
