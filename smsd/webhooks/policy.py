"""Which URLs a webhook may point at, and which addresses a delivery may connect to.

A webhook URL is ``http://`` or ``https://`` with a host, at most :data:`MAX_URL` characters,
no fragment and no whitespace or control character. A Raspberry Pi's receivers usually live
on the LAN, so loopback and private addresses are allowed. Refused by default, because a
request there can read cloud credentials or reach a device's management plane:

- link-local addresses, ``169.254.0.0/16`` and ``fe80::/10`` (this covers the AWS, GCP and Azure
  metadata service at ``169.254.169.254``);
- the other metadata addresses: ``100.100.100.200`` (Alibaba) and ``fd00:ec2::254`` (AWS IPv6);
- the same addresses written as IPv4-mapped IPv6 (``::ffff:169.254.169.254``).

``[webhooks] allow_link_local = true`` allows them. Addresses that make no sense for a receiver
(unspecified ``0.0.0.0``/``::``, multicast, broadcast) are always refused. A URL naming its host
by IP literal is checked when the webhook is created; a host name is checked at delivery time,
on every address it resolves to (:func:`check_address`), so a name pointing at a refused
address is refused too.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from smsd.errors import SmsdError

__all__ = ["MAX_URL", "METADATA_ADDRESSES", "UrlPolicy", "UrlRefusedError", "check_address",
           "check_url"]  # fmt: skip

MAX_URL = 2048
"""Longest URL accepted (what common servers accept in a request line)."""

METADATA_ADDRESSES = frozenset({
    ipaddress.ip_address("100.100.100.200"),
    ipaddress.ip_address("fd00:ec2::254"),
})  # fmt: skip
"""Cloud metadata services outside the link-local ranges."""

_SCHEMES = frozenset({"http", "https"})
_BROADCAST = ipaddress.ip_address("255.255.255.255")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class UrlRefusedError(SmsdError, ValueError):
    """A URL or address a webhook may not use; the message says why."""


@dataclass(frozen=True)
class UrlPolicy:
    """The address rules (see the module docstring)."""

    allow_link_local: bool = False


def _unmapped(address: Address) -> Address:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def check_address(address: str | Address, policy: UrlPolicy) -> Address:
    """The parsed address if a delivery may connect to it, else :class:`UrlRefusedError`."""
    try:
        parsed = ipaddress.ip_address(address) if isinstance(address, str) else address
    except ValueError as exc:
        raise UrlRefusedError(f"{address!r} is not an IP address") from exc
    plain = _unmapped(parsed)
    if plain.is_unspecified or plain.is_multicast or plain == _BROADCAST:
        raise UrlRefusedError(f"address {parsed} cannot be a webhook receiver")
    if not policy.allow_link_local:
        if plain.is_link_local:
            raise UrlRefusedError(
                f"address {parsed} is link-local (allow it with [webhooks] allow_link_local)"
            )
        if plain in METADATA_ADDRESSES:
            raise UrlRefusedError(
                f"address {parsed} is a cloud metadata service "
                "(allow it with [webhooks] allow_link_local)"
            )
    return parsed


def _split(url: str) -> SplitResult:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise UrlRefusedError(f"not a valid URL: {exc}") from exc
    return parts


def check_url(url: object, policy: UrlPolicy) -> str:
    """``url`` if a webhook may post to it (see the module docstring), else an error."""
    if not isinstance(url, str):
        raise UrlRefusedError("the URL must be a string")
    if not url:
        raise UrlRefusedError("the URL is empty")
    if len(url) > MAX_URL:
        raise UrlRefusedError(f"the URL is longer than {MAX_URL} characters")
    if any(ord(c) <= 0x20 or ord(c) == 0x7F for c in url):
        raise UrlRefusedError("the URL contains a space or a control character")
    parts = _split(url)
    if parts.scheme.lower() not in _SCHEMES or not url.lower().startswith(("http://", "https://")):
        raise UrlRefusedError("the URL must start with http:// or https://")
    if parts.fragment or "#" in url:
        raise UrlRefusedError("the URL may not have a fragment (#)")
    host = parts.hostname
    if not host:
        raise UrlRefusedError("the URL has no host")
    literal = host.split("%", 1)[0]  # an IPv6 zone id ("fe80::1%eth0") is not part of it
    try:
        address = ipaddress.ip_address(literal)
    except ValueError:
        if "%" in host or not all(label for label in host.rstrip(".").split(".")):
            raise UrlRefusedError(f"the URL's host {host!r} is not valid") from None
        return url
    check_address(address, policy)
    return url
