"""The API keys the daemon has seen, in memory only, for RaspiSMS's webhook signature.

RaspiSMS signs a webhook delivery with the user's API key (``webhook_signature`` = HMAC-SHA256
of the random id keyed with the key), and per-message URLs (``url_dlr``, ``url_response``) carry
an ``X-Smsd-Signature`` keyed with it too. The store keeps only a digest of each key, so the
daemon learns keys where they appear in clear: the configuration file's ``[[users]]``, the key
it generates for the first admin, and every request that authenticates with one. A key is never
written anywhere by this module.

A delivery for a user whose key the daemon has not seen since it started (a key created by
``smsd user add`` and not used since) goes out with an empty ``webhook_signature``; webhooks
created over the API are signed with their own secret in ``X-Smsd-Signature`` regardless.
"""

from __future__ import annotations


class KeyRing:
    """``id_user`` → the API key last seen for that user."""

    def __init__(self) -> None:
        self._keys: dict[int, str] = {}

    def remember(self, id_user: int, api_key: str) -> None:
        """Note that ``api_key`` is (now) the key of user ``id_user``."""
        self._keys[id_user] = api_key

    def get(self, id_user: int) -> str | None:
        """The key last seen for ``id_user``, if any."""
        return self._keys.get(id_user)

    def __len__(self) -> int:
        return len(self._keys)


__all__ = ["KeyRing"]
