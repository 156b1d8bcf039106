"""The one strict loader of every YAML or JSON text assay reads, with the line of every key path.

Whatever a user, an auditee or a collected file hands assay goes through here, and the same
limits hold everywhere:

- aliases are bounded: an alias that refers to the node containing it (``a: &a [*a]``) is
  refused, and so is a document whose aliases expand it by more than :data:`MAX_EXPANSION`
  nodes (the "billion laughs"), both found while composing, before anything is built;
- nesting deeper than :data:`MAX_DEPTH` levels is refused;
- a key written twice in one mapping is refused, naming both lines (YAML and JSON would
  otherwise keep the last one silently);
- JSON texts accept only JSON: no ``NaN`` or ``Infinity``, and no number too large for a
  double (``1e999`` would become infinity);
- every message is capped (see :mod:`assay.errors`).

Mapping keys are kept as the text written in the file: in our formats keys are identifiers, and
YAML would otherwise read ``5.10:`` as the number 5.1 or ``no:`` as false. Values keep YAML's
types (``yes``/``no`` are booleans, ``3`` is an integer), except dates, which stay the text
written, since every document must have a JSON form.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assay.errors import InvalidInputError, shorten

__all__ = [
    "MAX_DEPTH",
    "MAX_EXPANSION",
    "LoadedDocument",
    "format_path",
    "load_document",
    "parse_document",
    "parse_json",
    "parse_yaml_value",
]

PathItem = str | int

MAX_DEPTH = 100
MAX_EXPANSION = 100_000  # nodes that aliases may add to a document, over the ones written
MAX_ALIASES = 10_000


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
    when it cannot be read or parsed, or breaks a limit of this module."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise InvalidInputError("file not found", source=source) from error
    except IsADirectoryError as error:
        raise InvalidInputError("this is a directory", source=source, expected="a file") from error
    except UnicodeDecodeError as error:
        raise InvalidInputError("the file is not UTF-8 text", source=source) from error
    except OSError as error:
        raise InvalidInputError(
            f"cannot read the file ({error.strerror})", source=source
        ) from error
    return parse_document(text, source)


class _Refused(Exception):
    """A limit of the loader was broken; ``line`` is 1-based when known."""

    def __init__(self, problem: str, line: int | None = None) -> None:
        super().__init__(problem)
        self.problem, self.line = problem, line


def parse_document(text: str, source: str) -> LoadedDocument:
    """Parse YAML (or JSON) text that came from ``source`` (a file name, or a request).
    Raises :class:`InvalidInputError` naming the source and line when it cannot be parsed or
    breaks a limit of this module."""
    try:
        loader = _StrictLoader(text)
        try:
            node = loader.get_single_node()
            if node is not None:
                _check_expansion(node, loader.composed)
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except _Refused as refused:
        location = f"line {refused.line}" if refused.line else None
        raise InvalidInputError(refused.problem, source=source, location=location) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        location = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        raise InvalidInputError(
            f"not valid YAML: {error.problem}",
            source=source,
            location=location,
            expected="a YAML or JSON document",
        ) from None
    except yaml.YAMLError as error:
        raise InvalidInputError(f"not valid YAML: {error}", source=source) from None
    except RecursionError:
        raise InvalidInputError(
            "the document is nested too deeply", source=source, expected=_DEPTH_EXPECTED
        ) from None
    lines: dict[tuple[PathItem, ...], int] = {}
    if node is not None:
        _index(node, (), lines)
    return LoadedDocument(source, data, lines)


def parse_yaml_value(text: str, source: str) -> Any:
    """One value written in YAML on a command line (``--param k=[1, 2]``), through the same
    limits as a document."""
    return parse_document(text, source).data


_DEPTH_EXPECTED = f"at most {MAX_DEPTH} levels of nesting"


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


def _children(node: yaml.Node) -> Iterator[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield key
            yield value
    elif isinstance(node, yaml.SequenceNode):
        yield from node.value


def _check_expansion(root: yaml.Node, written: int) -> None:
    """Refuse a document whose aliases make it more than :data:`MAX_EXPANSION` nodes larger
    than what was written. Sizes are summed bottom-up once per distinct node, so checking
    costs what the written document costs, however far the aliases would expand."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        if children_done:
            sizes[id(node)] = 1 + sum(sizes[id(child)] for child in _children(node))
            if sizes[id(node)] > written + MAX_EXPANSION:
                raise _Refused(
                    f"aliases expand the document to more than {written + MAX_EXPANSION:,}"
                    f" nodes (it has {written:,} as written)",
                    node.start_mark.line + 1,
                )
            continue
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)


