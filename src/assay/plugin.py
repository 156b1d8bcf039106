"""What a plugin of assay imports: the one module whose names stay stable across releases.

A plugin is an installed package that declares entry points in three groups:

- ``assay.data_types``: a :class:`DataType` (how values of a kind are read and compared);
- ``assay.comparisons``: a :class:`Comparison` (how a value is judged against a target);
- ``assay.collectors``: a class (or an instance) satisfying :class:`Collector` — ``kind``,
  ``parameters`` (a subclass of :class:`Parameters`), ``collect`` and ``describe``; one that may
  run for specs uploaded to the server also has ``confinement_problem`` and checks
  ``context.confinement`` (:class:`Confinement`) when it collects.

Each is checked against these types when assay loads it; one that does not satisfy them is
refused with a message naming the plugin. ``docs/plugins.md`` describes each name; a test keeps
that page and ``__all__`` in agreement. Anything imported from deeper modules may change without
notice.
"""

from __future__ import annotations

from assay.audit.comparisons import Comparison, TargetError, TargetShape
from assay.audit.datatypes import EQUALITY, ORDER, TEXT, DataType, ValueMismatchError
from assay.collectors.base import CollectContext, CollectionError, Collector, Parameters, Traced
from assay.collectors.confinement import Confinement

__all__ = [
    "EQUALITY",
    "ORDER",
    "TEXT",
    "CollectContext",
    "CollectionError",
    "Collector",
    "Comparison",
    "Confinement",
    "DataType",
    "Parameters",
    "TargetError",
    "TargetShape",
    "Traced",
    "ValueMismatchError",
]
