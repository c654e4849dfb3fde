r"""What a delivery sends: RaspiSMS's form fields, byte for byte, and our signature headers.

RaspiSMS posts ``application/x-www-form-urlencoded`` fields, in this order:

- ``webhook_timestamp``: unix seconds when the event was created;
- ``webhook_type``: ``send_sms``, ``send_sms_status_change``, ``receive_sms``, ``inbound_call``
  or ``phone_reliability``;
- ``webhook_random_id``: ``"<timestamp>-<32 lowercase hex>"``;
- ``webhook_signature``: lowercase hex HMAC-SHA256 of ``webhook_random_id`` keyed with the
  user's API key (the body is not covered);
- ``body``: the event as JSON text, written like PHP's ``json_encode`` with default flags
  (compact, ``/`` as ``\/``, every non-ASCII character as ``\uXXXX``).

The form is encoded like PHP's ``http_build_query`` (spaces as ``+``, everything but letters,
digits and ``-_.`` percent-encoded with capitals). ``webhook_timestamp`` and
``webhook_random_id`` are fixed when the event is created, so a retry carries the same values and
a RaspiSMS receiver that remembers random ids deduplicates retries unchanged.

Our additions are headers, so a RaspiSMS receiver sees nothing new:

- ``X-Smsd-Event-Id``: the event's id, the same on every attempt (deduplicate on it);
- ``X-Smsd-Timestamp``: unix seconds when this attempt was made;
- ``X-Smsd-Signature``: ``sha256=`` + lowercase hex HMAC-SHA256, keyed with the webhook's secret
  (returned once when the webhook is created; for a per-message URL, the user's API key), over
  ``X-Smsd-Timestamp``, a ``.``, and the exact request body. A receiver recomputes it over the raw
  body it read, compares in constant time, and rejects a timestamp too far from its clock (a
  replay): :func:`verify_smsd_signature`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from dataclasses import dataclass
from urllib.parse import quote_plus

__all__ = [
    "CONTENT_TYPE",
    "EVENT_ID_HEADER",
    "EVENT_TYPES",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "Delivery",
    "build_delivery",
    "form_encode",
    "php_json",
    "raspisms_signature",
    "smsd_signature",
    "verify_smsd_signature",
]

CONTENT_TYPE = "application/x-www-form-urlencoded"
EVENT_ID_HEADER = "X-Smsd-Event-Id"
TIMESTAMP_HEADER = "X-Smsd-Timestamp"
SIGNATURE_HEADER = "X-Smsd-Signature"
SIGNATURE_PREFIX = "sha256="

EVENT_TYPES = (
    "send_sms",
    "send_sms_status_change",
    "receive_sms",
    "inbound_call",
    "phone_reliability",
    "quota_level",
    "quota_reached",
    "phone_balance_low",
)
"""The webhook types a user may subscribe to (RaspiSMS's, in its order; RaspiSMS never fires the
two quota types, smsd does: :mod:`smsd.store.quota`; then smsd's own ``phone_balance_low``, when
a phone's SIM balance falls below its ``balance_min``)."""


def php_json(value: object) -> str:
    r"""``value`` as PHP's ``json_encode`` writes it with default flags.

    Python's encoder already writes compact separators, ``\uXXXX`` for non-ASCII (surrogate
    pairs above U+FFFF) and the same short escapes; PHP also escapes ``/``. A non-finite float
    raises :class:`ValueError` (``json_encode`` fails on it too).
    """
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("JSON has no representation for a non-finite number")
    text = json.dumps(value, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    return text.replace("/", "\\/")


def form_encode(fields: list[tuple[str, str]]) -> bytes:
    """``fields`` encoded like PHP's ``http_build_query`` (``~`` percent-encoded too)."""

    def enc(text: str) -> str:
        return quote_plus(text, safe="").replace("~", "%7E")

    return "&".join(f"{enc(k)}={enc(v)}" for k, v in fields).encode("ascii")


def raspisms_signature(random_id: str, api_key: str) -> str:
    """RaspiSMS's ``webhook_signature``: hex HMAC-SHA256 of the random id, keyed with the key."""
    return hmac.new(api_key.encode(), random_id.encode(), hashlib.sha256).hexdigest()


def smsd_signature(secret: str, timestamp: int, body: bytes) -> str:
    """``X-Smsd-Signature``: ``sha256=`` + hex HMAC-SHA256 of ``"<timestamp>." + body``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()


def verify_smsd_signature(  # noqa: PLR0917 - mirrors what a receiver holds
    secret: str, timestamp: str, signature: str, body: bytes, now: float, tolerance: float = 300.0
) -> bool:
    """What a receiver checks: the signature matches and the timestamp is within ``tolerance``."""
    try:
        moment = int(timestamp)
    except ValueError:
        return False
    if abs(now - moment) > tolerance:
        return False
    return hmac.compare_digest(smsd_signature(secret, moment, body), signature)


@dataclass(frozen=True)
class Delivery:
    """One HTTP request to make: the encoded form and the headers."""

    body: bytes
    headers: dict[str, str]


def build_delivery(  # noqa: PLR0917 - the event's stored fields, in order
    event_id: int,
    webhook_type: str,
    timestamp: int,
    random_id: str,
    body_json: str,
    api_key: str,
    secret: str,
    now: int,
) -> Delivery:
    """The request for one attempt at an event stored with ``body_json`` (any valid JSON).

    The stored JSON is decoded and written again the way PHP writes it. ``now`` is the attempt's
    unix time (``X-Smsd-Timestamp``).
    """
    body = php_json(json.loads(body_json))
    fields = [
        ("webhook_timestamp", str(timestamp)),
        ("webhook_type", webhook_type),
        ("webhook_random_id", random_id),
        ("webhook_signature", raspisms_signature(random_id, api_key) if api_key else ""),
        ("body", body),
    ]
    encoded = form_encode(fields)
    headers = {
        "Content-Type": CONTENT_TYPE,
        EVENT_ID_HEADER: str(event_id),
        TIMESTAMP_HEADER: str(now),
    }
    if secret:  # no secret (a per-message URL whose user's key is unknown): no signature
        headers[SIGNATURE_HEADER] = smsd_signature(secret, now, encoded)
    return Delivery(encoded, headers)
