"""The door's pure parts: ids, recipients, jokers, time and priority parsing."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsd.api.gatewaysms.ids import read_id, render_id, send_id
from smsd.api.gatewaysms.jokers import fill, to_template
from smsd.api.gatewaysms.parsing import core_priority, parse_amendment, parse_sending
from smsd.api.gatewaysms.recipients import RecipientError, dashed, parse_recipients, prefix_of
from smsd.api.gatewaysms.replies import GatewayError
from smsd.templating import render


@given(st.integers(min_value=1, max_value=2**63 - 1))
def test_ids_read_back(value: int) -> None:
    text = render_id(value)
    assert len(text) == 24
    assert read_id(text) == value
    assert read_id(text.upper()) == value


@pytest.mark.parametrize(
    "text",
    ["", "5cf7cc13", "5cf7cc139f272546624d379g", "0" * 24, "f" * 24, "5cf7cc139f272546624d37955"],
)
def test_malformed_ids_name_nothing(text: str) -> None:
    assert read_id(text) is None


def test_send_id_is_message_id_and_position() -> None:
    assert send_id(0x5E5E65429F272510FB6ADCC0, 0) == "5e5e65429f272510fb6adcc0_0"


def test_recipients_in_every_form() -> None:
    parsed = parse_recipients(
        [
            "+39-3491234567",
            {"number": "+33-612345678", "fields": {"name": "Ann"}},
            "+447911123456",
            "3491234567",
            "+39 349 123 4567",
            "+39-0000",
            {"number": "+39-3491234567", "fields": {"name": "again"}},
        ]
    )
    assert parsed.valid == [
        ("+393491234567", '{"name":"again"}'),
        ("+33612345678", '{"name":"Ann"}'),
        ("+447911123456", "[]"),
    ]
    assert parsed.invalid == ["3491234567", "+39 349 123 4567", "+39-0000"]
    assert parse_recipients("+39-3491234567").valid == [("+393491234567", "[]")]


@pytest.mark.parametrize(
    "value", [[], 12, [None], [{"number": 3}], [{"number": "+39-1", "fields": 1}]]
)
def test_recipients_of_the_wrong_shape_are_refused(value) -> None:
    with pytest.raises(RecipientError):
        parse_recipients(value)


def test_numbers_shown_with_their_prefix() -> None:
    assert dashed("+393491234567") == "+39-3491234567"
    assert prefix_of("+12025550123") == "+1"
    assert dashed("not a number") == "not a number"


@pytest.mark.parametrize(
    ("body", "fields", "expected"),
    [
        ("Hello {{name}}", {"name": "Ann"}, "Hello Ann"),
        ("Hello {{ name }}!", {"name": "Ann"}, "Hello Ann!"),
        ("{{Prénom}} {{Nom}}", {"Prénom": "simone", "Nom": "rossi"}, "simone rossi"),
        ("code {{code}}", {"code": 1234}, "code 1234"),
        ("nobody {{missing}}.", {}, "nobody ."),
        ("{% if x %}raw{% endif %} {# c #} {x}", {"x": 1}, "{% if x %}raw{% endif %} {# c #} {x}"),
        ("empty {{}}", {}, "empty {{}}"),
        ("{{{name}}}", {"name": "Ann"}, "{Ann}"),
        ("plain", {}, "plain"),
    ],
)  # fmt: skip
def test_jokers_render_through_the_core_as_filled(body, fields, expected) -> None:
    assert fill(body, fields) == expected
    assert render(to_template(body), fields, {}) == expected


@given(st.text(alphabet=st.sampled_from("ab{}% #x"), max_size=30))
def test_any_body_without_fields_renders_to_its_filled_self(body: str) -> None:
    assert render(to_template(body), {}, {}) == fill(body, {})


def test_priority_is_kept_to_hundredths() -> None:
    assert [core_priority(p) for p in (1, 1.0, 1.01, 2.5)] == [0, 0, 1, 150]


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (1564752494920, 1564752494.92),
        ("1564752494920", 1564752494.92),
        ("2023-12-25", datetime(2023, 12, 25).timestamp()),  # noqa: DTZ001 - local, as documented
        ("2023-12-25 08:30:00", datetime(2023, 12, 25, 8, 30).timestamp()),  # noqa: DTZ001
        ("2023-12-25T08:30:00+01:00", 1703489400.0),
    ],
)
def test_timestamp_send_forms(value, seconds) -> None:
    sending = parse_sending(
        {"sender": "abc", "body": "x", "recipients": "+39-3491234567",
         "options": {"timestamp_send": value}}
    )  # fmt: skip
    assert sending.options.send_at == pytest.approx(seconds)


def test_amendment_reads_transaction_at_top_level_and_in_options() -> None:
    assert parse_amendment({"transaction": False}).transaction is False
    assert parse_amendment({"options": {"transaction": False}}).transaction is False
    assert parse_amendment({}).transaction is None
    with pytest.raises(GatewayError) as refused:
        parse_amendment({"recipients": 5})
    assert refused.value.status == 422
    assert set(refused.value.fields or {}) == {"recipients"}
