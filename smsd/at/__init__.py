"""AT command protocol (3GPP TS 27.005 / 27.007).

Sans-I/O core (`lines`, `codes`, `channel`, `commands`, `errors`, `events`)
and one asyncio module, `smsd.at.transport`, which is not imported here so
that importing `smsd.at` pulls in no asyncio.
"""

from smsd.at.channel import AtChannel, State
from smsd.at.errors import (
    AtError,
    AtTimeout,
    ChannelClosed,
    CmeError,
    CmsError,
    CommandFailed,
    MalformedResponse,
    ProtocolViolation,
    UsageError,
    cme_name,
    cms_name,
)
from smsd.at.events import Echo, Event, Final, Garbage, Info, Prompt, Urc
from smsd.at.lines import LineSplitter

__all__ = [
    "AtChannel",
    "AtError",
    "AtTimeout",
    "ChannelClosed",
    "CmeError",
    "CmsError",
    "CommandFailed",
    "Echo",
    "Event",
    "Final",
    "Garbage",
    "Info",
    "LineSplitter",
    "MalformedResponse",
    "Prompt",
    "ProtocolViolation",
    "State",
    "Urc",
    "UsageError",
    "cme_name",
    "cms_name",
]
