"""Final result codes of the virtual modem: ``OK``, ``ERROR``, ``+CME ERROR``, ``+CMS ERROR``.

``AT+CMEE`` decides how a failure reads (27.007 §9.1): 0 = plain ``ERROR``, 1 = numeric code,
2 = verbose text, with the 27.005/27.007 names of :mod:`smsd.at.errors` (a code without a
name is printed as a number).
"""

from __future__ import annotations

import enum

from smsd.at.errors import CME_NAMES, CMS_NAMES


class ErrorKind(enum.Enum):
    """Which family of final result a refusal belongs to."""

    PLAIN = "ERROR"
    UNSUPPORTED = "unsupported"
    CME = "+CME ERROR"
    CMS = "+CMS ERROR"


class Refusal(Exception):  # noqa: N818 - a modem's answer, not an error of ours
    """A command is refused; the responder turns it into the final result line."""

    def __init__(self, kind: ErrorKind, code: int = 0) -> None:
        super().__init__(f"{kind.value}: {code}")
        self.kind = kind
        self.code = code

    @classmethod
    def cme(cls, code: int) -> Refusal:
        """A ``+CME ERROR`` (equipment, SIM)."""
        return cls(ErrorKind.CME, code)

    @classmethod
    def cms(cls, code: int) -> Refusal:
        """A ``+CMS ERROR`` (SMS service)."""
        return cls(ErrorKind.CMS, code)

    @classmethod
    def plain(cls) -> Refusal:
        """A bare ``ERROR`` (syntax error, bad argument)."""
        return cls(ErrorKind.PLAIN)

    @classmethod
    def unsupported(cls) -> Refusal:
        """An unknown command (``ERROR``, or the vendor's word such as ``COMMAND NOT SUPPORT``)."""
        return cls(ErrorKind.UNSUPPORTED)

    def line(self, cmee: int, *, unsupported: str = "ERROR") -> str:
        """The final result line for the current ``AT+CMEE`` level."""
        if self.kind is ErrorKind.UNSUPPORTED:
            return unsupported
        if self.kind is ErrorKind.PLAIN or cmee == 0:
            return "ERROR"
        if cmee == 2:
            # The same 27.005/27.007 names the host's parser maps back to codes.
            table = CME_NAMES if self.kind is ErrorKind.CME else CMS_NAMES
            return f"{self.kind.value}: {table.get(self.code, self.code)}"
        return f"{self.kind.value}: {self.code}"


__all__ = ["ErrorKind", "Refusal"]
