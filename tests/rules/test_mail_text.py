"""The SMS text of a mail: subject and plain body, HTML stripped, signature cut."""

from __future__ import annotations

from email.message import EmailMessage

from smsd.mailin.text import html_text, mail_text, strip_signature


def _mail(subject: str | None, body: str, subtype: str = "plain") -> EmailMessage:
    message = EmailMessage()
    if subject is not None:
        message["Subject"] = subject
    message.set_content(body, subtype=subtype)
    return message


def test_subject_and_body() -> None:
    assert mail_text(_mail("Alert", "CPU hot\n\n\n\nfan 2 stopped  \n")) == (
        "Alert\nCPU hot\n\nfan 2 stopped"
    )


def test_signature_is_cut_at_dash_dash_space() -> None:
    body = "Door open\n-- \nThe monitoring team\n+33 1 23 45 67 89\n"
    assert mail_text(_mail(None, body)) == "Door open"
    assert strip_signature("a\n--\nb") == "a\n--\nb"  # only "-- " starts a signature


def test_html_is_reduced_to_its_text() -> None:
    html = (
        "<html><head><title>t</title><script>alert(1)</script></head><body>"
        "<h1>Report</h1><p>All <i>good</i> &lt;3</p><ul><li>a</li><li>b</li></ul></body></html>"
    )
    assert html_text(html).split() == ["Report", "All", "good", "<3", "a", "b"]
    assert mail_text(_mail("Daily", html, "html")) == "Daily\nReport\n\nAll good <3\n\na\n\nb"


def test_long_text_is_cut_and_empty_mail_is_empty() -> None:
    assert len(mail_text(_mail("x", "y" * 5000), max_length=160)) == 160
    assert mail_text(_mail(None, "\n\n")) == ""
