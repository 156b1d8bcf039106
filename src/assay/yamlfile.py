"""Reading YAML or JSON files as JSON data, with the line of every key path for messages.

Mapping keys are kept as the text written in the file: in our formats keys are identifiers, and
YAML would otherwise read ``5.10:`` as the number 5.1 or ``no:`` as false. Values keep YAML's
types (``yes``/``no`` are booleans, ``3`` is an integer).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assay.errors import InvalidInputError

__all__ = ["LoadedDocument", "format_path", "load_document", "parse_document"]

PathItem = str | int


@dataclass(frozen=True)
class LoadedDocument:
    """A parsed file: its data and the 1-based line where each key path starts."""

    source: str
    data: Any
    lines: dict[tuple[PathItem, ...], int] = field(default_factory=dict)

    def line_of(self, path: tuple[PathItem, ...]) -> int | None:
        """The line of ``path``, or of its nearest enclosing element that has one."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None

    def where(self, path: tuple[PathItem, ...]) -> str:
        """``line N: a.b[2]`` for messages (the path alone when no line is known)."""
        line = self.line_of(path)
        shown = format_path(path) or "(top level)"
        return f"line {line}: {shown}" if line is not None else shown


def format_path(path: tuple[PathItem, ...]) -> str:
    """``("areas", 0, "topics", 2)`` → ``areas[0].topics[2]``."""
    text = ""
    for item in path:
        text += f"[{item}]" if isinstance(item, int) else (f".{item}" if text else item)
    return text


def load_document(path: Path) -> LoadedDocument:
    """Parse a YAML (or JSON) file. Raises :class:`InvalidInputError` naming the file and line
    when it cannot be read or parsed."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise InvalidInputError("file not found", source=source) from error
    except UnicodeDecodeError as error:
        raise InvalidInputError("the file is not UTF-8 text", source=source) from error
    except OSError as error:
        raise InvalidInputError(
            f"cannot read the file ({error.strerror})", source=source
        ) from error
    return parse_document(text, source)


def parse_document(text: str, source: str) -> LoadedDocument:
    """Parse YAML (or JSON) text that came from ``source`` (a file name, or a request).
    Raises :class:`InvalidInputError` naming the source and line when it cannot be parsed."""
    try:
        # One parse: the composed node gives the lines, and the data is constructed from it.
        loader = _LiteralKeyLoader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        location = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        raise InvalidInputError(
            f"not valid YAML: {error.problem}",
            source=source,
            location=location,
            expected="a YAML or JSON document",
        ) from error
    except yaml.YAMLError as error:
        raise InvalidInputError(f"not valid YAML: {error}", source=source) from error
    lines: dict[tuple[PathItem, ...], int] = {}
    if node is not None:
        _index(node, (), lines)
    return LoadedDocument(source, data, lines)


def _index(
    node: yaml.Node, path: tuple[PathItem, ...], lines: dict[tuple[PathItem, ...], int]
) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = str(key_node.value)
            _index(value_node, (*path, key), lines)
            lines[(*path, key)] = key_node.start_mark.line + 1  # the key's line, not its value's
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _index(item, (*path, index), lines)


class _LiteralKeyLoader(yaml.SafeLoader):
    """A safe loader whose scalar mapping keys stay the literal text of the file."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        self.flatten_mapping(node)
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key: Any = key_node.value
            else:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    "found a key that is not a plain value",
                    key_node.start_mark,
                )
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping


_LiteralKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _LiteralKeyLoader.construct_mapping
)
