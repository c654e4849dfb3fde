"""GSM 7-bit default alphabet (3GPP TS 23.038 section 6.2) and septet packing.

Text <-> septets goes through C-level `codecs.charmap_*` calls and septets <->
octets through big-integer arithmetic (a bit string for packing, a few
mask-and-shift steps for unpacking), so neither direction loops over septets
in Python.

National language tables (23.038 annex A): single shift and locking shift for
Turkish, Spanish (single shift only, as in the spec) and Portuguese are used
when decoding a UDH that selects them (IEs 0x24 / 0x25), and may be chosen when
encoding.
"""

from __future__ import annotations

import codecs
from functools import cache

__all__ = [
    "DEFAULT_ALPHABET",
    "ESC",
    "EXTENSION",
    "LOCKING_SHIFT",
    "SINGLE_SHIFT",
    "decode_septets",
    "encodable",
    "encode_septets",
    "pack",
    "septet_length",
    "unpack",
]

ESC = 0x1B

#: The default alphabet, indexed by septet value; index 0x1B is the escape.
DEFAULT_ALPHABET = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)

#: The default alphabet extension table (reached through ESC).
EXTENSION: dict[int, str] = {
    0x0A: "\f",
    0x14: "^",
    0x28: "{",
    0x29: "}",
    0x2F: "\\",
    0x3C: "[",
    0x3D: "~",
    0x3E: "]",
    0x40: "|",
    0x65: "€",
}

_TURKISH_SINGLE = {
    **EXTENSION,
    0x47: "Ğ",
    0x49: "İ",
    0x53: "Ş",
    0x63: "ç",
    0x67: "ğ",
    0x69: "ı",  # noqa: RUF001 - dotless i is the Turkish letter itself
    0x73: "ş",
}
_SPANISH_SINGLE = {
    **EXTENSION,
    0x09: "ç",
    0x41: "Á",
    0x49: "Í",
    0x4F: "Ó",
    0x55: "Ú",
    0x61: "á",
    0x69: "í",
    0x6F: "ó",
    0x75: "ú",
}
_PORTUGUESE_SINGLE = {
    **EXTENSION,
    0x05: "ê",
    0x09: "ç",
    0x0B: "Ô",
    0x0C: "ô",
    0x0E: "Á",
    0x0F: "á",
    0x12: "Φ",
    0x13: "Γ",
    0x15: "Ω",
    0x16: "Π",
    0x17: "Ψ",
    0x18: "Σ",
    0x19: "Θ",
    0x1F: "Ê",
    0x41: "À",
    0x49: "Í",
    0x4F: "Ó",
    0x55: "Ú",
    0x5B: "Ã",
    0x5C: "Õ",
    0x61: "Â",
    0x69: "í",
    0x6F: "ó",
    0x75: "ú",
    0x7B: "ã",
    0x7C: "õ",
    0x7F: "â",
}

_ASCII_MIDDLE = " !\"#¤%&'()*+,-./0123456789:;<=>?"
_TURKISH_LOCKING = (
    "@£$¥€éùıòÇ\nĞğ\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bŞşßÉ" + _ASCII_MIDDLE + "İABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "çabcdefghijklmnopqrstuvwxyzäöñüà"
)
_PORTUGUESE_LOCKING = (
    "@£$¥êéúíóç\nÔô\rÁáΔ_ªÇÀ∞^\\€Ó|\x1bÂâÊÉ !\"#º%&'()*+,-./0123456789:;<=>?"
    "ÍABCDEFGHIJKLMNOPQRSTUVWXYZÃÕÚÜ§~abcdefghijklmnopqrstuvwxyzãõ`üà"
)

#: National single shift tables by national language identifier (23.038 6.2.1.2.4).
SINGLE_SHIFT: dict[int, dict[int, str]] = {
    0: EXTENSION,
    1: _TURKISH_SINGLE,
    2: _SPANISH_SINGLE,
    3: _PORTUGUESE_SINGLE,
}
#: National locking shift tables by national language identifier.
LOCKING_SHIFT: dict[int, str] = {
    0: DEFAULT_ALPHABET,
    1: _TURKISH_LOCKING,
    3: _PORTUGUESE_LOCKING,
}

assert all(len(table) == 128 for table in LOCKING_SHIFT.values())


@cache
def _encoding_map(locking: int, single: int) -> dict[int, int | bytes]:
    base = LOCKING_SHIFT[locking]
    mapping: dict[int, int | bytes] = {}
    for code, char in reversed(SINGLE_SHIFT[single].items()):
        mapping[ord(char)] = bytes((ESC, code))
    for code, char in enumerate(base):
        if code != ESC:
            mapping[ord(char)] = code
    return mapping


