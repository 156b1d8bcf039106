"""Loading what extends assay: the built-in collectors, then the plugins that installed
packages declare through entry points (``assay.data_types``, ``assay.comparisons``,
``assay.collectors``)."""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points
from typing import Any

from assay.audit.comparisons import COMPARISONS, Comparison
from assay.audit.datatypes import DATA_TYPES, DataType
from assay.collectors.base import COLLECTORS, Collector, Parameters
from assay.collectors.builtin import register_builtin_collectors
from assay.errors import ConfigurationError

__all__ = ["load_plugins"]

GROUPS = ("assay.data_types", "assay.comparisons", "assay.collectors")


@cache
def load_plugins() -> tuple[str, ...]:
    """Register the built-in collectors and every plugin, once per process; returns the names
    of the entry points loaded. A plugin that fails to load or offers the wrong kind of object
    is a :class:`~assay.errors.ConfigurationError` naming it."""
    register_builtin_collectors()
    loaded = []
    for group in GROUPS:
        for point in entry_points(group=group):
            where = f"plugin {point.name!r} ({point.value}, entry point group {group})"
            try:
                item = point.load()
                _register(group, item() if isinstance(item, type) else item)
            except Exception as error:  # a plugin's own failure, whatever it is
                raise ConfigurationError(
                    f"cannot load it: {type(error).__name__}: {error}",
                    source=where,
                    expected="a DataType, a Comparison or a collector as its entry point",
                ) from error
            loaded.append(f"{group}:{point.name}")
    return tuple(loaded)


def _register(group: str, item: Any) -> None:
    if group == "assay.data_types":
        if not isinstance(item, DataType):
            raise TypeError(f"{item!r} is not an assay.plugin.DataType")
        DATA_TYPES.register(item.name, item)
    elif group == "assay.comparisons":
        if not isinstance(item, Comparison):
            raise TypeError(f"{item!r} is not an assay.plugin.Comparison")
        COMPARISONS.register(item.name, item)
    else:
        COLLECTORS.register(checked_collector(item).kind, item)


def checked_collector(item: Any) -> Collector:
    """``item`` when it satisfies :class:`assay.plugin.Collector`: a text ``kind``, a
    ``parameters`` model derived from :class:`assay.plugin.Parameters`, and callable
    ``collect`` and ``describe``; TypeError saying what is missing otherwise."""
    if not isinstance(item, Collector):
        missing = [n for n in ("kind", "parameters", "collect", "describe") if not hasattr(item, n)]
        raise TypeError(f"{item!r} has no {', '.join(missing)}: not an assay.plugin.Collector")
    if not isinstance(item.kind, str) or not item.kind:
        raise TypeError(f"{item!r}.kind is {item.kind!r}, not a name such as 'constant'")
    if not (isinstance(item.parameters, type) and issubclass(item.parameters, Parameters)):
        raise TypeError(f"{item!r}.parameters is not a subclass of assay.plugin.Parameters")
    for method in ("collect", "describe"):
        if not callable(getattr(item, method)):
            raise TypeError(f"{item!r}.{method} is not callable")
    return item
