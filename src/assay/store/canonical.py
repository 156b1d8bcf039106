"""Canonical JSON: the one byte string a JSON value hashes as.

Rules (documented in docs/ledger.md):

- objects with string keys only, keys sorted by code point; no whitespace (``,`` and ``:``);
- UTF-8, non-ASCII characters written as themselves, not as ``\\u`` escapes;
- integers in plain decimal, any size;
- floats as Python's shortest round-trip representation (``repr``), which parses back to the very
  same IEEE-754 double, so no float is ever rounded; a float stays a float (``1.0``, never ``1``),
  so a value keeps its type through export and import; NaN and infinities are refused because
  JSON has no spelling for them;
- ``true``, ``false``, ``null``; tuples are written as arrays.
"""

from __future__ import annotations

import json
import math
from json.encoder import encode_basestring
from typing import Any, TypeAlias

import msgspec

__all__ = [
    "JSONValue",
    "NotCanonicalizableError",
    "canonical_json",
    "canonical_json_and_value",
    "canonical_json_of_parsed",
]

JSONValue: TypeAlias = bool | int | float | str | list["JSONValue"] | dict[str, "JSONValue"] | None


class NotCanonicalizableError(ValueError):
    """A value has no canonical JSON form; ``path`` says where inside it (``$.a[2]``)."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")


def canonical_json(value: Any) -> str:
    """Return the canonical JSON text of ``value``; raise :class:`NotCanonicalizableError` for a
    value JSON cannot hold exactly (non-string keys, NaN, infinities, other types)."""
    return canonical_json_and_value(value)[0]


def canonical_json_and_value(value: Any) -> tuple[str, Any]:
    """The canonical JSON text of ``value`` and the JSON value it reads back as (what a reader
    of the text gets); raises as :func:`canonical_json` does."""
    fast = _fast_canonical(value)
    if fast is not None:
        return fast
    # The standard way, in C: encode, read back, compare. Only a value that does not survive
    # the round trip unchanged (non-string keys, tuples) or cannot be encoded (NaN, other
    # types) is walked in Python, to refuse it with its path or accept it (tuples are arrays).
    try:
        text = _ENCODER.encode(value)
    except (TypeError, ValueError):
        _check(value, "$")
        raise  # unreachable: the walk refuses what the encoder refused
    parsed = json.loads(text)
    if parsed != value:
        _check(value, "$")
    return text, parsed


def _fast_canonical(value: Any) -> tuple[str, Any] | None:
    """:func:`canonical_json_and_value` by msgspec, 2.6 times as fast on a run's
    payload, or None where its text might not be the canonical one.

    msgspec writes what the standard encoder writes (keys sorted by code point, no
    whitespace, UTF-8, the same string escapes, integers in decimal) except floats, which it
    may spell differently (``1e16``, ``0.00001`` where ``repr`` gives ``1e+16``, ``1e-05``).
    So the text is read back with every float checked against its ``repr``; a float spelled
    otherwise reads back as :data:`_UNSURE`, which equals nothing. The read-back value must
    then equal ``value``, as in the standard way, or the standard way decides. (The oracle
    tests compare both encoders' texts on random values.)"""
    try:
        encoded = _FAST_ENCODER.encode(value)
    except Exception:  # a type, key or string msgspec refuses: the standard way says why
        return None
    parsed = _FAST_DECODER.decode(encoded)
    if parsed != value:
        return None
    return encoded.decode("utf-8"), parsed


class _Unsure:
    """A float whose text is not Python's ``repr`` of it: unequal to any value (``!=`` and
    unhashability follow from ``__eq__``)."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return False


_UNSURE = _Unsure()


def _float_read(text: str) -> float | _Unsure:
    number = float(text)
    return number if repr(number) == text else _UNSURE


_FAST_ENCODER = msgspec.json.Encoder(order="sorted")
_FAST_DECODER = msgspec.json.Decoder(float_hook=_float_read)


def canonical_json_of_parsed(value: Any) -> str:
    """:func:`canonical_json` of a value that is already plain JSON — one read back from
    canonical text by ``json.loads``, or built from such parts — without checking it again.
    Anything else is the caller's bug (the encoder still refuses NaN and foreign types)."""
    kind = type(value)
    if kind is float and math.isfinite(value):
        return repr(value)  # what the encoder writes for a float, without its setup per call
    if kind is str:
        return encode_basestring(value)
    return _ENCODER.encode(value)


# One encoder for every call: json.dumps with non-default options builds a new one each time.
_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


class _Refused(Exception):
    """Raised from deep inside a value; collects the path on the way out, so a valid value
    (the common case) never pays for building path strings."""

    def __init__(self, problem: str) -> None:
        self.problem = problem
        self.steps: list[str] = []


def _check(value: Any, path: str) -> None:
    try:
        _walk(value)
    except _Refused as refused:
        where = path + "".join(reversed(refused.steps))
        raise NotCanonicalizableError(where, refused.problem) from None


def _walk(value: Any) -> None:
    if value is None or isinstance(value, bool | int | str):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _Refused(f"{value!r} is not a finite number")
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            try:
                _walk(item)
            except _Refused as refused:
                refused.steps.append(f"[{index}]")
                raise
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise _Refused(f"key {key!r} is not a string")
            try:
                _walk(item)
            except _Refused as refused:
                refused.steps.append(f".{key}")
                raise
        return
    raise _Refused(f"a {type(value).__name__} is not a JSON value")
