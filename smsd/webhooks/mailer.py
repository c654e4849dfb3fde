"""Mail from the webhook outbox: events whose target is ``mailto:<address>`` go out by SMTP.

SMS forwarded by e-mail (a rule's ``email`` action, RaspiSMS's ``transfer`` setting) are rows of
the same outbox as webhook posts (:mod:`smsd.store.webhooks`), written in the transaction that
handled the received message; :class:`~smsd.webhooks.sender.WebhookSender` hands each due one to
:meth:`Mailer.send`, and a mail server that is down or refuses is retried with the same backoff
as a webhook receiver, until ``[webhooks] max_age``. The body of such an event is
``{"to": …, "subject": …, "text": …}``.
"""

from __future__ import annotations

import json
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from smsd.config.inbound import SmtpConfig
    from smsd.store.webhooks import EventRow

__all__ = ["MAILTO", "Mailer", "build_mail"]

MAILTO = "mailto:"


def build_mail(event: EventRow, sender: str) -> EmailMessage:
    """The message of a ``mailto:`` event; ``ValueError`` for a body smsd never writes."""
    body = json.loads(event.body)
    if not isinstance(body, dict):
        raise TypeError("a mail event's body is a JSON object")
    message = EmailMessage()
    message["From"] = sender
    message["To"] = str(body.get("to") or event.url.removeprefix(MAILTO))
    message["Subject"] = str(body.get("subject", "SMS"))
    message["Date"] = formatdate(event.timestamp, localtime=True)
    domain = sender.rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(idstring=f"event-{event.id}", domain=domain)
    message["X-Smsd-Event-Id"] = event.random_id
    message.set_content(str(body.get("text", "")))
    return message


class Mailer:
    """Sends the mails of ``mailto:`` events through the ``[smtp]`` server."""

    def __init__(self, config: SmtpConfig) -> None:
        self._config = config

    async def send(self, event: EventRow) -> str | None:
        """One attempt; ``None`` when the server accepted the mail, else what went wrong."""
        import aiosmtplib  # noqa: PLC0415 - loaded with the first mail: a run sending none never needs it

        config = self._config
        try:
            message = build_mail(event, config.from_address)
            await aiosmtplib.send(
                message,
                hostname=config.host,
                port=config.port,
                username=config.username,
                password=config.password,
                use_tls=config.tls,
                start_tls=config.starttls,
                timeout=config.timeout,
            )
        except aiosmtplib.SMTPResponseException as exc:
            return f"SMTP {exc.code}: {exc.message}"
        except (aiosmtplib.SMTPException, OSError) as exc:
            return f"{type(exc).__name__}: {exc}"
        except (TypeError, ValueError) as exc:
            return f"bad mail event: {exc}"
        return None
