"""The RaspiSMS door's extension parameters for the core's send options.

``sandbox`` (simulated: validated, counted, listed, delivered, never on a modem, never charged),
``commercial`` (held during quiet hours; absent: the user's ``commercial`` setting), ``sender``
(3-11 letters and digits or a number of 3-14 digits; stored and listed, but a GSM modem always
sends from its SIM's number, so that is what recipients see) and ``stop_mention`` (append the
``[stop] mention`` text, counted in the segments). Booleans follow PHP's truthiness.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from smsd.api.envelope import ApiError, ErrorCode
from smsd.api.forms import php_bool
from smsd.api.routing import Param
from smsd.rules.senders import SenderError, check_sender

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["OPTION_FIELDS", "SendOptions", "send_options"]


@dataclass(frozen=True)
class SendOptions:
    """What a request asked of the core beyond the message itself."""

    sandbox: bool = False
    commercial: bool | None = None
    sender: str | None = None
    stop_mention: bool = False


def send_options(form: Mapping[str, object]) -> SendOptions:
    """Read the options; error 2 naming ``sender`` when it breaks the providers' rules."""
    raw_sender = form.get("sender")
    sender = None
    if php_bool(raw_sender):
        if not isinstance(raw_sender, str):
            raise ApiError(ErrorCode.INVALID_PARAMETER, "sender : sender must be a string.")
        try:
            sender = check_sender(raw_sender)
        except SenderError as exc:
            raise ApiError(ErrorCode.INVALID_PARAMETER, f"sender : {exc}.") from exc
    commercial = form.get("commercial")
    return SendOptions(
        sandbox=php_bool(form.get("sandbox")),
        commercial=None if commercial is None or commercial == "" else php_bool(commercial),
        sender=sender,
        stop_mention=php_bool(form.get("stop_mention")),
    )


OPTION_FIELDS = (
    Param("sandbox", "form", "boolean", description="simulate: never sent, never charged (smsd)"),
    Param("commercial", "form", "boolean", description="held during quiet hours (smsd)"),
    Param("sender", "form", description="sender name, stored; recipients see the SIM (smsd)"),
    Param("stop_mention", "form", "boolean", description="append the STOP mention (smsd)"),
)
