"""Final result codes of the virtual modem: ``OK``, ``ERROR``, ``+CME ERROR``, ``+CMS ERROR``.

``AT+CMEE`` decides how a failure reads (27.007 §9.1): 0 = plain ``ERROR``, 1 = numeric code,
2 = verbose text. Codes without a text below are printed as numbers even in verbose mode.
"""

from __future__ import annotations

import enum

# 27.007 §9.2 (+CME ERROR) texts for the codes the virtual modem gives.
CME_TEXT: dict[int, str] = {
    3: "operation not allowed",
    4: "operation not supported",
    10: "SIM not inserted",
    11: "SIM PIN required",
    12: "SIM PUK required",
    13: "SIM failure",
    14: "SIM busy",
    16: "incorrect password",
    21: "invalid index",
    30: "no network service",
    50: "incorrect parameters",
    100: "unknown",
}

# 27.005 §3.2.5 (+CMS ERROR) and 24.011 RP-cause texts.
CMS_TEXT: dict[int, str] = {
    1: "unassigned (unallocated) number",
    8: "operator determined barring",
    10: "call barred",
    21: "short message transfer rejected",
    27: "destination out of service",
    28: "unidentified subscriber",
    29: "facility rejected",
    30: "unknown subscriber",
    38: "network out of order",
    41: "temporary failure",
    42: "congestion",
    47: "resources unavailable, unspecified",
    50: "requested facility not subscribed",
    300: "ME failure",
    302: "operation not allowed",
    303: "operation not supported",
    304: "invalid PDU mode parameter",
    310: "SIM not inserted",
    311: "SIM PIN required",
    313: "SIM failure",
    314: "SIM busy",
    316: "SIM PUK required",
    320: "memory failure",
    321: "invalid memory index",
    322: "memory full",
    330: "SMSC address unknown",
    331: "no network service",
    332: "network timeout",
    340: "no +CNMA acknowledgement expected",
    500: "unknown error",
}


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
            table = CME_TEXT if self.kind is ErrorKind.CME else CMS_TEXT
            return f"{self.kind.value}: {table.get(self.code, self.code)}"
        return f"{self.kind.value}: {self.code}"


__all__ = ["CME_TEXT", "CMS_TEXT", "ErrorKind", "Refusal"]
