"""The SMS text of a mail: its subject and plain-text body, HTML stripped, the signature cut.

The body is the ``text/plain`` part when there is one, else the ``text/html`` part reduced to
its text (scripts and styles dropped, block elements as line breaks, entities decoded). The
signature starts at the first line that is exactly ``-- `` (RFC 3676) and is cut with what
follows. Trailing spaces go, runs of blank lines become one, and the result is cut to
``max_length`` characters.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from email.message import EmailMessage

__all__ = ["html_text", "mail_text", "strip_signature"]

_BLOCKS: Final = frozenset({
    "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
    "table", "ul", "ol", "hr",
})  # fmt: skip
_HIDDEN: Final = frozenset({"script", "style", "head", "title"})


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:  # noqa: ARG002 - HTMLParser's signature
        if tag in _HIDDEN:
            self._hidden += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(re.sub(r"[ \t\r\n]+", " ", data))


def html_text(html: str) -> str:
    """The visible text of an HTML document."""
    parser = _TextOnly()
    parser.feed(html)
    parser.close()
    lines = [line.strip() for line in "".join(parser.parts).split("\n")]
    return "\n".join(lines)


def strip_signature(text: str) -> str:
    """``text`` without its signature (from the first line that is exactly ``-- ``)."""
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if line.rstrip("\r") == "-- ":
            return "\n".join(lines[:index])
    return text


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def mail_text(message: EmailMessage, *, max_length: int = 1600) -> str:
    """The SMS text of ``message`` (see the module docstring); ``""`` when it has none."""
    subject = " ".join(str(message.get("Subject", "")).split())
    body = ""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is not None:
        try:
            content = part.get_content()
        except (LookupError, ValueError):  # an unknown charset or a broken encoding
            content = ""
        if isinstance(content, str):
            plain = html_text(content) if part.get_content_subtype() == "html" else content
            body = _tidy(strip_signature(plain.replace("\r\n", "\n")))
    text = f"{subject}\n{body}" if subject and body else subject or body
    return text[:max_length]
