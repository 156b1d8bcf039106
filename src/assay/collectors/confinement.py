"""What a specification uploaded to the server may make the server do (docs/server.md, "Threat
model").

A spec written by an auditee runs on the server, with the server's files, network and secrets
within reach. Its collectors are therefore *confined*:

- files (``file``, ``probe``) are read only inside the server's spec directory: no absolute
  paths, no ``~``, no ``..``, no symbolic link that leads out, never ``/proc``, ``/sys`` or
  ``/dev``, and never the server's own database or signing key;
- ``sql`` reaches only the databases whose URL the administrator put in an environment variable
  named in ``allow.databases`` (``url_env``); a URL written in the spec is refused;
- ``command`` runs only programs whose leading arguments match an entry of
  ``allow.commands``, without a shell, in the spec directory;
- ``http`` and ``mlflow`` reach only the hosts of ``allow.hosts`` (redirects included); the
  ``mlflow`` collector may also use the server's own ``MLFLOW_TRACKING_URI``;
- ``${VAR}`` reads only the variables of ``allow.variables``; nothing else of the server's
  environment reaches a spec, a command or a message;
- ``probe`` loads a pickled model (which runs code) only with ``allow.models: true``.

The command line keeps its full power for local specs: there, nothing is confined. Refusals are
found when a spec is uploaded (422 naming the element) and again when it runs (an ``error``
outcome naming the reason), since a stored spec may predate the server's configuration.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from assay.errors import ConfigurationError
from assay.files.documents import LoadedDocument, load_document

__all__ = [
    "Allowances",
    "Confinement",
    "ConfinementError",
    "load_allowances",
]

# Always readable by confined collectors: what programs need to start, and the server's MLflow.
BASE_VARIABLES = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "MLFLOW_TRACKING_URI")
_SYSTEM_TREES = (Path("/proc"), Path("/sys"), Path("/dev"))


class ConfinementError(Exception):
    """A confined collector may not do what the interface asks; the message says why."""


@dataclass(frozen=True)
class Allowances:
    """What the server's administrator allows uploaded specs (see the module)."""

    hosts: tuple[str, ...] = ()
    databases: tuple[str, ...] = ()
    commands: tuple[tuple[str, ...], ...] = ()
    variables: tuple[str, ...] = ()
    models: bool = False

    def to_dict(self) -> dict[str, Any]:
        """As JSON (how worker processes receive it)."""
        return {
            "hosts": list(self.hosts),
            "databases": list(self.databases),
            "commands": [list(command) for command in self.commands],
            "variables": list(self.variables),
            "models": self.models,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Allowances:
        """From :meth:`to_dict`'s JSON."""
        return cls(
            tuple(data.get("hosts", ())),
            tuple(data.get("databases", ())),
            tuple(tuple(command) for command in data.get("commands", ())),
            tuple(data.get("variables", ())),
            bool(data.get("models", False)),
        )


_KEYS = {"hosts", "databases", "commands", "variables", "models"}


def load_allowances(path: Path) -> Allowances:
    """Read the ``allow:`` section of a server configuration file; :class:`ConfigurationError`
    naming the file and key for anything else."""
    document = load_document(path)
    data = document.data
    if not isinstance(data, dict) or set(data) - {"allow"}:
        raise ConfigurationError(
            "a server configuration has one section, allow",
            source=str(path),
            expected="allow: {hosts: [...], databases: [...], commands: [[...]], variables: "
            "[...], models: false}",
        )
    allow = data.get("allow") or {}
    if not isinstance(allow, dict):
        raise ConfigurationError("allow is not a mapping", source=str(path), location="allow")
    unknown = sorted(set(allow) - _KEYS)
    if unknown:
        raise _bad(
            document, ("allow", unknown[0]), f"unknown key (known: {', '.join(sorted(_KEYS))})"
        )
    for key in ("hosts", "databases", "variables"):
        items = allow.get(key, [])
        if not isinstance(items, list) or not all(isinstance(i, str) and i for i in items):
            raise _bad(document, ("allow", key), "expected a list of names")
    commands = allow.get("commands", [])
    if not isinstance(commands, list) or not all(
        isinstance(c, list) and c and all(isinstance(a, str) and a for a in c) for c in commands
    ):
        raise _bad(document, ("allow", "commands"), "expected a list of argument lists")
    if not isinstance(allow.get("models", False), bool):
        raise _bad(document, ("allow", "models"), "expected true or false")
    return Allowances.from_dict(allow)


def _bad(document: LoadedDocument, path: tuple[str, ...], problem: str) -> ConfigurationError:
    line = document.line_of(path)
    return ConfigurationError(
        problem,
        source=document.source,
        location=f"line {line}: {'.'.join(path)}" if line else ".".join(path),
    )


@dataclass(frozen=True)
class Confinement:
    """The limits of one server: its spec directory, the files it never serves (its own
    database), and the administrator's :class:`Allowances`."""

    root: Path
    allow: Allowances = field(default_factory=Allowances)
    forbidden: tuple[Path, ...] = ()

    def environment(self, environ: Mapping[str, str]) -> dict[str, str]:
        """The part of the server's environment a confined spec may read."""
        names = (*BASE_VARIABLES, *self.allow.variables)
        return {name: environ[name] for name in names if name in environ}

    # --- files ---------------------------------------------------------------------------

    def path_problem(self, written: str) -> str | None:
        """Why a path written in a spec is refused before anything is read, or None."""
        if written.startswith("~"):
            return f"{written!r} starts with ~; paths are relative to the spec directory"
        pure = PurePosixPath(written)
        if pure.is_absolute() or Path(written).is_absolute():
            return f"{written!r} is absolute; paths are relative to the spec directory"
        if ".." in pure.parts or ".." in Path(written).parts:
            return f"{written!r} steps out with ..; paths stay inside the spec directory"
        return None

    def resolve(self, written: str) -> Path:
        """The real path of a spec's file, checked to lie inside the spec directory (after
        following symbolic links); :class:`ConfinementError` otherwise."""
        problem = self.path_problem(written)
        if problem:
            raise ConfinementError(problem)
        root = Path(os.path.realpath(self.root))
        real = Path(os.path.realpath(root / written))
        if real != root and root not in real.parents:
            raise ConfinementError(f"{written!r} leads outside the spec directory")
        if any(real == tree or tree in real.parents for tree in _SYSTEM_TREES):
            raise ConfinementError(f"{written!r} leads into a system directory")
        for guarded in self.forbidden:
            guarded_real = Path(os.path.realpath(guarded))
            if real == guarded_real or (
                real.name.startswith(guarded_real.name + "-")
                and (real.parent == guarded_real.parent)
            ):
                raise ConfinementError(
                    f"{written!r} is one of the server's own files (its database or signing key)"
                )
        return real

    # --- databases, commands, hosts --------------------------------------------------------

    def database_problem(self, url: str | None, url_env: str) -> str | None:
        """Why an ``sql`` interface is refused, or None."""
        if url is not None:
            return "a database URL in an uploaded spec is refused: name an allowed url_env"
        if url_env not in self.allow.databases:
            allowed = ", ".join(self.allow.databases) or "none"
            return (
                f"the server does not allow queries on ${url_env} (allowed databases: {allowed};"
                " see allow.databases in the server configuration)"
            )
        return None

    def command_problem(self, argv: Sequence[str] | str, shell: bool) -> str | None:
        """Why a ``command`` interface is refused, or None."""
        if shell or isinstance(argv, str):
            return "a shell command in an uploaded spec is refused: give argv as a list"
        for allowed in self.allow.commands:
            if tuple(argv[: len(allowed)]) == allowed:
                return None
        return (
            f"the server does not allow running {argv[0]!r} (see allow.commands in the server"
            " configuration)"
        )

    def host_problem(self, url: str) -> str | None:
        """Why a URL an uploaded spec asks for is refused, or None: only http(s) to a host of
        ``allow.hosts`` (``host`` or ``host:port``)."""
        import httpx

        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError, ValueError):
            return f"{url!r} is not a URL"
        if parsed.scheme not in ("http", "https"):
            return f"{parsed.scheme!r} URLs are refused; only http and https to allowed hosts"
        host = parsed.host
        port = parsed.port
        if host in self.allow.hosts or (port is not None and f"{host}:{port}" in self.allow.hosts):
            return None
        allowed = ", ".join(self.allow.hosts) or "none"
        return (
            f"the server does not allow requests to {host!r} (allowed hosts: {allowed}; see "
            "allow.hosts in the server configuration)"
        )

    def model_problem(self) -> str | None:
        """Why loading a pickled model is refused, or None."""
        if self.allow.models:
            return None
        return (
            "loading a pickled model runs code: refused for uploaded specs unless the server "
            "allows it (allow.models)"
        )