def encode_septets(text: str, locking: int = 0, single: int = 0) -> bytes:
    """Text to septet values (one per byte); extension characters take two.

    Raises:
        UnicodeEncodeError: a character has no GSM 7-bit representation; its
            `start` attribute gives the position.
    """
    return codecs.charmap_encode(text, "strict", _encoding_map(locking, single))[0]


def encodable(text: str, locking: int = 0, single: int = 0) -> bool:
    """Whether every character of `text` has a GSM 7-bit representation."""
    try:
        codecs.charmap_encode(text, "strict", _encoding_map(locking, single))
    except UnicodeEncodeError:
        return False
    return True


def septet_length(text: str) -> int:
    """Number of septets `text` takes in the default alphabet."""
    return len(encode_septets(text))


def decode_septets(septets: bytes, locking: int = 0, single: int = 0) -> str:
    """Septet values (each < 128) to text.

    An ESC followed by a code missing from the shift table shows the base
    table's character (23.038 6.2.1.1); ESC ESC and a dangling ESC show a space.
    """
    base = LOCKING_SHIFT.get(locking, DEFAULT_ALPHABET)
    if ESC not in septets:
        return codecs.charmap_decode(septets, "strict", base)[0]
    shift = SINGLE_SHIFT.get(single, EXTENSION)
    parts = septets.split(b"\x1b")
    out = [codecs.charmap_decode(parts[0], "strict", base)[0]]
    index = 1
    while index < len(parts):
        part = parts[index]
        index += 1
        if not part:  # ESC ESC, or a dangling ESC at the end
            out.append(" ")
            if index < len(parts):
                out.append(codecs.charmap_decode(parts[index], "strict", base)[0])
                index += 1
            continue
        out.append(shift.get(part[0]) or base[part[0]])
        out.append(codecs.charmap_decode(part[1:], "strict", base)[0])
    return "".join(out)


def _spread_steps(limit: int) -> tuple[tuple[int, int], ...]:
    """(shift, mask) steps that move septet i of a packed integer from bit 7i to bit 8i.

    Septet i must move i bits left. Taking the bits of i from the highest down,
    each step moves every septet whose index has that bit set by that power of
    two: within each block of 2**(k+1) septets the upper half slides up by 2**k
    into the gap the previous steps opened, so no two septets ever overlap.
    """
    steps = []
    for bit in reversed(range(limit.bit_length())):
        passed = ~((1 << (bit + 1)) - 1)  # index bits already applied by earlier steps
        mask = 0
        for index in range(limit):
            if index >> bit & 1:
                mask |= 0x7F << (7 * index + (index & passed))
        steps.append((1 << bit, mask))
    return tuple(steps)


#: Enough for 255 septets, the most a TP-UDL octet can announce.
_SPREAD_LIMIT = 256
_SPREAD = _spread_steps(_SPREAD_LIMIT)


def _gather_steps(spread: tuple[tuple[int, int], ...]) -> tuple[tuple[int, int], ...]:
    """The spreading steps undone, last first: septet i moves from bit 8i back to bit 7i."""
    return tuple((shift, mask << shift) for shift, mask in reversed(spread))


_GATHER = _gather_steps(_SPREAD)


def pack(septets: bytes, fill: int = 0) -> bytes:
    """Pack septets (each < 128) into octets, LSB first, after `fill` zero bits."""
    count = len(septets)
    if not count:
        return b"\x00" * ((fill + 7) // 8) if fill else b""
    spread = int.from_bytes(septets, "little")
    steps = _GATHER if count <= _SPREAD_LIMIT else _gather_steps(_spread_steps(count))
    for shift, mask in steps:
        if shift < count:
            moving = spread & mask
            spread = spread ^ moving | moving >> shift
    return (spread << fill).to_bytes((count * 7 + fill + 7) // 8, "little")


def unpack(octets: bytes, count: int, fill: int = 0) -> bytes:
    """Unpack `count` septets from `octets`, skipping `fill` leading bits.

    The caller guarantees `octets` holds at least `fill + 7 * count` bits.
    """
    if count <= 0:
        return b""
    packed = (int.from_bytes(octets, "little") >> fill) & ((1 << 7 * count) - 1)
    steps = _SPREAD if count <= _SPREAD_LIMIT else _spread_steps(count)
    for shift, mask in steps:
        if shift < count:
            moving = packed & mask
            packed = packed ^ moving | moving << shift
    return packed.to_bytes(count, "little")
