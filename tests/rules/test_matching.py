"""Pure rule matching, rule checks and command parsing, as tables."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsd.matching import (
    Incoming,
    RuleError,
    definition_of,
    is_short_code,
    make_rule,
    matches,
    parse_command,
    rule_from_definition,
    select,
)

MESSAGE = Incoming("+33612345678", "Info please, opening hours?", "m1", frozenset({"Family"}))

MATCHING = [
    ({"keyword": "INFO"}, True),
    ({"keyword": "info"}, True),
    ({"keyword": "INF"}, False),
    ({"keyword": "please"}, False),
    ({"match": r"opening\s+hours"}, True),
    ({"match": r"^hours"}, False),
    ({"from": ["+33612345678"]}, True),
    ({"from": ["+33 6 12 34 56 78"]}, True),
    ({"from": ["+336*"]}, True),
    ({"from": ["+337*", "+44*"]}, False),
    ({"from": ["group:Family"]}, True),
    ({"from": ["group:Work"]}, False),
    ({"phone": "m1"}, True),
    ({"phone": "m2"}, False),
    ({"keyword": "info", "phone": "m1", "from": ["+336*"], "match": "hours"}, True),
    ({"keyword": "info", "phone": "m2"}, False),
    ({}, True),
]


@pytest.mark.parametrize(("conditions", "expected"), MATCHING)
def test_matching_table(conditions, expected) -> None:
    rule = rule_from_definition({**conditions, "reply": "x"})
    assert matches(rule, MESSAGE) is expected


REFUSED = [
    ({"reply": "x", "match": "("}, "match"),
    ({"reply": "x", "keyword": "two words"}, "keyword"),
    ({"reply": "x", "keyword": ""}, "keyword"),
    ({"reply": "x", "from": "+336*"}, "from"),
    ({"reply": "x", "from": ["abc"]}, "from[0]"),
    ({"reply": "x", "from": ["group:"]}, "from[0]"),
    ({"reply": "x", "forward_to": ["0612"]}, "forward_to[0]"),
    ({"reply": "x", "email": "not-mail"}, "email"),
    ({"reply": "x", "webhook": "ftp://x"}, "webhook"),
    ({"reply": "x", "window": -1}, "window"),
    ({"reply": "x", "mark_read": "yes"}, "mark_read"),
    ({"reply": "x", "continue": 1}, "continue"),
    ({"reply": "x", "colour": "red"}, "colour"),
    ({"keyword": "INFO"}, "reply"),
]


@pytest.mark.parametrize(("definition", "key"), REFUSED)
def test_bad_rules_name_their_key(definition, key) -> None:
    with pytest.raises(RuleError) as caught:
        rule_from_definition(definition)
    assert caught.value.field == key


def test_definitions_round_trip() -> None:
    rule = rule_from_definition({
        "from": ["+336*", "group:Family"], "phone": "m1", "keyword": "INFO", "match": "x",
        "reply": "hi", "forward_to": ["+33700000000"], "email": "a@example.org",
        "webhook": "https://example.org/h", "mark_read": True, "window": 60, "continue": True,
    })  # fmt: skip
    assert rule_from_definition(definition_of(rule)) == rule
    assert definition_of(make_rule(reply="hi")) == {"reply": "hi"}


def test_first_match_acts_unless_it_says_continue() -> None:
    first = rule_from_definition({"keyword": "info", "reply": "a", "continue": True})
    second = rule_from_definition({"match": "hours", "reply": "b"})
    third = rule_from_definition({"reply": "c"})
    chosen = select([(1, first), (2, second), (3, third)], MESSAGE)
    assert [key for key, _rule in chosen] == [1, 2]


@pytest.mark.parametrize(
    ("origin", "short"),
    [("+33612345678", False), ("0612345678", False), ("36665", True), ("ORANGE", True),
     ("+331", True), ("", True)],
)  # fmt: skip
def test_short_codes(origin, short) -> None:
    assert is_short_code(origin) is short


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("s3cret:reboot-router", ("s3cret", "reboot-router")),
        ("  s3cret:status\n", ("s3cret", "status")),
        ("s3cret: status", None),
        ("hello there", None),
        ("a:b:c", None),
        ("s3cret:", None),
    ],
)
def test_command_parsing(text, parsed) -> None:
    found = parse_command(text)
    assert (None if found is None else (found.password, found.name)) == parsed


@given(st.text(max_size=300), st.text(alphabet=st.characters(codec="utf-8"), max_size=20))
def test_matching_never_raises_and_keyword_is_the_casefolded_first_word(text, origin) -> None:
    rule = rule_from_definition({"keyword": "Stop", "reply": "x"})
    message = Incoming(origin, text)
    words = text.split()
    assert matches(rule, message) is (bool(words) and words[0].casefold() == "stop")
    assert parse_command(text) is None or ":" in text
    is_short_code(origin)
