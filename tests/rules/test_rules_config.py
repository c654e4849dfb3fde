"""The issue's configuration forms load as written; bad values are refused naming file and key."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from smsd.config import ConfigError, TcpListen, load_config, render
from smsd.config.inbound import EmailInConfig, SmtpConfig
from smsd.matching import RULE_KEYS, Command

USER = """
[[users]]
email = "admin@example.org"
api_key = "0123456789abcdef0123456789abcdef"
"""

ISSUE_FORMS = """
[[users]]
email = "admin@example.org"
api_key = "0123456789abcdef0123456789abcdef"
transfer = true                    # RaspiSMS's setting: every received SMS is mailed to this e-mail

[[rules]]
user = "admin@example.org"         # whose incoming messages this rule sees
keyword = "INFO"                   # first word, any case; or match = "regex"
reply = "Hello {{ contact.name }}" # auto-reply template

[[commands]]
name = "reboot-router"
argv = ["/usr/local/bin/reboot-router"]
password = "correct-horse"         # the SMS is "<password>:<name>"
allowed_numbers = ["+33612345678"]
reply = true                       # send the (bounded) output back by SMS
timeout = 30

[smtp]
host = "127.0.0.1"
port = 25
from = "smsd@example.org"          # plus username, password, starttls, tls

[email_in]
enabled = true
listen = "127.0.0.1:2525"
domain = "sms.local"               # mail to <number>@sms.local becomes an SMS
allowed_senders = ["monitor@example.org"]
"""


def _load(tmp_path, text: str):
    path = tmp_path / "smsd.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def test_the_issue_forms_load_as_written(tmp_path) -> None:
    config = _load(tmp_path, ISSUE_FORMS)
    assert config.users[0].transfer is True
    [rule] = config.rules
    assert (rule.user, rule.rule.keyword, rule.rule.reply) == (
        "admin@example.org",
        "INFO",
        "Hello {{ contact.name }}",
    )
    [command] = config.commands
    assert command.argv == ("/usr/local/bin/reboot-router",)
    assert (command.name, command.reply, command.timeout) == ("reboot-router", True, 30.0)
    assert command.allowed_numbers == ("+33612345678",)
    assert config.smtp is not None
    assert (config.smtp.host, config.smtp.port, config.smtp.from_address) == (
        "127.0.0.1",
        25,
        "smsd@example.org",
    )
    assert config.email_in.enabled
    assert config.email_in.listen == TcpListen("127.0.0.1", 2525)
    assert config.email_in.allowed_senders == ("monitor@example.org",)


def test_defaults_mail_nothing_and_listen_nowhere(tmp_path) -> None:
    config = _load(tmp_path, USER)
    assert (config.rules, config.commands, config.smtp) == ((), (), None)
    assert not config.email_in.enabled
    assert config.users[0].transfer is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[rules]]\nuser = "nobody@example.org"\nreply = "x"\n',
         "rules[0].user: no [[users]] entry has e-mail"),
        ('[[rules]]\nuser = "admin@example.org"\nemail = "ops@example.org"\n',
         "rules[0].email: needs an [smtp] section"),
        ('[[rules]]\nuser = "admin@example.org"\nmatch = "("\nreply = "x"\n',
         "rules[0].match: is not a regular expression"),
        ('[[rules]]\nuser = "admin@example.org"\nreplyy = "x"\n',
         'rules[0].replyy: unknown key (did you mean "reply"?)'),
        ('[[rules]]\nuser = "admin@example.org"\nkeyword = "x"\n',
         "rules[0].reply: a rule needs an action"),
        (('[[commands]]\nname = "a"\nargv = ["reboot"]\npassword = "longenough"\n'
         'allowed_numbers = ["+33612345678"]\n'), "commands[0].argv: the program must"),
        (('[[commands]]\nname = "a"\nargv = ["/bin/true"]\npassword = "short"\n'
         'allowed_numbers = ["+33612345678"]\n'), "commands[0].password: must be at least 8"),
        (('[[commands]]\nname = "a"\nargv = ["/bin/true"]\npassword = "long:enough"\n'
         'allowed_numbers = ["+33612345678"]\n'), "commands[0].password: must not contain ':'"),
        ('[[commands]]\nname = "a"\nargv = ["/bin/true"]\npassword = "longenough"\n',
         "commands[0].allowed_numbers: is required"),
        ('[smtp]\nhost = "127.0.0.1"\n', "smtp.from: is required"),
        ('[smtp]\nfrom = "a@b.org"\ntls = true\nstarttls = true\n', "smtp.starttls: cannot be"),
        ('[smtp]\nfrom = "a@b.org"\nport = 0\n', "smtp.port: must be a port"),
        ('[email_in]\nlisten = "2525"\n', 'email_in.listen: must be "host:port"'),
        ('[email_in]\ndomain = "bad domain"\n', "email_in.domain: must be a domain name"),
        ('[[users]]\nemail = "b@example.org"\napi_key = "' + "b" * 32 + '"\ntransfer = true\n',
         "users[1].transfer: needs an [smtp] section"),
    ],
)  # fmt: skip
def test_bad_values_are_refused_naming_the_key(tmp_path, text, message) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, USER + text)
    assert message in str(caught.value)
    assert "smsd.toml" in str(caught.value)


def test_check_config_renders_the_sections_back(tmp_path) -> None:
    config = _load(tmp_path, ISSUE_FORMS)
    shown = render(config)
    assert "correct-horse" not in shown
    again = _load(tmp_path, render(config, mask=False))
    assert (again.rules, again.commands, again.smtp, again.email_in) == (
        config.rules,
        config.commands,
        config.smtp,
        config.email_in,
    )


def test_the_example_documents_every_key() -> None:
    text = (Path(__file__).resolve().parents[2] / "config.example.toml").read_text("utf-8")
    keys = {
        "rules": ["user", *RULE_KEYS],
        "commands": [f.name for f in dataclasses.fields(Command)],
        "smtp": [f.name.replace("from_address", "from") for f in dataclasses.fields(SmtpConfig)],
        "email_in": [f.name for f in dataclasses.fields(EmailInConfig)],
    }
    for section, names in keys.items():
        assert re.search(rf"^# \[\[?{section}\]\]?$", text, re.MULTILINE), section
        for name in names:
            assert re.search(rf"^# {name} = ", text, re.MULTILINE), f"{section}.{name}"
