"""Which URLs and addresses a webhook may use."""

from __future__ import annotations

import socket

import pytest

from smsd.webhooks.policy import UrlPolicy, UrlRefusedError, check_address, check_url
from smsd.webhooks.resolver import GuardedResolver

DEFAULT = UrlPolicy()
OPEN = UrlPolicy(allow_link_local=True)

ALLOWED = [
    "http://example.org/hook",
    "https://example.org:8443/a/b?x=1",
    "http://127.0.0.1:8080/",
    "http://192.168.1.20/hook",
    "http://10.0.0.5/",
    "http://[::1]:9000/x",
    "http://[fd12:3456::1]/",  # unique local (LAN) is fine
    "http://user:pass@example.org/",
    "HTTPS://EXAMPLE.ORG/",
    "http://metadata.google.internal/",  # a name: checked when resolved at delivery
]

REFUSED = [
    ("ftp://example.org/", "http"),
    ("example.org/hook", "http"),
    ("javascript:alert(1)", "http"),
    ("http:///nohost", "no host"),
    ("http://", "no host"),
    ("", "empty"),
    ("http://exa mple.org/", "space"),
    ("http://example.org/\n", "control"),
    ("http://example.org/#frag", "fragment"),
    ("http://example.org:99999/", "valid URL"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://169.254.1.1/", "link-local"),
    ("http://[fe80::1]/", "link-local"),
    ("http://[fe80::1%25eth0]/", "link-local"),
    ("http://100.100.100.200/", "metadata"),
    ("http://[fd00:ec2::254]/", "metadata"),
    ("http://[::ffff:169.254.169.254]/", "link-local"),
    ("http://0.0.0.0/", "cannot be"),
    ("http://224.0.0.1/", "cannot be"),
    ("http://255.255.255.255/", "cannot be"),
    ("http://a..b/", "not valid"),
    ("http://example.org/" + "a" * 2100, "longer"),
]


@pytest.mark.parametrize("url", ALLOWED)
def test_allowed(url) -> None:
    assert check_url(url, DEFAULT) == url


@pytest.mark.parametrize(("url", "why"), REFUSED)
def test_refused(url, why) -> None:
    with pytest.raises(UrlRefusedError, match=why):
        check_url(url, DEFAULT)


@pytest.mark.parametrize(
    "url", ["http://169.254.169.254/", "http://[fe80::1]/", "http://100.100.100.200/"]
)
def test_switch_allows_link_local(url) -> None:
    assert check_url(url, OPEN) == url


@pytest.mark.parametrize("value", [None, 3, b"http://x/", ["http://x/"]])
def test_not_a_string(value) -> None:
    with pytest.raises(UrlRefusedError):
        check_url(value, DEFAULT)


def test_check_address() -> None:
    assert str(check_address("192.168.0.1", DEFAULT)) == "192.168.0.1"
    with pytest.raises(UrlRefusedError, match="not an IP"):
        check_address("nope", DEFAULT)
    with pytest.raises(UrlRefusedError):
        check_address("fd00:ec2::254", DEFAULT)
    assert str(check_address("fd00:ec2::254", OPEN)) == "fd00:ec2::254"


class FakeResolver:
    def __init__(self, *addresses: str) -> None:
        self.addresses = addresses
        self.closed = False

    async def resolve(self, host, port=0, family=socket.AF_INET):
        return [
            {"hostname": host, "host": a, "port": port, "family": family, "proto": 0, "flags": 0}
            for a in self.addresses
        ]

    async def close(self) -> None:
        self.closed = True


async def test_resolver_refuses_names_pointing_at_metadata() -> None:
    guarded = GuardedResolver(DEFAULT, FakeResolver("93.184.216.34", "169.254.169.254"))
    with pytest.raises(OSError, match="refused address"):
        await guarded.resolve("evil.example", 80)
    fine = FakeResolver("192.168.1.2")
    found = await GuardedResolver(DEFAULT, fine).resolve("nas.lan", 80)
    assert [r["host"] for r in found] == ["192.168.1.2"]
    opened = await GuardedResolver(OPEN, FakeResolver("169.254.169.254")).resolve("m", 80)
    assert opened[0]["host"] == "169.254.169.254"
    await GuardedResolver(DEFAULT, fine).close()
    assert fine.closed
