"""Conditional-group expressions (Symfony ExpressionLanguage subset, PHP 8 values)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsd.templating.expressions import (
    MAX_LENGTH,
    EvaluationError,
    ExpressionError,
    compile_condition,
)

CONTACT = {
    "gender": "female",
    "vip": "1",
    "lastname": "Doe",
    "birthdate": "1990-10-22",
    "age": "42",
    "city": "Paris",
    "tags": ["a", "b"],
    "address": {"zip": "75001"},
}
METAS = {"id": 3, "name": "Jane Doe", "number": "+33612345678", "created_at": "2024-01-01 10:00:00"}
TODAY = date(2024, 10, 22)

# (condition, value of the expression)
VALUES = [
    ("contact.gender == 'female' && contact.vip == 1", True),
    ("(exists(contact.lastname)) && (upper(contact.lastname) == 'DOE')", True),
    ("1 == 1", True),
    ("contact.gender == 'male' || contact.vip == '0'", False),
    ('contact.gender == "female" and not (contact.vip == 0)', True),
    ("!exists(contact.missing)", True),
    ("contact.missing == null", True),
    ("contact.missing == ''", True),
    ("contact.missing == 0", True),
    ("'abc' == 0", False),
    ("'1' == '01'", True),
    ("'10' == '1e1'", True),
    ("'abc' < 'abd'", True),
    ("contact.age > 9", True),
    ("'42' > '9'", True),
    ("null < 1", True),
    ("1 === 1", True),
    ("1 === 1.0", False),
    ("'1' !== 1", True),
    ("contact.age + 1", 43),
    ("contact.age - 50", -8),
    ("7 / 2", 3.5),
    ("6 / 2", 3),
    ("-7 % 3", -1),
    ("7 % -3", 1),
    ("2 ** 3 ** 2", 512),
    ("-2 ** 2", 4),
    ("2 ** -1", 0.5),
    ("2 ** 64", 2.0**64),
    ("9223372036854775807 + 1", 9.223372036854776e18),
    ("1 + 2 * 3", 7),
    ("(1 + 2) * 3", 9),
    ("6 | 1", 7),
    ("6 & 3", 2),
    ("'a' ~ 1 ~ true ~ null", "a11"),
    ("1 in [1, 2]", True),
    ("'1' in [1]", True),
    ("3 not in 1..2", True),
    ("1..3", [1, 2, 3]),
    ("3..1", [3, 2, 1]),
    ("contact.city in ['Paris', 'Lyon']", True),
    ("contact.tags[1]", "b"),
    ("contact.tags[5]", None),
    ("contact.address.zip", "75001"),
    ("contact_metas.id == '3'", True),
    ("contact_metas.name", "Jane Doe"),
    ("strlen(contact_metas.name)", 8),
    ("lower('ÉCOLE')", "école"),
    ("substr('abcdef', 1, 3)", "bcd"),
    ("substr('abcdef', -2)", "ef"),
    ("substr('abcdef', 1, -2)", "bcd"),
    ("abs(-3)", 3),
    ("abs('-2.5')", 2.5),
    ("intval('12abc')", 12),
    ("intval('ff', 16)", 255),
    ("boolval('0')", False),
    ("count([1, 2, 3])", 3),
    ("constant('PHP_VERSION')", None),
    ("is_birthday(date(contact.birthdate))", True),
    ("is_birthday(contact.birthdate)", True),
    ("is_birthday('1990-10-23')", False),
    ("date(contact.birthdate) < date('2000-01-01')", True),
    ("date('nonsense')", False),
    ("date_from_format('d/m/Y', '22/10/1990') == date('1990-10-22')", True),
    ("date_from_format('!d/m/Y', '22/10/1990') == date('1990-10-22')", True),
    ("date_from_format('d/m/Y', '31/02/1990')", False),
    ("true ? 'y' : 'n'", "y"),
    ("false ? 'y'", None),
    ("null ?: 'x'", "x"),
    ("TRUE and FALSE", False),
    ("'a\\tb\\x41\\101'", "a\tbAA"),
    ("not(false)", True),
    ("contact.not == null", True),
]


@pytest.mark.parametrize(("text", "value"), VALUES)
def test_values(text, value):
    result = compile_condition(text).evaluate(CONTACT, METAS, TODAY)
    assert result == value
    assert type(result) is type(value)


@pytest.mark.parametrize(
    "text",
    [
        "contact.missing.deeper",
        "exists(contact.missing.deeper)",
        "'abc' + 1",
        "1 / 0",
        "1 % 0",
        "contact.gender.x",
        "contact['gender']",
        "1 in contact",
        "count(contact)",
        "lower()",
        "lower(1, 2)",
        "abs('x')",
        "date(contact.birthdate) == 'x'",
        "is_birthday(1)",
        "1..100000",
    ],
)
def test_evaluation_errors_exclude_the_contact(text):
    condition = compile_condition(text)
    with pytest.raises(EvaluationError):
        condition.evaluate(CONTACT, METAS, TODAY)
    assert condition.matches(CONTACT, METAS, TODAY) is False


def test_matches_uses_php_truthiness():
    assert compile_condition("contact.vip").matches(CONTACT, METAS, TODAY)
    assert not compile_condition("'0'").matches(CONTACT, METAS, TODAY)
    assert not compile_condition("[]").matches(CONTACT, METAS, TODAY)
    assert compile_condition("date('now')").matches({}, {}, TODAY)


def test_datetime_today_sets_now():
    moment = datetime(2024, 3, 1, 12, 30)  # noqa: DTZ001 - conditions use local wall time
    assert compile_condition("date('now')").evaluate({}, {}, moment) == moment
    assert compile_condition("date('today')").evaluate({}, {}, moment) == datetime(2024, 3, 1)  # noqa: DTZ001


def test_contact_that_is_not_a_map():
    assert not compile_condition("contact.x == null").matches([], {}, TODAY)


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("foo == 1", 0),
        ("contact.x()", 8),
        ("bar(1)", 0),
        ("1 +", 3),
        ("'unterminated", 0),
        ("contact matches '/x/'", 8),
        ("((1)", 0),
        (")", 0),
        ("[1, 2)", 0),
        ("{a: 1}", 0),
        ("1e5", 1),
        ("1 2", 2),
        ("contact.", 8),
        ("contact.1", 8),
        ("@", 0),
        ("x in[1]", 0),
    ],
)
def test_compile_errors_carry_a_position(text, position):
    with pytest.raises(ExpressionError) as caught:
        compile_condition(text)
    assert caught.value.position == position


def test_bounds():
    with pytest.raises(ExpressionError, match="longer"):
        compile_condition("1" * (MAX_LENGTH + 1))
    with pytest.raises(ExpressionError, match="nested"):
        compile_condition("(" * 200 + "1" + ")" * 200)
    with pytest.raises(ExpressionError, match="nested"):
        compile_condition(" + ".join(["1"] * 500))
    with pytest.raises(ExpressionError, match="nested"):
        compile_condition("!" * 500 + "true")
    assert compile_condition("2 ** 2 ** 2 ** 2 ** 2 ** 2").matches({}, {}, TODAY)


@given(
    st.text(
        alphabet=st.sampled_from(list("contact_metas.()[]'\"!=<>&|+-*/%~?:,0123 1.9eninotdr")),
        max_size=40,
    )
)
def test_any_text_compiles_or_raises_expression_error(text):
    try:
        condition = compile_condition(text)
    except ExpressionError:
        return
    assert isinstance(condition.matches(CONTACT, METAS, TODAY), bool)


@given(st.text(max_size=30))
def test_any_unicode_text_compiles_or_raises_expression_error(text):
    try:
        condition = compile_condition(text)
    except ExpressionError:
        return
    assert isinstance(condition.matches(CONTACT, METAS, TODAY), bool)
