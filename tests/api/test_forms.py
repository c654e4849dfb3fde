"""PHP-style request parameters: bracket keys, casts, JSON bodies."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsd.api.forms import (
    FormError,
    as_list,
    build,
    from_json,
    parse_urlencoded,
    php_bool,
    php_int,
    php_numeric,
)

# (query string, structure PHP builds)
BRACKET_CASES = [
    ("a[]=1&a[]=2", {"a": ["1", "2"]}),
    ("numbers=%2B33612345678", {"numbers": "+33612345678"}),
    ("a[k]=v", {"a": {"k": "v"}}),
    (
        "numbers[0][number]=%2B336&numbers[0][data]=%7B%7D&numbers[1][number]=%2B337",
        {"numbers": [{"number": "+336", "data": "{}"}, {"number": "+337"}]},
    ),
    (
        "limits[0][volume]=100&limits[0][startpoint]=today",
        {"limits": [{"volume": "100", "startpoint": "today"}]},
    ),
    (
        "adapter_data[login]=x&adapter_data[pin]=1234",
        {"adapter_data": {"login": "x", "pin": "1234"}},
    ),
    ("a[b][c][d]=1&a[b][c][e]=2", {"a": {"b": {"c": {"d": "1", "e": "2"}}}}),
    ("a[][x]=1&a[][x]=2", {"a": [{"x": "1"}, {"x": "2"}]}),
    ("a=1&a=2", {"a": "2"}),
    ("a[]=1&a=2", {"a": "2"}),
    ("a=1&a[]=2", {"a": ["2"]}),
    ("a.b=1&a b=2", {"a_b": "2"}),
    ("x.y[a.b]=1", {"x_y": {"a.b": "1"}}),
    ("a[b=1", {"a_b": "1"}),
    ("a[b.c d=1", {"a_b_c_d": "1"}),
    ("a[b][c=1", {"a": {"b": "1"}}),
    ("a[b]c=1", {"a": {"b": "1"}}),
    ("a[1]=x&a[0]=y", {"a": {"1": "x", "0": "y"}}),
    ("a[0]=x&a[1]=y", {"a": ["x", "y"]}),
    ("a[01]=x", {"a": {"01": "x"}}),
    ("a[5]=x&a[]=y", {"a": {"5": "x", "6": "y"}}),
    ("a[-1]=x&a[]=y", {"a": {"-1": "x", "0": "y"}}),
    ("a[ k ]=v", {"a": {" k ": "v"}}),
    ("  lead=1", {"lead": "1"}),
    ("=1&[x]=2&a=3", {"a": "3"}),
    ("flag&empty=", {"flag": "", "empty": ""}),
    ("a&&b=1&", {"a": "", "b": "1"}),
    ("t=a+b%20c%2", {"t": "a b c%2"}),
    ("t=%C3%A9%FF", {"t": "é\ufffd"}),
    ("n%00ame=1", {"n": "1"}),
    ("0=zero&1=one", {"0": "zero", "1": "one"}),
]


@pytest.mark.parametrize(("query", "expected"), BRACKET_CASES)
def test_bracket_keys_build_like_php(query, expected):
    assert build(parse_urlencoded(query)) == expected


def test_bytes_body_is_split_like_a_string():
    assert parse_urlencoded(b"a=%E2%82%AC&b=1") == [("a", "€"), ("b", "1")]


def test_values_may_be_any_object():
    upload = object()
    assert build([("medias[]", upload), ("medias[]", upload)]) == {"medias": [upload, upload]}


def test_too_many_variables_is_an_error():
    with pytest.raises(FormError, match="more than 3"):
        build([("a[]", "1")] * 4, max_vars=3)


def test_too_deep_nesting_is_an_error():
    with pytest.raises(FormError, match="deeper"):
        build([("a" + "[x]" * 65, "1")])
    assert build([("a" + "[x]" * 64, "1")])["a"]


def test_json_body_keeps_scalars():
    body = '{"numbers": ["+336"], "flash": false, "id_phone": 3, "data": {"k": null}}'
    assert from_json(body) == {
        "numbers": ["+336"],
        "flash": False,
        "id_phone": 3,
        "data": {"k": None},
    }


@pytest.mark.parametrize(
    "body",
    ["[1]", '"x"', "{", '{"a": NaN}', '{"a": Infinity}', b"\xff", "{" * 100_000, "1" * 5000],
)
def test_bad_json_bodies_are_form_errors(body):
    with pytest.raises(FormError):
        from_json(body)


def test_json_depth_cap():
    deep = '{"a": ' + "[" * 70 + "]" * 70 + "}"
    with pytest.raises(FormError, match="deeper"):
        from_json(deep)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", False),
        ("0", False),
        ("0.0", True),
        ("false", True),
        (" ", True),
        ("a", True),
        (None, False),
        (0, False),
        (1, True),
        (0.0, False),
        (False, False),
        ([], False),
        (["0"], True),
        ({}, False),
        (object(), True),
    ],
)
def test_php_bool(value, expected):
    assert php_bool(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12abc", 12),
        ("abc", 0),
        ("", 0),
        (" 12", 12),
        ("12 ", 12),
        ("-3", -3),
        ("+4", 4),
        ("1.9", 1),
        ("1e3", 1000),
        (".5", 0),
        ("0x1A", 0),
        ("99999999999999999999", 2**63 - 1),
        ("-99999999999999999999", -(2**63)),
        ("1e999", 0),
        (None, 0),
        (True, 1),
        (7, 7),
        (3.99, 3),
        (float("nan"), 0),
        ([1], 1),
        ([], 0),
    ],
)
def test_php_int(value, expected):
    assert php_int(value) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1),
        (" 1", 1),
        ("1 ", 1),
        ("1.5", 1.5),
        ("1e3", 1000.0),
        ("1a", None),
        ("", None),
        ("abc", None),
    ],
)
def test_php_numeric(text, expected):
    assert php_numeric(text) == expected


def test_as_list_follows_raspisms():
    assert as_list(None) == []
    assert as_list("+336") == ["+336"]
    assert as_list(["a", "b"]) == ["a", "b"]
    assert as_list({"0": "a", "5": "b"}) == ["a", "b"]


_NAME = st.text(alphabet="ab.[] 0\x00-", max_size=12)


@given(st.lists(st.tuples(_NAME, st.text(max_size=5)), max_size=20))
def test_any_simple_pairs_never_crash(pairs):
    result = build(pairs)
    assert all(isinstance(key, str) and key for key in result)


@given(st.binary(max_size=60))
def test_any_urlencoded_bytes_parse(data):
    build(parse_urlencoded(data))
