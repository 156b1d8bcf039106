"""Canonical JSON: the bytes a payload hashes as."""

from __future__ import annotations

import json
import math
import random
import struct
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assay.store.canonical import NotCanonicalizableError, _fast_canonical, canonical_json

TRICKY_FLOATS = [
    0.1,
    0.1 + 0.2,
    1.0,
    -0.0,
    1e300,
    1e-300,
    5e-324,  # smallest subnormal
    2.2250738585072014e-308,  # smallest normal
    1.7976931348623157e308,  # largest finite
    123456789.12345679,
    1 / 3,
    2.0**53,
    -1.5e-7,
]


def _oracle(value: Any) -> str:
    """The text the standard json module writes: what canonical JSON must be."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _bits(value: float) -> bytes:
    return struct.pack(">d", value)


def test_keys_are_sorted_and_no_whitespace_is_added() -> None:
    assert canonical_json({"b": 1, "a": [True, None, "x"]}) == '{"a":[true,null,"x"],"b":1}'


def test_non_ascii_text_is_written_as_utf8_not_escaped() -> None:
    text = canonical_json({"name": "Jyväskylä ✓"})
    assert text == '{"name":"Jyväskylä ✓"}'
    assert "\\u" not in text


def test_nested_keys_sort_by_code_point() -> None:
    assert canonical_json({"é": 1, "z": 2, "Z": 3}) == '{"Z":3,"z":2,"é":1}'


@pytest.mark.parametrize("value", TRICKY_FLOATS)
def test_every_float_parses_back_to_the_same_double(value: float) -> None:
    text = canonical_json({"v": value})
    back = json.loads(text)["v"]
    assert isinstance(back, float)
    assert _bits(back) == _bits(value)
    assert canonical_json({"v": back}) == text


def test_a_float_stays_a_float_and_an_integer_stays_an_integer() -> None:
    assert canonical_json({"v": 1.0}) == '{"v":1.0}'
    assert canonical_json({"v": 1}) == '{"v":1}'
    big = 2**70 + 1
    assert json.loads(canonical_json({"v": big}))["v"] == big


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_numbers_are_refused_with_their_path(value: float) -> None:
    with pytest.raises(NotCanonicalizableError) as raised:
        canonical_json({"a": [1, {"b": value}]})
    assert raised.value.path == "$.a[1].b"


def test_non_string_keys_and_foreign_types_are_refused() -> None:
    with pytest.raises(NotCanonicalizableError, match="key 1 is not a string"):
        canonical_json({1: "x"})
    with pytest.raises(NotCanonicalizableError, match="a set is not a JSON value"):
        canonical_json({"s": {1, 2}})


def test_tuples_are_written_as_arrays() -> None:
    assert canonical_json({"t": (1, 2)}) == '{"t":[1,2]}'


@pytest.mark.parametrize(
    ("value", "path", "problem"),
    [
        ({"a": [{"b": {True: 1}}]}, "$.a[0].b", "key True is not a string"),
        ({"a": {"b": {None: 1, "c": 2}}}, "$.a.b", "key None is not a string"),
        ({"a": [1, {2.5: "x"}]}, "$.a[1]", "key 2.5 is not a string"),
        ({"a": ({"b": {3: 1}},)}, "$.a[0].b", "key 3 is not a string"),
    ],
)
def test_keys_the_encoder_would_convert_are_refused_with_their_path(
    value: Any, path: str, problem: str
) -> None:
    # The C encoder would silently write these keys as strings; the text would then read
    # back as a different value, so they must be refused, deep inside tuples too.
    with pytest.raises(NotCanonicalizableError) as raised:
        canonical_json(value)
    assert (raised.value.path, raised.value.problem) == (path, problem)


@given(
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(),
        lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
        max_leaves=30,
    )
)
def test_the_text_is_json_dumps_with_sorted_keys(value: Any) -> None:
    assert canonical_json(value) == _oracle(value)


def test_doubles_of_every_magnitude_are_written_as_repr_writes_them() -> None:
    # 20,000 random bit patterns: subnormals, exponents of every size, both signs; some are
    # spelled differently by msgspec (1e+16 / 1e16) and must still come out as repr's.
    generator = random.Random(18)
    doubles = [struct.unpack(">d", generator.randbytes(8))[0] for _ in range(20_000)]
    finite = [value for value in doubles if math.isfinite(value)]
    finite += [10.0**power for power in range(-20, 23)] + [
        -(10.0**power) for power in range(-6, 18)
    ]
    assert canonical_json({"v": finite}) == _oracle({"v": finite})
    for value in finite[:2000] + finite[-50:]:
        assert canonical_json({"v": value}) == _oracle({"v": value})


def test_every_character_is_written_as_the_standard_encoder_writes_it() -> None:
    characters = [chr(point) for point in range(0x110000) if not 0xD800 <= point < 0xE000]
    text = "".join(characters)
    assert canonical_json({"t": text}) == _oracle({"t": text})
    keys = {character: index for index, character in enumerate(characters[:3000])}
    keys.update(dict.fromkeys(characters[-500:], 1))
    assert canonical_json(keys) == _oracle(keys)


def test_a_run_payload_takes_the_fast_way_and_awkward_floats_the_standard_one() -> None:
    payload = {
        "run_id": "3e5a9f0c1d2b4e6f",
        "finished": "2026-12-04T07:28:48.008+00:00",
        "dimensions": [{"id": "d", "value": 0.125, "target": 0.0, "n": 12, "ok": True}],
        "comment": None,
        "name": "Jyväskylä ✓",
    }
    fast = _fast_canonical(payload)
    assert fast is not None
    assert fast == (_oracle(payload), payload)
    for awkward in (1e16, 1e-05, 2.5e-07, 1.7976931348623157e308):
        assert _fast_canonical({"v": awkward}) is None
        assert canonical_json({"v": awkward}) == _oracle({"v": awkward})


def test_threads_writing_at_once_each_get_their_own_text() -> None:
    # The encoder and decoder are shared by every thread, and the decoder calls back into
    # Python for each float (where another thread may run): no text may leak into another.
    def payloads(seed: int) -> list[dict[str, Any]]:
        generator = random.Random(seed)
        return [
            {
                "run": f"{seed}-{number}",
                "values": [generator.uniform(-1e3, 1e3) for _ in range(20)] + [10.0**seed],
                "name": "Jyväskylä" * (number % 3),
            }
            for number in range(300)
        ]

    def write(seed: int) -> list[bool]:
        return [canonical_json(value) == _oracle(value) for value in payloads(seed)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(write, range(8, 24)))
    assert all(all(outcome) for outcome in outcomes)
    assert sum(len(outcome) for outcome in outcomes) == 16 * 300
