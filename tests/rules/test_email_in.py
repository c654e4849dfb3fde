"""E-mail to SMS through the daemon: aiosmtplib into the [email_in] listener, SMS over a pty."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib
import pytest
from rules_rig import API_KEY, EMAIL, settle
from support.polling import until

from smsd.store.passwords import set_password

NUMBER = "+33612345678"
EMAIL_IN = """
[email_in]
enabled = true
listen = "127.0.0.1:0"
domain = "sms.local"
allowed_senders = ["monitor@example.org"]
"""


def _mail(subject: str = "Disk full", body: str = "server1 is at 99%\n", **headers) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "monitor@example.org"
    message["To"] = f"{NUMBER}@sms.local"
    message["Subject"] = subject
    message["Message-ID"] = headers.pop("message_id", "<alert-1@monitor.example.org>")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


async def _send(rig, message: EmailMessage, **options):
    host, port = rig.daemon._mail_in.address.rsplit(":", 1)
    options.setdefault("sender", "monitor@example.org")
    return await aiosmtplib.send(message, hostname=host, port=int(port), timeout=10, **options)


async def test_a_mail_to_number_at_domain_is_sent_as_an_sms_once(rig) -> None:
    await rig.start(EMAIL_IN)
    message = _mail(
        body="server1 is at 99%\n\n-- \nMonitoring robot\nhttps://monitor.example.org\n"
    )
    _errors, answer = await _send(rig, message, username=EMAIL, password=API_KEY)
    assert answer.startswith("2.0.0 OK: queued as")
    await until(lambda: rig.sent_texts(to=NUMBER))
    # The client did not hear the answer and sends the same mail again: no second SMS.
    _errors, again = await _send(rig, message, username=EMAIL, password=API_KEY)
    assert again == "2.0.0 OK: already queued"
    await settle(1.5)
    assert rig.sent_texts(to=NUMBER) == ["Disk full\nserver1 is at 99%"]
    [row] = await rig.db.fetchall(
        "SELECT s.destination, s.state, c.kind FROM sended AS s "
        "JOIN rule_cause AS c ON c.id_scheduled = s.originating_scheduled"
    )
    assert (row["destination"], row["kind"]) == (NUMBER, "email")


async def test_an_api_key_header_is_enough_and_html_is_stripped(rig) -> None:
    await rig.start(EMAIL_IN)
    message = EmailMessage()
    message["From"] = "monitor@example.org"
    message["To"] = f"{NUMBER}@sms.local"
    message["Subject"] = "Backup"
    message["X-Api-Key"] = API_KEY
    message.set_content("Backup done")
    message.add_alternative(
        "<html><head><style>p {color: red}</style></head>"
        "<body><p>Backup <b>failed</b> &amp; retried</p></body></html>",
        subtype="html",
    )
    # multipart/alternative: the plain part wins; an HTML-only mail is reduced to its text.
    await _send(rig, message)
    html_only = EmailMessage()
    html_only["From"] = "monitor@example.org"
    html_only["Subject"] = "Report"
    html_only["X-Api-Key"] = API_KEY
    html_only.set_content(
        "<html><head><style>p {color: red}</style></head>"
        "<body><p>Backup <b>failed</b> &amp; retried</p></body></html>",
        subtype="html",
    )
    await _send(rig, html_only, recipients=["+33698765432@SMS.local"])
    await until(lambda: rig.sent_texts(to=NUMBER) and rig.sent_texts(to="+33698765432"))
    assert rig.sent_texts(to=NUMBER) == ["Backup\nBackup done"]
    assert rig.sent_texts(to="+33698765432") == ["Report\nBackup failed & retried"]


@pytest.mark.parametrize(
    ("options", "headers", "error", "code", "why"),
    [
        ({"sender": "intruder@example.org"}, {}, aiosmtplib.SMTPSenderRefused, 550,
         "not allowed"),
        ({"recipients": ["+33612345678@elsewhere.org"]}, {}, aiosmtplib.SMTPRecipientsRefused,
         550, "only mail to <number>@sms.local"),
        ({"recipients": ["boss@sms.local"]}, {}, aiosmtplib.SMTPRecipientsRefused, 553,
         "not a phone number"),
        ({}, {}, aiosmtplib.SMTPDataError, 530, "Authentication required"),
        ({}, {"X_Api_Key": "f" * 32}, aiosmtplib.SMTPDataError, 535, "X-Api-Key"),
        ({"username": EMAIL, "password": "f" * 32}, {}, aiosmtplib.SMTPAuthenticationError, 535,
         "do not match"),
        ({"username": "other@example.org", "password": API_KEY}, {},
         aiosmtplib.SMTPAuthenticationError, 535, "do not match"),
    ],
    ids=["sender", "domain", "number", "no-auth", "bad-header", "bad-key", "wrong-email"],
)  # fmt: skip
async def test_refused_mail_gets_an_smtp_error_naming_why(  # noqa: PLR0917 - parametrised
    rig, options, headers, error, code, why
) -> None:
    await rig.start(EMAIL_IN)
    with pytest.raises(error) as caught:
        await _send(rig, _mail(**headers), **options)
    found = caught.value
    if isinstance(found, aiosmtplib.SMTPRecipientsRefused):
        found = found.recipients[0]
    assert found.code == code
    assert why in found.message
    await settle(0.3)
    assert rig.sent() == []
    assert (await rig.db.fetchone("SELECT count(*) FROM scheduled"))[0] == 0


async def test_smtp_auth_with_the_users_password(rig) -> None:
    await rig.start(EMAIL_IN)
    secret, wrong = "a long mail password", "not the password"
    await set_password(rig.db, EMAIL, secret)
    with pytest.raises(aiosmtplib.SMTPAuthenticationError):
        await _send(rig, _mail(), username=EMAIL, password=wrong)
    message = _mail(message_id="<pw-1@monitor.example.org>")
    _errors, answer = await _send(rig, message, username=EMAIL, password=secret)
    assert answer.startswith("2.0.0 OK: queued as")
    await until(lambda: rig.sent_texts(to=NUMBER))
    assert rig.sent_texts(to=NUMBER) == ["Disk full\nserver1 is at 99%"]
