"""The exception tree of smsd.

Every foreign exception (``serial.SerialException``, ``OSError``, ``sqlite3.Error``, aiohttp errors)
is translated into one of these at the layer boundary that meets it, with the cause chained.
The codec (``smsd.pdu``) and the AT protocol (``smsd.at``) keep their own small error modules.
"""

from __future__ import annotations


class SmsdError(Exception):
    """Base of every error smsd raises on purpose."""


class ConfigError(SmsdError):
    """The configuration file is unreadable or invalid; the message names the file, line or key."""


class StoreError(SmsdError):
    """The database refused an operation (disk full, read-only, corrupt)."""


class ModemError(SmsdError):
    """Something went wrong with a modem; ``modem`` names it."""

    def __init__(self, message: str, *, modem: str = "") -> None:
        super().__init__(message)
        self.modem = modem


class PortError(ModemError):
    """The serial port could not be opened, or vanished (USB unplug)."""


class ModemUnavailableError(ModemError):
    """The modem is not ready to take work (not connected, resetting, SIM not ready)."""


class SimError(ModemError):
    """The SIM needs a PIN or PUK we cannot give, is missing, or refused the PIN.

    smsd never retries a refused PIN: a third wrong PIN would block the SIM.
    """


class SendError(ModemError):
    """A segment could not be submitted.

    ``permanent`` says whether trying again (on this or another modem) can help: an invalid
    destination is permanent, a network hiccup (``+CMS ERROR: 500``, a timeout) is not.
    ``sent_references`` are the references of the segments submitted before the failure.
    """

    def __init__(
        self,
        message: str,
        *,
        modem: str = "",
        permanent: bool,
        code: int | None = None,
        sent_references: tuple[int, ...] = (),
        uncertain: bool = False,
    ) -> None:
        super().__init__(message, modem=modem)
        self.permanent = permanent
        self.code = code
        self.sent_references = sent_references
        self.uncertain = uncertain


class PinRefusedError(SimError):
    """The SIM refused the configured PIN, or wants a PUK: an operator must act.

    The modem stays down until the configuration changes; smsd never tries the PIN again.
    """


class UssdError(ModemError):
    """A USSD request failed: the modem refused it, or the network did not answer in time.

    ``timed_out`` is set when no answer came before the timeout (the session was cancelled).
    """

    def __init__(self, message: str, *, modem: str = "", timed_out: bool = False) -> None:
        super().__init__(message, modem=modem)
        self.timed_out = timed_out


class UssdRequestError(SmsdError):
    """A USSD request cannot be taken.

    No such running phone or session, a session already open on the phone, a session not
    waiting for a reply, or (``invalid`` set) a string that cannot be sent.
    """

    def __init__(self, message: str, *, invalid: bool = False) -> None:
        super().__init__(message)
        self.invalid = invalid
