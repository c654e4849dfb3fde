"""UCS-2 user data, read as UTF-16-BE so that surrogate pairs (emoji) survive.

Decision on damaged content: a lone surrogate (for instance a pair that a
sender split across two concatenated segments) or an odd trailing octet is
shown as U+FFFD rather than rejected. The PDU structure around it is sound, so
dropping the whole message would lose readable text; a str holding a lone
surrogate would later fail to encode as UTF-8 in the store or the HTTP API.
"""

from __future__ import annotations

__all__ = ["decode", "encode", "units"]


def decode(data: bytes) -> str:
    """UTF-16-BE octets to text; damaged code units become U+FFFD."""
    return data.decode("utf-16-be", "replace")


def encode(text: str) -> bytes:
    """Text to UTF-16-BE octets (astral characters become surrogate pairs)."""
    return text.encode("utf-16-be", "surrogatepass")


def units(text: str) -> int:
    """Number of UTF-16 code units `text` takes."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)
