"""Message templates: RaspiSMS's sandboxed Twig subset on Jinja2."""

from __future__ import annotations

import contextlib
import time
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsd.templating import MAX_OUTPUT, TemplateError, compile_template, php_date, render

CONTACT = {"firstname": "Jean", "vip": "1", "gender": "male", "n": "5", "birth": "1990-10-22"}
METAS = {"id": 3, "name": "Doe", "number": "+33612345678"}

CASES = [
    ("Bonjour {{contact.firstname}} {{ contact_metas.name|upper }}", "Bonjour Jean DOE"),
    ("{{ contact.missing }}|{{ contact.missing.deeper.still }}|", "||"),
    ("{% if contact.missing %}y{% else %}n{% endif %}", "n"),
    ("{{ contact.missing is defined }}{{ contact.firstname is defined ? 1 }}", None),
    ("{% if contact.firstname is defined %}d{% endif %}", "d"),
    ("{% if contact.vip == 1 %}VIP{% elseif contact.x %}X{% else %}-{% endif %}", "VIP"),
    (
        "{% if contact.gender == 'female' %}Mme{% elseif contact.gender == 'male' %}M.{% endif %}",
        "M.",
    ),
    ("{% if contact.n > 10 %}big{% else %}small{% endif %}", "small"),
    ("{% if contact.n < 10 and contact.n != '05' %}x{% endif %}", ""),
    ("{% apply upper %}hi {{ contact.firstname }}{% endapply %}", "HI JEAN"),
    ("{%- apply lower -%} A {%- endapply -%}", "a"),
    (
        "{{ contact.n + 1 }} {{ contact.n * 2 }} {{ 7 / 2 }} {{ 6 / 2 }} {{ -7 % 3 }}",
        "6 10 3.5 3 -1",
    ),
    ("{{ null ~ 'a' ~ true ~ false ~ 1.0 }}", "a11"),
    ("{{ true }}{{ false }}{{ none }}", "1"),
    ("{% set x = contact.firstname ~ '!' %}{{ x }}", "Jean!"),
    ("{% for i in range(1, 3) %}{{ i }}{% if not loop.last %},{% endif %}{% endfor %}", "1,2,3"),
    ("{% for i in range(3, 1) %}{{ i }}{% endfor %}", "321"),
    ("{% for i in range(0, 10, 5) %}{{ i }}{% endfor %}", "0510"),
    ("{{ range('a', 'e')|join }}", "abcde"),
    ("{% for v in contact_metas %}{{ v }};{% endfor %}", "3;Doe;+33612345678;"),
    ("{% for x in [] %}a{% else %}empty{% endfor %}", "empty"),
    ("{{ contact.birth|date('d/m/Y') }}", "22/10/1990"),
    ("{{ '2024-03-05 07:08:09'|date('D, jS F Y G:i:s A') }}", "Tue, 5th March 2024 7:08:09 AM"),
    ("{{ 1234567.891|number_format(2, ',', ' ') }}", "1 234 567,89"),
    ("{{ 2.5|number_format }} {{ -2.5|number_format }}", "3 -3"),
    ("{{ 'Hello World'|replace({'Hello': 'Bye', 'World': 'all'}) }}", "Bye all"),
    ("{{ 'aab'|replace({'a': 'b', 'b': 'a'}) }}", "bba"),
    ("{{ [3, 1, 2]|sort|join(', ', ' and ') }}", "1, 2 and 3"),
    ("{{ contact_metas|keys|join(',') }}", "id,name,number"),
    ("{{ 'a,b,c'|split(',', 2)|last }} {{ 'abc'|split('')|first }}", "b,c a"),
    ("{{ 'a,b,c'|split(',', -1)|join('+') }}", "a+b"),
    (
        (
            "{{ 'x'|default('d') }}{{ contact.nope|default('d') }}"
            "{{ ''|default('e') }}{{ '0'|default('f') }}"
        ),
        "xde0",
    ),
    ("{{ max(1, 5, 3) }}{{ min([4, 2]) }}{{ max('10', 9) }}", "5210"),
    (
        (
            "{{ 2.5|round }} {{ 2.45|round(1) }} {{ 2.4|round(0, 'ceil') }}"
            " {{ 2.6|round(0, 'floor') }}"
        ),
        "3 2.5 3 2",
    ),
    (
        "{{ '<a href=\"x\">'|escape }} {{ 'a b&c/é'|url_encode }}",
        "&lt;a href=&quot;x&quot;&gt; a%20b%26c%2F%C3%A9",
    ),
    ("{{ {'a': 'x/y', 'b': 'é'}|json_encode }}", '{"a":"x\\/y","b":"\\u00e9"}'),
    (
        "{{ 'hello'|slice(1, 3) }} {{ 'hello'|slice(-2) }} {{ [1,2,3,4]|slice(1, -1)|join }}",
        "ell lo 23",
    ),
    ("[{{ '  x  '|trim }}][{{ 'xxaxx'|trim('x', 'left') }}]", "[x][axx]"),
    (
        "{{ 'jean dupont'|title }} {{ 'hELLO'|capitalize }} {{ -3|abs }} {{ '-2'|abs }}",
        "Jean Dupont Hello 3 2",
    ),
    (
        "{{ contact.firstname|length }}{{ contact.firstname|first }}{{ contact.firstname|last }}",
        "4Jn",
    ),
    ("{{ contact.firstname|reverse }} {{ [1, 2]|reverse|join }}", "naeJ 21"),
    ("{{ {'a': 1, 'b': 'x y'}|url_encode }}", "a=1&b=x%20y"),
    ("{{ '<p> a </p>  <p>b</p>'|spaceless }}", "<p> a </p><p>b</p>"),
    ("{{ range }}{{ date }}", ""),
    ("{{ random([7]) }}{{ random('z') }}{{ random(0) }}", "7z0"),
    ("{{ 'x' ~ contact_metas.id ~ contact_metas['name'] }}", "x3Doe"),
    ("{{ contact['firstname'] }}{{ [1, 2][1] }}{{ 'abc'[1] }}{{ [1][5] }}", "Jean2b"),
    ("{% if contact.missing is null %}null{% endif %}{% if '' is empty %}e{% endif %}", "nulle"),
]


