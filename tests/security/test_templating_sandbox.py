"""Message templates run in Jinja2's sandbox with a time and size bound: a template that never
ends stops with a clear error, one that reaches for files or Python internals gets nothing."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from smsd.templating import TemplateError, render

PASSWD_START = "root:"  # noqa: S105 - the start of /etc/passwd on any Unix, not a password


@pytest.mark.parametrize(
    "template",
    [
        (
            "{% for a in range(1, 10000) %}{% for b in range(1, 10000) %}"
            "{% for c in range(1, 10000) %}{% endfor %}{% endfor %}{% endfor %}"
        ),
        (
            "{% set l = range(1, 9999) %}{% for a in l %}{% for b in l %}{{ '' }}{% endfor %}"
            "{% endfor %}"
        ),
        (
            "{% for a in range(1, 9999) %}{% for b in range(1, 9999) %}{% if a > b %}{% endif %}"
            "{% endfor %}{% endfor %}"
        ),
    ],
)
def test_a_template_that_never_ends_is_stopped(template: str) -> None:
    started = time.monotonic()
    with pytest.raises(TemplateError):
        render(template, {}, {})
    assert time.monotonic() - started < 10  # bounded (1 s budget; generous for a loaded CI)


@pytest.mark.parametrize(
    "template",
    [
        "{% include '/etc/passwd' %}",
        "{% import '/etc/passwd' as p %}",
        "{% extends '/etc/passwd' %}",
        "{% from '/etc/passwd' import x %}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ self._TemplateReference__context }}",
        "{{ cycler.__init__.__globals__.os.popen('cat /etc/passwd').read() }}",
        "{{ joiner.__init__.__globals__ }}",
        "{{ namespace.__init__.__globals__.os }}",
        "{{ lipsum.__globals__['os'].popen('id').read() }}",
        "{{ config }}{{ request }}{{ self }}",
        "{{ contact.__class__.__init__.__globals__ }}",
        "{{ open('/etc/passwd').read() }}",
        "{{ __import__('os').system('id') }}",
    ],
)
def test_a_template_cannot_read_files_or_reach_python(template: str) -> None:
    assert Path("/etc/passwd").read_text(encoding="utf-8").startswith(PASSWD_START)
    try:
        text = render(template, {"firstname": "Ann"}, {})
    except TemplateError:
        return
    assert PASSWD_START not in text
    assert "<module" not in text
    assert "function" not in text
    assert "uid=" not in text
