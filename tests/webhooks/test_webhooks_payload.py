"""RaspiSMS's delivery format byte for byte, and both signatures."""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import parse_qsl

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsd.webhooks import payload
from smsd.webhooks.payload import (
    build_delivery,
    form_encode,
    php_json,
    raspisms_signature,
    smsd_signature,
    verify_smsd_signature,
)

# (value, PHP json_encode text with default flags)
JSON_CASES = [
    ({"id": 1, "status": "delivered"}, '{"id":1,"status":"delivered"}'),
    ("a/b", '"a\\/b"'),
    ("é€", '"\\u00e9\\u20ac"'),
    ("😀", '"\\ud83d\\ude00"'),
    ("tab\tnl\n\x01", '"tab\\tnl\\n\\u0001"'),
    ('q"b\\', '"q\\"b\\\\"'),
    ([], "[]"),
    ({"mms": False, "medias": [], "o": None}, '{"mms":false,"medias":[],"o":null}'),
    (0.16, "0.16"),
    ("<&>", '"<&>"'),
]


@pytest.mark.parametrize(("value", "text"), JSON_CASES)
def test_php_json(value, text) -> None:
    assert php_json(value) == text
    assert json.loads(text) == value


@given(st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
    max_leaves=10,
))  # fmt: skip
def test_php_json_round_trips_and_is_ascii(value) -> None:
    text = php_json(value)
    assert text.isascii()
    assert "/" not in text.replace("\\/", "")
    assert json.loads(text) == value


def test_php_json_refuses_nan() -> None:
    with pytest.raises(ValueError, match="non-finite"):
        php_json(float("nan"))


def test_form_encode_is_http_build_query() -> None:
    fields = [("a b", "x+y&z=~é"), ("body", '{"t":"a\\/b"}')]
    assert form_encode(fields) == (b"a+b=x%2By%26z%3D%7E%C3%A9&body=%7B%22t%22%3A%22a%5C%2Fb%22%7D")


def test_raspisms_signature_is_hmac_of_random_id() -> None:
    key, rid = "0123456789abcdef0123456789abcdef", "1700000000-" + "ab" * 16
    expected = hmac.new(key.encode(), rid.encode(), hashlib.sha256).hexdigest()
    assert raspisms_signature(rid, key) == expected
    assert expected == expected.lower()
    assert len(expected) == 64


def test_build_delivery_exact_request() -> None:
    key, secret = "k" * 32, "s" * 64
    delivery = build_delivery(
        42, "send_sms_status_change", 1700000000, "1700000000-" + "0" * 32,
        '{"id": 7, "status": "delivered"}', key, secret, 1700000100,
    )  # fmt: skip
    fields = parse_qsl(delivery.body.decode("ascii"), keep_blank_values=True)
    assert [name for name, _ in fields] == [
        "webhook_timestamp", "webhook_type", "webhook_random_id", "webhook_signature", "body",
    ]  # fmt: skip
    form = dict(fields)
    assert form["webhook_timestamp"] == "1700000000"
    assert form["webhook_type"] == "send_sms_status_change"
    assert form["webhook_signature"] == raspisms_signature(form["webhook_random_id"], key)
    assert form["body"] == '{"id":7,"status":"delivered"}'
    assert delivery.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert delivery.headers["X-Smsd-Event-Id"] == "42"
    assert delivery.headers["X-Smsd-Timestamp"] == "1700000100"
    signature = delivery.headers["X-Smsd-Signature"]
    assert signature == smsd_signature(secret, 1700000100, delivery.body)
    mac = hmac.new(secret.encode(), b"1700000100." + delivery.body, hashlib.sha256)
    assert signature == "sha256=" + mac.hexdigest()


def test_verify_smsd_signature() -> None:
    body, secret = b"webhook_type=send_sms&body=%7B%7D", "s" * 64
    good = smsd_signature(secret, 1000, body)
    assert verify_smsd_signature(secret, "1000", good, body, now=1100)
    assert not verify_smsd_signature(secret, "1000", good, body + b"x", now=1100)  # tampered
    assert not verify_smsd_signature("t" * 64, "1000", good, body, now=1100)  # other secret
    assert not verify_smsd_signature(secret, "1000", good, body, now=2000)  # replayed late
    assert not verify_smsd_signature(secret, "1001", good, body, now=1100)  # other timestamp
    assert not verify_smsd_signature(secret, "soon", good, body, now=1100)


def test_event_types_are_raspisms() -> None:
    # RaspiSMS's, in its order, then smsd's own
    assert payload.EVENT_TYPES == (
        "send_sms", "send_sms_status_change", "receive_sms", "inbound_call", "phone_reliability",
        "quota_level", "quota_reached",
        "phone_balance_low",
    )  # fmt: skip
