"""``[[rules]]``, ``[[commands]]``, ``[smtp]`` and ``[email_in]`` back as TOML (check-config)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from smsd.matching import definition_of

if TYPE_CHECKING:
    from collections.abc import Callable

    from smsd.config.settings import Config

__all__ = ["render_inbound"]


def render_inbound(config: Config, *, mask: bool, toml: Callable[[object], str]) -> list[str]:
    """The sections' lines (absent sections left out), passwords masked when ``mask``."""

    def value(item: object) -> str:
        return toml(tuple(item) if isinstance(item, list) else item)

    out: list[str] = []
    for rule in config.rules:
        out += ["", "[[rules]]", f"user = {toml(rule.user)}"]
        out += [f"{key} = {value(item)}" for key, item in definition_of(rule.rule).items()]
    for command in config.commands:
        password = "********" if mask else command.password
        out += [
            "", "[[commands]]", f"name = {toml(command.name)}", f"argv = {toml(command.argv)}",
            f"password = {toml(password)}",
            f"allowed_numbers = {toml(command.allowed_numbers)}",
            f"reply = {toml(command.reply)}", f"timeout = {toml(command.timeout)}",
        ]  # fmt: skip
    smtp = config.smtp
    if smtp is not None:
        out += ["", "[smtp]", f"host = {toml(smtp.host)}", f"port = {toml(smtp.port)}",
                f"from = {toml(smtp.from_address)}"]  # fmt: skip
        if smtp.username is not None and smtp.password is not None:
            password = "********" if mask else smtp.password
            out += [f"username = {toml(smtp.username)}", f"password = {toml(password)}"]
        if smtp.starttls is not None:
            out.append(f"starttls = {toml(smtp.starttls)}")
        out += [f"tls = {toml(smtp.tls)}", f"timeout = {toml(smtp.timeout)}"]
    mail_in = config.email_in
    if mail_in.enabled:
        out += [
            "", "[email_in]", f"enabled = {toml(mail_in.enabled)}",
            f"listen = {toml(str(mail_in.listen))}", f"domain = {toml(mail_in.domain)}",
            f"allowed_senders = {toml(mail_in.allowed_senders)}",
            f"max_size = {toml(mail_in.max_size)}", f"max_length = {toml(mail_in.max_length)}",
        ]  # fmt: skip
    return out