class _StrictLoader(yaml.SafeLoader):
    """A safe loader with the limits of this module, whose scalar mapping keys stay the
    literal text of the file."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.composed = 0  # nodes as written (aliases not counted)
        self._aliases = 0
        self._depth = 0
        self._open: set[str] = set()  # anchors of the nodes being composed

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            if event.anchor in self._open:
                raise _Refused(
                    f"the alias *{event.anchor} refers to a node that contains it "
                    "(a recursive alias)",
                    line,
                )
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise _Refused(f"more than {MAX_ALIASES:,} aliases", line)
            return super().compose_node(parent, index)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _Refused(f"nested more than {MAX_DEPTH} levels deep", line)
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            self._open.add(anchor)
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
            if anchor is not None:
                self._open.discard(anchor)
        self.composed += 1
        return node

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[str, int] = {}
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                line = key_node.start_mark.line + 1
                if key_node.value in seen:
                    raise _Refused(
                        f"the key {shorten(key_node.value, 80)!r} is written twice in one "
                        f"mapping: line {seen[key_node.value]} and line {line}",
                        line,
                    )
                seen[key_node.value] = line
        self.flatten_mapping(node)
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    "found a key that is not a plain value",
                    key_node.start_mark,
                )
            mapping[key_node.value] = self.construct_object(value_node, deep=deep)
        return mapping

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> str:  # type: ignore[override]
        """A date stays the text written (JSON has no dates; ``2027-03-31`` is a string)."""
        return str(node.value)

    def construct_refused(self, node: yaml.Node) -> Any:
        """Tags whose values have no JSON form."""
        raise _Refused(
            f"{node.tag.rsplit(':', 1)[-1]} values are not accepted", node.start_mark.line + 1
        )


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _StrictLoader.construct_mapping
)
_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _StrictLoader.construct_yaml_timestamp)
for _tag in ("binary", "set"):
    _StrictLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _StrictLoader.construct_refused)


class JsonRefusedError(ValueError):
    """A JSON text breaks a limit of :func:`parse_json`: the message says which."""


def parse_json(text: str | bytes) -> Any:
    """Parse strict JSON: no ``NaN``/``Infinity``, no number beyond a double's range, no key
    twice in an object, at most :data:`MAX_DEPTH` levels. Raises :class:`JsonRefusedError`
    (a ``ValueError``) for those, ``json.JSONDecodeError`` for text that is not JSON."""
    try:
        value = json.loads(
            text,
            object_pairs_hook=_unique_keys,
            parse_constant=_no_constant,
            parse_float=_finite_float,
        )
    except RecursionError:
        raise JsonRefusedError(f"nested more than {MAX_DEPTH} levels deep") from None
    _check_depth(value)
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping = dict(pairs)
    if len(mapping) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise JsonRefusedError(
                    f"the key {shorten(key, 80)!r} is written twice in one object"
                )
            seen.add(key)
    return mapping


def _no_constant(name: str) -> Any:
    raise JsonRefusedError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise JsonRefusedError(f"the number {shorten(text, 40)} is beyond a double's range")
    return number


def _check_depth(value: Any) -> None:
    # Level by level, looking only at containers: a body of a thousand values is a few
    # thousand cheap type checks.
    level = [value] if type(value) in (dict, list) else []
    depth = 1
    while level:
        if depth > MAX_DEPTH:
            raise JsonRefusedError(f"nested more than {MAX_DEPTH} levels deep")
        deeper: list[Any] = []
        for item in level:
            children = item.values() if type(item) is dict else item
            deeper += [child for child in children if type(child) in (dict, list)]
        level = deeper
        depth += 1
