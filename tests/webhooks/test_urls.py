"""Where a webhook may connect: the URL check, and the same rule again at connect time."""

from __future__ import annotations

import ipaddress
import re
import socket

import aiohttp
import pytest
from aiohttp.abc import AbstractResolver, ResolveResult
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import ValidationFailed
from core.webhooks.resolver import GuardedResolver, guarded_connector
from core.webhooks.urls import IPV6_PATTERN, UrlPolicy, check_shape, validate_url

STRICT = UrlPolicy(allow_http=True)  # the receiver is http; addresses as in production
LOOSE = UrlPolicy(allow_private=True, allow_http=True)
PUBLIC = "93.184.216.34"


class FakeDns(AbstractResolver):
    """Answers every name with the given addresses, and remembers what it was asked."""

    def __init__(self, *addresses: str) -> None:
        self.addresses = addresses
        self.asked: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.asked.append(host)
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for address in self.addresses
        ]

    async def close(self) -> None:
        pass


async def post(url: str, policy: UrlPolicy, dns: AbstractResolver | None = None) -> int:
    """POST through the webhook connector; the status code."""
    async with (
        aiohttp.ClientSession(connector=guarded_connector(policy, dns)) as http,
        http.post(url, data=b"{}") as response,
    ):
        return response.status


async def test_the_resolver_refuses_a_name_that_resolves_to_loopback():
    with pytest.raises(OSError, match=r"localhost resolves to no public address \(127\.0\.0\.1"):
        await GuardedResolver(STRICT).resolve("localhost", 80, socket.AF_UNSPEC)


async def test_the_resolver_passes_loopback_when_private_addresses_are_allowed():
    answers = await GuardedResolver(LOOSE).resolve("localhost", 80, socket.AF_UNSPEC)
    assert "127.0.0.1" in [a["host"] for a in answers]


async def test_the_resolver_keeps_only_the_public_addresses_of_a_mixed_answer():
    dns = FakeDns("10.0.0.7", PUBLIC, "::1", "2606:4700:4700::1111")
    answers = await GuardedResolver(STRICT, dns).resolve("hooks.example.test", 443)
    assert [a["host"] for a in answers] == [PUBLIC, "2606:4700:4700::1111"]
    assert dns.asked == ["hooks.example.test"]


async def test_a_request_to_localhost_fails_before_connecting_under_the_strict_policy(receiver):
    url = f"http://localhost:{receiver.server.port}/hook"
    with pytest.raises(aiohttp.ClientConnectorDNSError, match="no public address"):
        await post(url, STRICT)
    assert receiver.received == []

    assert await post(url, LOOSE) == 200
    assert len(receiver.received) == 1


async def test_a_name_rebound_to_loopback_after_the_check_is_not_dialled(receiver):
    # The name passed validate_url earlier; by connect time DNS points it at this machine.
    url = f"http://hooks.example.test:{receiver.server.port}/hook"
    rebound = FakeDns("127.0.0.1")
    with pytest.raises(aiohttp.ClientConnectorDNSError, match="no public address"):
        await post(url, STRICT, rebound)
    assert receiver.received == []

    assert await post(url, LOOSE, rebound) == 200  # the same answer, when loopback is allowed
    assert rebound.asked == ["hooks.example.test", "hooks.example.test"]


async def test_an_ip_literal_skips_the_resolver_but_is_refused_when_dialled(receiver):
    url = f"http://127.0.0.1:{receiver.server.port}/hook"
    dns = FakeDns(PUBLIC)
    with pytest.raises(aiohttp.ClientConnectorError, match=r"127\.0\.0\.1 is not a public address"):
        await post(url, STRICT, dns)
    assert dns.asked == [] and receiver.received == []

    assert await post(url, LOOSE, dns) == 200


@pytest.mark.parametrize(
    "host",
    [
        "[::1]",
        "[::]",
        "[fe80::1]",
        "[fc00::1]",
        "[fd12:3456::1]",
        "[ff02::1]",
        "[fec0::1]",
        "[2001:db8::1]",
        "[::ffff:127.0.0.1]",
        "[::ffff:7f00:1]",
        "[::ffff:169.254.169.254]",
        "[2002:7f00:1::1]",  # 6to4 carrying 127.0.0.1
        "[2002:a00:1::]",  # 6to4 carrying 10.0.0.1
    ],
)
async def test_non_public_ipv6_literals_are_refused_by_the_strict_policy(host):
    url = f"https://{host}:8443/hook"
    with pytest.raises(ValidationFailed) as refused:
        await validate_url(url, UrlPolicy())
    assert refused.value.code == "WEBHOOK_URL_NOT_PUBLIC"
    await validate_url(url, UrlPolicy(allow_private=True))


@pytest.mark.parametrize(
    "url",
    [
        "https://[2606:4700:4700::1111]/hook",
        "https://[2001:4860:4860::8888]:8443/hook",
        "https://[2606:4700:4700:0:0:0:0:1111]",
        "https://[::ffff:93.184.216.34]/hook",
        "https://[2002:5db8:d822::1]/hook",  # 6to4 carrying 93.184.216.34
    ],
)
async def test_public_ipv6_literals_pass_the_strict_policy(url):
    await validate_url(url, UrlPolicy())


@pytest.mark.parametrize(
    "url",
    [
        "https://[fe80::1%25eth0]/hook",  # zone ids name an interface of this machine
        "https://[127.0.0.1]/hook",
        "https://[::1:]/hook",
        "https://[1:2:3:4:5:6:7:8:9]/hook",
        "https://[v1.fe]/hook",
        "https://[::1/hook",
        "https://::1/hook",
    ],
)
async def test_malformed_ipv6_literals_are_invalid(url):
    with pytest.raises(ValidationFailed) as refused:
        await validate_url(url, UrlPolicy(allow_private=True))
    assert refused.value.code == "INVALID_WEBHOOK_URL"


def test_check_shape_gives_the_bare_ipv6_address_and_port():
    assert check_shape("https://[2001:DB8::1]:8443/hook", UrlPolicy()) == ("2001:db8::1", 8443)
    assert check_shape("https://[2001:db8::1]/hook", UrlPolicy()) == ("2001:db8::1", 443)


@settings(max_examples=300, derandomize=True)
@given(st.ip_addresses(v=6), st.booleans())
def test_the_documented_pattern_admits_every_ipv6_address(address, exploded):
    text = address.exploded if exploded else address.compressed
    assert re.fullmatch(IPV6_PATTERN, text)
    assert ipaddress.ip_address(check_shape(f"https://[{text}]/", UrlPolicy())[0]) == address


@settings(max_examples=300, derandomize=True)
@given(st.from_regex(rf"\A({IPV6_PATTERN})\Z"))
def test_everything_the_documented_pattern_admits_is_an_ipv6_address(text):
    # So a schema-valid URL never gets INVALID_WEBHOOK_URL from the parser.
    assert ipaddress.IPv6Address(text)
    assert check_shape(f"https://[{text}]/", UrlPolicy())[0] == text.lower()
