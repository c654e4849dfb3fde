"""The ``numbers_csv`` upload of ``POST /api/scheduled/``: numbers with per-number data.

Rules (RaspiSMS's): comma-separated, ``"`` quoting, UTF-8 (a leading byte-order mark is
dropped); the first record is the header and is always consumed; column 1 of every record must
be a valid international number (normalised to E.164), else the whole file is refused with
``Erreur à la ligne <n> colonne 1, numéro de téléphone invalide.``, where ``n`` counts records
and the header is record 1 (a blank record counts and fails: its number is empty); the other
columns become the number's data, keyed by the header name with non-word characters removed,
empty cells omitted; short records are padded with empty cells; a file with no data record gives
``no valid number in csv file.``. Duplicate header names pair like PHP's ``array_combine``: the
first position, the last value.

Intentional differences: a record with more cells than the header is refused with a clear
message (PHP 8 crashes with an HTTP 500 there); files that are not UTF-8, larger than
``max_bytes`` or with more than ``max_rows`` data records are refused. Trailing blank lines at
the very end of the file are ignored, where PHP fails on them like on a blank line in the middle.

`CsvError` messages are the text RaspiSMS puts after ``csv : `` in its error message.
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING

from smsd.phone import to_e164

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["MAX_BYTES", "MAX_ROWS", "CsvError", "parse_numbers_csv"]

MAX_BYTES = 2 * 1024 * 1024  # PHP's upload_max_filesize default
MAX_ROWS = 100_000
_NON_WORD = re.compile(r"\W")
_BOM = "\ufeff"


class CsvError(ValueError):
    """The CSV file is refused; the message is the reason shown to the client."""


def parse_numbers_csv(
    content: bytes | str,
    *,
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_ROWS,
    default_region: str | None = None,
) -> list[tuple[str, dict[str, str]]]:
    """Parse an uploaded numbers file into (E.164 number, data) pairs, in file order."""
    text = _decode(content, max_bytes)
    import csv  # noqa: PLC0415 - only a numbers_csv upload needs it

    reader = csv.reader(io.StringIO(text.rstrip("\r\n"), newline=""), strict=False)
    numbers: list[tuple[str, dict[str, str]]] = []
    header: list[str] | None = None
    try:
        for record_number, record in enumerate(reader, start=1):
            if header is None:
                header = record or [""]
                continue
            if len(numbers) >= max_rows:
                raise CsvError(f"le fichier contient plus de {max_rows} lignes.")
            numbers.append(_parse_record(record_number, header, record, default_region))
    except csv.Error as exc:  # NUL bytes, unterminated quotes at EOF with strict parsing
        raise CsvError(f"fichier CSV illisible : {exc}.") from exc
    if not numbers:
        raise CsvError("no valid number in csv file.")
    return numbers


def _decode(content: bytes | str, max_bytes: int) -> str:
    if isinstance(content, str):
        if len(content) > max_bytes:
            raise CsvError(f"le fichier dépasse {max_bytes} octets.")
        return content.removeprefix(_BOM)
    if len(content) > max_bytes:
        raise CsvError(f"le fichier dépasse {max_bytes} octets.")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CsvError("le fichier doit être encodé en UTF-8.") from exc


def _parse_record(
    record_number: int,
    header: list[str],
    record: list[str],
    default_region: str | None,
) -> tuple[str, dict[str, str]]:
    if len(record) > len(header):
        raise CsvError(
            f"Erreur à la ligne {record_number}, {len(record)} colonnes"
            f" pour {len(header)} colonnes d'en-tête."
        )
    cells = record + [""] * (len(header) - len(record))
    combined: Mapping[str, str] = dict(zip(header, cells, strict=True))
    items = iter(combined.items())
    _, raw_number = next(items)
    number = to_e164(raw_number, default_region)
    if number is None:
        raise CsvError(
            f"Erreur à la ligne {record_number} colonne 1, numéro de téléphone invalide."
        )
    data: dict[str, str] = {}
    for name, value in items:
        if value:
            data[_NON_WORD.sub("", name)] = value
    return number, data
