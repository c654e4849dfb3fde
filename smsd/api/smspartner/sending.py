r"""``/v1/send`` parameters checked SMSPartner's way, every violated constraint listed at once.

Pure: values in (the merged parameters, the default region, the local wall time ``now``), a
:class:`SendRequest` or a :class:`~smsd.api.smspartner.replies.PartnerError` out. The checks:

- ``phoneNumbers``: comma-separated; none at all is code 2, more than 500 code 50; each number
  libphonenumber does not accept (national numbers of ``[api.smspartner] default_region``,
  international ``+…`` numbers) is one code 9 entry; repeated numbers are sent to once;
- ``message``: required; ``:br:`` becomes a line break written CR LF (two characters, as
  SMSPartner counts it), ``:euro:`` becomes ``€``, ``\"`` becomes ``"``; in a form or query
  string a ``"`` left unescaped is refused (JSON bodies escape it by their own syntax);
- ``sender``: 3 to 11 characters (SMSPartner's bounds) that the core's sender rule accepts
  (letters, digits and spaces, or a number); the name is stored, recipients see the SIM's
  number;
- ``tag``: at most 20 characters, no space, lower case;
- ``scheduledDeliveryDate`` (``dd/mm/YYYY``) with ``time`` (0-24) and ``minute`` (0-55 by
  fives), both required with a date; a moment already past is refused;
- ``gamme`` 1 (premium) or 2 (low cost: one SMS of at most 160 characters, code 42);
- more than 10 SMS per recipient is code 52 (the STOP mention ``isStopSms`` appends counted).

Unless ``isUnicode`` is 1, the characters SMSPartner's table lists are replaced as it replaces
them (``ê`` → ``e``, ``[`` → ``(``, ``œ`` → ``oe``, ``^`` dropped …), so French text stays in
the GSM alphabet; with ``isUnicode`` 1 the text is sent as written. Either way the modem sends
GSM 7-bit when every character allows it, UCS-2 otherwise, and ``nb_sms`` counts the parts it
sends (160/153 or 70/67 characters). ``isStopSms``, ``isUnicode`` and ``sandbox`` take
``1``/``true``; ``virtualNumber`` is accepted and has no effect (the SIM cards are the
numbers).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from smsd.api.smspartner.replies import FieldError, PartnerError
from smsd.pdu.errors import PduEncodeError
from smsd.pdu.segments import count
from smsd.phone import to_e164
from smsd.rules.senders import SenderError, check_sender
from smsd.store.scheduled import with_mention

__all__ = ["MAX_NUMBERS", "SendRequest", "flag", "parse_send", "partner_text"]

MAX_NUMBERS = 500
MAX_SMS = 10
LOW_COST_LENGTH = 160
MAX_TAG = 20
_DATE = re.compile(r"(\d{2})/(\d{2})/(\d{4})")
_INTEGER = re.compile(r"\s*[0-9]{1,4}\s*")
_REPLACED = str.maketrans(
    {
        "ą": "à", "ÿ": "y", "ç": "Ç", "û": "u", "ü": "u", "ï": "i", "ô": "o", "ö": "o",
        "ó": "o", "î": "i", "ë": "e", "ê": "e", "[": "(", "]": ")", "{": "(", "}": ")",
        "µ": "u", "Ä": "A", "À": "A", "Á": "A", "Â": "A", "Ã": "A", "È": "E", "Ê": "E",
        "Ë": "E", "Î": "I", "Ü": "U", "Ù": "U", "Ú": "U", "Û": "U", "Ý": "Y", "ä": "a",
        "á": "a", "â": "a", "ã": "a", "Ö": "O", "Ô": "O", "œ": "oe", "°": ".", "ñ": "n",
        "Ñ": "N", "\u2019": "'", "\u2018": "'", "`": "'", "\u201c": '"', "\u201d": '"',
        "^": None, "~": None, "|": None, "\\": None, "¨": None, "§": None,
    }
)  # fmt: skip
"""SMSPartner's table of characters replaced when a message is not Unicode (its typographic
quotes read as the plain quotes its page shows through a typesetter)."""


@dataclass(frozen=True)
class SendRequest:
    """A checked ``/v1/send`` request."""

    numbers: tuple[str, ...]
    text: str
    sms_per_number: int
    at: dt.datetime | None = None
    sender: str | None = None
    tag: str | None = None
    stop_mention: bool = False
    unicode: bool = False
    sandbox: bool = False
    low_cost: bool = False

    @property
    def nb_sms(self) -> int:
        """SMS the request costs: parts per number times numbers."""
        return self.sms_per_number * len(self.numbers)


def flag(value: object) -> bool:
    """SMSPartner's ``1`` (also ``true``, ``"1"``, ``"true"``)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value == 1
    return isinstance(value, str) and value.strip().lower() in {"1", "true"}


