"""E-mail to SMS: an SMTP listener (aiosmtpd) where mail to ``<number>@<domain>`` becomes an SMS.

A front door like the HTTP API: :mod:`~smsd.mailin.text` turns a mail into the SMS text
(subject and plain-text body, HTML stripped, signature cut at ``-- ``), and
:mod:`~smsd.mailin.listener` checks who may send (allowed envelope senders, SMTP AUTH with the
user's e-mail and API key, or an ``X-Api-Key`` header), answers refusals with an SMTP error
naming why, and hands accepted mail to the core (:func:`smsd.store.mailin.record_mail`), once
per Message-ID.
"""

from __future__ import annotations

from smsd.mailin.listener import MailListener
from smsd.mailin.text import mail_text

__all__ = ["MailListener", "mail_text"]