@pytest.mark.parametrize(("template", "expected"), [case for case in CASES if case[1] is not None])
def test_renders_like_twig(template, expected):
    assert render(template, CONTACT, METAS) == expected


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__ }}",
        "{{ contact.__class__.__mro__ }}",
        "{{ contact.keys }}",
        "{{ contact.items }}",
        "{{ loop.cycle }}",
        "{{ cycler }}{{ lipsum }}{{ namespace }}{{ dict }}",
    ],
)
def test_no_python_attributes_are_reachable(template):
    assert render(template, CONTACT, METAS) == ""


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ contact.items() }}", "cannot render"),
        ("{{ contact.firstname.upper() }}", "cannot render"),
        ("{{ lipsum() }}", "cannot render"),
        ("{% macro m() %}{% endmacro %}", "not allowed"),
        ("{% include 'x' %}", "not allowed"),
        ("{% extends 'x' %}", "not allowed"),
        ("{% import 'x' as y %}", "not allowed"),
        ("{% with a = 1 %}{% endwith %}", "not allowed"),
        ("{% for i in [1] recursive %}{% endfor %}", "recursive"),
        ("{{ x|country_name }}", "No filter named"),
        ("{{ x|attr('y') }}", "No filter named"),
        ("{{ x|format('y') }}", "No filter named"),
        ("{{ 'a' * 3 }}", "unsupported operands"),
        ("{{ '%999999999d' % 1 }}", "unsupported operands"),
        ("{{ 1 % 0 }}", "modulo by zero"),
        ("{{ 1 / 0 }}", "cannot render"),
        ("{{ 10 ** 1000 }}", "too large"),
        ("{{ x.y(", "invalid template"),
        ("{% if %}", "invalid template"),
        ("{{ 'nonsense'|date }}", "as a date"),
        ("{{ 'x'|escape('js') }}", "not supported"),
        ("{{ 1|replace('a') }}", "mapping"),
        ("{{ [1, 'a']|sort }}", "cannot sort"),
    ],
)
def test_errors_are_template_errors(template, message):
    with pytest.raises(TemplateError, match=message):
        render(template, CONTACT, METAS)


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{% for i in range(1, 10**9) %}{% endfor %}", "range larger"),
        (
            "{% for i in range(1, 10000) %}{% for j in range(1, 10000) %}{% endfor %}{% endfor %}",
            "loop iterations",
        ),
        (
            "{% set l = range(1, 5000) %}{% for a in l %}{% for b in l %}{% endfor %}{% endfor %}",
            "loop iterations",
        ),
        ("{% for i in range(1, 9999) %}xxxx{% endfor %}", "rendered text longer"),
        ("{{ range(1, 9000)|join('-----') }}", "longer than"),
        ("{% set s = 'x' ~ range(1, 3000)|join %}{{ s ~ s ~ s ~ s ~ s }}", "longer than"),
    ],
)
def test_runaway_templates_stop_quickly(template, message):
    started = time.monotonic()
    with pytest.raises(TemplateError, match=message):
        render(template, {}, {})
    assert time.monotonic() - started < 2


def test_output_cap_boundary():
    assert len(render("{% for i in range(1, 1000) %}0123456789{% endfor %}", {}, {})) == MAX_OUTPUT
    with pytest.raises(TemplateError):
        render("{% for i in range(1, 1000) %}0123456789{% endfor %}!", {}, {})
    with pytest.raises(TemplateError):
        render("x" * (MAX_OUTPUT + 1), {}, {})


def test_compile_template_validates():
    compile_template("{{ contact.x }}")
    with pytest.raises(TemplateError):
        compile_template("{% if %}")


def test_php_date_escapes_and_codes():
    moment = datetime(2024, 2, 29, 13, 5, 9)  # noqa: DTZ001 - templates use local wall time
    assert php_date(moment, "Y-m-d H:i:s") == "2024-02-29 13:05:09"
    assert php_date(moment, r"\Y\e\s: y n/j L t N w z g h a") == "Yes: 24 2/29 1 29 4 4 59 1 01 pm"


@given(st.text(max_size=60))
def test_any_text_renders_or_raises_template_error(template):
    with contextlib.suppress(TemplateError):
        render(template, CONTACT, METAS)