def _integer(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _INTEGER.fullmatch(value):
        return int(value)
    return None


def _given(value: object) -> bool:
    return value is not None and value != ""


def partner_text(raw: str, *, unicode: bool = False) -> str:
    r"""SMSPartner's tags and escapes resolved, its replacements made unless ``unicode``.

    ``:br:`` is CR LF, ``:euro:`` is ``€``, ``\"`` is ``"``.
    """
    text = raw.replace('\\"', '"')
    if not unicode:
        text = text.translate(_REPLACED)
    return text.replace(":br:", "\r\n").replace(":euro:", "€")


def _numbers(value: object, region: str | None, errors: list[FieldError]) -> tuple[str, ...]:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip(" ,"):
        raise PartnerError(2, "Le numéro de téléphone est requis")
    raw = [part.strip() for part in value.split(",") if part.strip()]
    if len(raw) > MAX_NUMBERS:
        raise PartnerError(50, f"Le nombre de numéros autorisés est de {MAX_NUMBERS} maxi")
    found: list[str] = []
    for item in raw:
        number = to_e164(item, region)
        if number is None:
            errors.append(
                FieldError("phoneNumbers", f"Ce numero de telephone n'est pas valide ({item})")
            )
        elif number not in found:
            found.append(number)
    return tuple(found)


def _message(value: object, *, json_body: bool, unicode: bool, errors: list[FieldError]) -> str:
    if not isinstance(value, str) or not value.strip():
        errors.append(FieldError("message", "Le message est requis"))
        return ""
    if not json_body and re.search(r'(?<!\\)"', value):
        errors.append(FieldError("message", 'Le caractere " doit etre echappe (\\")'))
    return partner_text(value, unicode=unicode)


def _sender(value: object, errors: list[FieldError]) -> str | None:
    if not _given(value):
        return None
    text = str(value).strip() if isinstance(value, str | int) else ""
    if len(text) > 11:
        errors.append(
            FieldError("sender", "L'emetteur ne peut pas etre plus long que 11 caracteres")
        )
    elif len(text) < 3:
        errors.append(FieldError("sender", "L'emetteur doit contenir au moins 3 caracteres"))
    else:
        try:
            text = check_sender(text)  # the core's rule: letters, digits, spaces; or a number
        except SenderError:
            errors.append(
                FieldError("sender", "L'emetteur ne doit pas comporter de caracteres speciaux")
            )
    return text


def _tag(value: object, errors: list[FieldError]) -> str | None:
    if not _given(value):
        return None
    text = str(value) if isinstance(value, str | int) else ""
    if not text or len(text) > MAX_TAG:
        errors.append(FieldError("tag", f"Le tag ne peut pas depasser {MAX_TAG} caracteres"))
    elif any(c.isspace() for c in text):
        errors.append(FieldError("tag", "Le tag ne doit pas contenir d'espace"))
    elif text != text.lower():
        errors.append(FieldError("tag", "Le tag doit etre en minuscules"))
    return text


def _day(value: object) -> dt.date | None:
    match = _DATE.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        return None
    try:
        return dt.date(int(match[3]), int(match[2]), int(match[1]))
    except ValueError:
        return None


def _clock(time_raw: object, minute_raw: object) -> tuple[int | None, int | None, list[FieldError]]:
    """Hour and minute of a scheduled send (``None`` when missing or wrong) and their errors."""
    errors: list[FieldError] = []
    minute = _integer(minute_raw) if _given(minute_raw) else None
    if not _given(minute_raw):
        errors.append(FieldError("minute", "La minute est requise"))
    elif minute is None or not 0 <= minute <= 55 or minute % 5:
        minute = None
        errors.append(
            FieldError(
                "minute",
                "Les minutes doivent etre comprises entre 0 et 55 dans un intervalle de 5 minutes",
            )
        )
    hour = _integer(time_raw) if _given(time_raw) else None
    if not _given(time_raw):
        errors.append(FieldError("time", "L'heure est requise"))
    elif hour is None or not 0 <= hour <= 24 or (hour == 24 and minute not in {0, None}):
        hour = None
        errors.append(FieldError("time", "L'heure doit etre comprise entre 0 et 24"))
    return hour, minute, errors


def _schedule(
    values: dict[str, object], now: dt.datetime, errors: list[FieldError]
) -> dt.datetime | None:
    date_raw = values.get("scheduledDeliveryDate")
    if not _given(date_raw):
        return None
    time_raw, minute_raw = values.get("time"), values.get("minute")
    hour, minute, clock_errors = _clock(time_raw, minute_raw)
    day = _day(date_raw)
    moment: dt.datetime | None = None
    if day is None:
        errors.append(FieldError("scheduledDeliveryDate", "La date est invalide"))
    else:
        shown = f"{date_raw} à {'' if time_raw is None else time_raw}:"
        shown += "" if minute_raw is None else str(minute_raw)
        past = FieldError(
            "scheduledDeliveryDate", f"La date ({shown}) est anterieure a la date actuelle."
        )
        if hour is None or minute is None:
            if day < now.date():
                errors.append(past)
        else:
            moment = dt.datetime.combine(day, dt.time(0, 0)) + dt.timedelta(
                hours=hour, minutes=minute
            )
            if moment < now.replace(second=0, microsecond=0):
                errors.append(past)
    errors.extend(clock_errors)
    return moment


def _gamme(value: object, errors: list[FieldError]) -> bool:
    if not _given(value):
        return False
    number = _integer(value)
    if number not in {1, 2}:
        errors.append(FieldError("gamme", "La gamme doit etre 1 (Premium) ou 2 (Low Cost)"))
    return number == 2


def _sms_per_number(text: str) -> int:
    try:
        return count(text).segments
    except PduEncodeError:
        return MAX_SMS + 1


def parse_send(
    values: dict[str, object],
    *,
    region: str | None,
    now: dt.datetime,
    json_body: bool,
    mention: str = "",
) -> SendRequest:
    """The checked request; :class:`PartnerError` with SMSPartner's code otherwise.

    ``mention`` is the STOP mention the core appends when ``isStopSms`` is 1: it is counted.
    """
    errors: list[FieldError] = []
    unicode = flag(values.get("isUnicode"))
    text = _message(values.get("message"), json_body=json_body, unicode=unicode, errors=errors)
    numbers = _numbers(values.get("phoneNumbers"), region, errors)
    sender = _sender(values.get("sender"), errors)
    tag = _tag(values.get("tag"), errors)
    at = _schedule(values, now, errors)
    low_cost = _gamme(values.get("gamme"), errors)
    if errors:
        raise PartnerError(9, errors=errors)
    stop_mention = flag(values.get("isStopSms"))
    counted = with_mention(text, mention) if stop_mention else text
    if low_cost and len(counted) > LOW_COST_LENGTH:
        raise PartnerError(
            42, f"Le nombre de caractères pour un sms Low Cost est {LOW_COST_LENGTH} caractères"
        )
    per_number = _sms_per_number(counted)
    if per_number > MAX_SMS:
        raise PartnerError(52, f"Le nombre de SMS concaténés ne peut excéder {MAX_SMS} SMS")
    return SendRequest(
        numbers=numbers,
        text=text,
        sms_per_number=per_number,
        at=at,
        sender=sender,
        tag=tag,
        stop_mention=stop_mention,
        unicode=unicode,
        sandbox=flag(values.get("sandbox")),
        low_cost=low_cost,
    )
