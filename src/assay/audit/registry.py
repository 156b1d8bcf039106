"""Named registries that built-ins fill at import and plugins extend (see
:mod:`assay.integrations.plugins`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Generic, TypeVar

__all__ = ["Registry", "snake_case"]

T = TypeVar("T")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@lru_cache(maxsize=4096)  # looked up for every element of every evaluation
def snake_case(name: str) -> str:
    """``LessThan`` → ``less_than``; ``in-range`` → ``in_range``; snake case stays as it is."""
    return _CAMEL_BOUNDARY.sub("_", name.strip()).replace("-", "_").lower()


class Registry(Generic[T]):
    """Items by name. Lookups accept the sources' CamelCase spellings (``InRange``) too."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._items: dict[str, T] = {}

    def register(self, name: str, item: T, *, replace: bool = False) -> None:
        """Add ``item`` as ``name``; refuses to shadow an existing name unless ``replace``."""
        key = snake_case(name)
        if key in self._items and not replace:
            raise ValueError(f"{self.what} {key!r} is registered already")
        self._items[key] = item

    def get(self, name: str) -> T | None:
        """The item called ``name`` (in any accepted spelling), or None."""
        return self._items.get(snake_case(name))

    def names(self) -> list[str]:
        """Every registered name, sorted."""
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and snake_case(name) in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
