"""The envelope, error messages, HTTP statuses and PHP-exact JSON text."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsd.api.envelope import (
    ApiError,
    ErrorCode,
    encode,
    envelope,
    error_envelope,
    message_for,
    status_for,
)

INVALID_CREDENTIALS_BODY = (
    '{"error":1,"message":"Invalid API Key. Please provide a valid API key as GET or POST'
    ' parameter \\"api_key\\" or a HTTP \\"X-Api-Key\\".","response":null,"next":null,"prev":null}'
)


def test_invalid_credentials_body_is_byte_exact():
    assert encode(error_envelope(ErrorCode.INVALID_CREDENTIALS)) == INVALID_CREDENTIALS_BODY


def test_suspended_body_is_byte_exact():
    assert encode(error_envelope(ErrorCode.SUSPENDED_USER)) == (
        '{"error":16,"message":"This user account is currently suspended.",'
        '"response":null,"next":null,"prev":null}'
    )


@pytest.mark.parametrize(
    ("code", "detail", "message"),
    [
        (ErrorCode.MISSING_PARAMETER, "text", "One require parameter is missing : text"),
        (ErrorCode.MISSING_PARAMETER, "to ", "One require parameter is missing : to "),
        (
            ErrorCode.INVALID_PARAMETER,
            " : at must be a string.",
            "You have specified an invalid parameter :  : at must be a string.",
        ),
        (
            ErrorCode.INVALID_PARAMETER,
            'at must be a date of format "Y-m-d H:i:s".',
            'You have specified an invalid parameter : at must be a date of format "Y-m-d H:i:s".',
        ),
        (ErrorCode.CANNOT_CREATE, "", "Cannot create a new entry."),
        (
            ErrorCode.CANNOT_CREATE,
            " : Impossible to validate this phone, verify adapters parameters.",
            (
                "Cannot create a new entry. : Impossible to validate this phone,"
                " verify adapters parameters."
            ),
        ),
        (ErrorCode.CANNOT_DELETE, "", "Cannot delete this entry."),
        (ErrorCode.CANNOT_UPDATE, "", "Cannot update this entry : "),
        (
            ErrorCode.CANNOT_UPDATE,
            " No phone with this id.",
            "Cannot update this entry :  No phone with this id.",
        ),
        (ErrorCode.CANNOT_UPLOAD_FILE, "x", "Failed to upload or save an uploaded file : x"),
    ],
)
def test_messages_append_the_detail_verbatim(code, detail, message):
    assert message_for(code, detail) == message
    error = ApiError(code, detail)
    assert error.message == message
    assert error.envelope() == {
        "error": int(code),
        "message": message,
        "response": None,
        "next": None,
        "prev": None,
    }


def test_no_message_for_success():
    with pytest.raises(ValueError, match="NONE"):
        message_for(ErrorCode.NONE)


def test_error_codes_are_raspisms_values():
    assert [int(code) for code in ErrorCode] == [0, 1, 2, 4, 8, 16, 32, 64, 128]


def test_success_envelope_key_order_and_text():
    body = envelope(42)
    assert list(body) == ["error", "message", "response", "next", "prev"]
    assert encode(body) == '{"error":0,"message":null,"response":42,"next":null,"prev":null}'


def test_links_are_slash_escaped():
    url = "http://pi/raspisms/api/list/sended/after/25/?api_key=k&x=1"
    assert encode(envelope([], next_url=url)) == (
        '{"error":0,"message":null,"response":[],"next":"http:\\/\\/pi\\/raspisms\\/api\\/list'
        '\\/sended\\/after\\/25\\/?api_key=k&amp;x=1","prev":null}'
    )


@pytest.mark.parametrize(
    ("method", "ok", "status"),
    [
        ("GET", True, 200),
        ("GET", False, 404),
        ("HEAD", False, 404),
        ("OPTIONS", True, 200),
        ("post", True, 201),
        ("POST", False, 400),
        ("DELETE", True, 204),
        ("DELETE", False, 400),
        ("PUT", True, 204),
        ("PATCH", False, 400),
        ("PROPFIND", False, 404),
    ],
)
def test_status_follows_the_verb(method, ok, status):
    assert status_for(method, ok=ok) == status


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("a<b & c", '"a&lt;b &amp; c"'),
        ("é", '"\\u00e9"'),
        ("😀", '"\\ud83d\\ude00"'),
        ("€", '"\\u20ac"'),
        ("a/b", '"a\\/b"'),
        ('q"\\', '"q\\"\\\\"'),
        ("\n\r\t\b\f\x01\x1f\x7f", '"\\n\\r\\t\\b\\f\\u0001\\u001f\x7f"'),
        ("adapters\\GammuAdapter", '"adapters\\\\GammuAdapter"'),
        (None, "null"),
        (True, "true"),
        (False, "false"),
        (476918, "476918"),
        (0.1, "0.1"),
        (10.0, "10"),
        (-2.5, "-2.5"),
        (1e25, "1.0e+25"),
        (1e16, "10000000000000000"),
        (1e17, "1.0e+17"),
        (0.0001, "0.0001"),
        (0.00001, "1.0e-5"),
        ([], "[]"),
        ({}, "{}"),
        ({"1": 2, 3: [4, "5"]}, '{"1":2,"3":[4,"5"]}'),
        ((1, 2), "[1,2]"),
    ],
)
def test_php_json_text(value, text):
    assert encode(value) == text


def test_html_escape_switch():
    assert encode({"t": "<&>"}, html_escape=False) == '{"t":"<&>"}'
    assert encode({"t": "<&>"}) == '{"t":"&lt;&amp;&gt;"}'


@pytest.mark.parametrize("value", [float("nan"), float("inf"), object(), {(1, 2): 3}])
def test_unencodable_values_raise(value):
    with pytest.raises((TypeError, ValueError)):
        encode(value)


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(),
        lambda children: st.lists(children) | st.dictionaries(st.text(), children),
        max_leaves=20,
    )
)
def test_unescaped_text_is_ascii_json_that_decodes_back(value):
    text = encode(value, html_escape=False)
    assert text.isascii()
    assert json.loads(text) == value
