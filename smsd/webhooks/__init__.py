"""Webhooks: RaspiSMS's per-user webhooks and the per-message url_dlr / url_response.

Events are written to an outbox table by database triggers, in the transaction of the change
that causes them (see ``smsd/store/migrations/0002_webhooks.sql`` and :mod:`smsd.store.webhooks`).
This package posts them: :mod:`~smsd.webhooks.payload` builds RaspiSMS's exact form and our
signature headers, :mod:`~smsd.webhooks.policy` says which URLs and addresses are allowed,
:mod:`~smsd.webhooks.resolver` enforces that on resolved names, and
:mod:`~smsd.webhooks.sender` is the delivery task.
"""

from __future__ import annotations

from smsd.webhooks.keys import KeyRing
from smsd.webhooks.payload import (
    EVENT_ID_HEADER,
    EVENT_TYPES,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Delivery,
    build_delivery,
    php_json,
    raspisms_signature,
    smsd_signature,
    verify_smsd_signature,
)
from smsd.webhooks.policy import UrlPolicy, UrlRefusedError, check_address, check_url
from smsd.webhooks.resolver import GuardedResolver, guarded_session_factory
from smsd.webhooks.sender import WebhookSender, retry_delay

__all__ = [
    "EVENT_ID_HEADER",
    "EVENT_TYPES",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "Delivery",
    "GuardedResolver",
    "KeyRing",
    "UrlPolicy",
    "UrlRefusedError",
    "WebhookSender",
    "build_delivery",
    "check_address",
    "check_url",
    "guarded_session_factory",
    "php_json",
    "raspisms_signature",
    "retry_delay",
    "smsd_signature",
    "verify_smsd_signature",
]
