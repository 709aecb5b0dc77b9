"""Which URLs a webhook may target (SSRF): checked when an endpoint is saved and at each send."""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from core.errors import ValidationFailed

INVALID_URL = "INVALID_WEBHOOK_URL"  # the URL's shape: a schema can say it
NOT_PUBLIC = "WEBHOOK_URL_NOT_PUBLIC"  # where its host resolves today: only DNS can say it
MAX_URL_LENGTH = 2048
# What the API documents and check_shape enforces: https (http where allowed), a host name, an
# IPv4 address or a bracketed IPv6 address (RFC 3986, no zone id), an optional port and a
# printable ASCII path. The IPv6 grammar is exact so a schema-valid URL always parses.
PORT = r"([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
_H16 = "[0-9A-Fa-f]{1,4}"
_OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_LS32 = rf"({_H16}:{_H16}|{_OCTET}(\.{_OCTET}){{3}})"
IPV6_PATTERN = "|".join(
    [
        rf"({_H16}:){{6}}{_LS32}",
        rf"::({_H16}:){{5}}{_LS32}",
        rf"({_H16})?::({_H16}:){{4}}{_LS32}",
        rf"(({_H16}:){{0,1}}{_H16})?::({_H16}:){{3}}{_LS32}",
        rf"(({_H16}:){{0,2}}{_H16})?::({_H16}:){{2}}{_LS32}",
        rf"(({_H16}:){{0,3}}{_H16})?::{_H16}:{_LS32}",
        rf"(({_H16}:){{0,4}}{_H16})?::{_LS32}",
        rf"(({_H16}:){{0,5}}{_H16})?::{_H16}",
        rf"(({_H16}:){{0,6}}{_H16})?::",
    ]
)
URL_PATTERN = rf"^https://([A-Za-z0-9.-]+|\[({IPV6_PATTERN})\])(:{PORT})?(/[!-~]*)?$"
HTTP_PATTERN = re.compile(URL_PATTERN.replace("https", "https?"))


@dataclass(frozen=True)
class UrlPolicy:
    """What the settings allow beyond public https URLs."""

    allow_private: bool = False
    allow_http: bool = False


def _refuse(url: str, why: str, code: str = INVALID_URL) -> ValidationFailed:
    return ValidationFailed(
        f"Webhook URL refused: {why}.",
        details=[{"field": "url", "message": why, "value": url[:200]}],
        code=code,
    )


def check_shape(url: str, policy: UrlPolicy) -> tuple[str, int]:
    """The host and port of an absolute https (or allowed http) URL without credentials."""
    if len(url) > MAX_URL_LENGTH:
        raise _refuse(url, f"longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise _refuse(url, "not a valid URL") from None
    schemes = ("https", "http") if policy.allow_http else ("https",)
    if parts.scheme not in schemes:
        raise _refuse(url, "the scheme must be " + " or ".join(schemes))
    if not parts.hostname:
        raise _refuse(url, "an absolute URL with a host is required")
    if parts.username is not None or parts.password is not None:
        raise _refuse(url, "credentials in the URL are not allowed")
    if not HTTP_PATTERN.fullmatch(url):
        raise _refuse(
            url, "a host name, IPv4 or [IPv6] address, a port and a printable ASCII path only"
        )
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def address_allowed(address: str, policy: UrlPolicy) -> bool:
    """Whether a webhook may connect to this IP address: any under allow_private, else public."""
    if policy.allow_private:
        return True
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.is_site_local:  # deprecated fec0::/10, still routed inside some networks
            return False
        # An IPv4 address carried in IPv6 (mapped, or 6to4) is judged as that IPv4 address.
        ip = ip.ipv4_mapped or ip.sixtofour or ip
    # is_global leaves out private, loopback, link-local, shared (100.64.0.0/10, carrier NAT),
    # documentation, reserved and unspecified ranges; multicast is not a place to POST to.
    return ip.is_global and not ip.is_multicast


async def _addresses(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError):
        return []
    return [str(info[4][0]) for info in infos]


async def validate_url(url: str, policy: UrlPolicy) -> None:
    """Refuse a malformed URL (INVALID_WEBHOOK_URL), or one whose host resolves to a loopback,
    private, link-local, multicast or reserved address (WEBHOOK_URL_NOT_PUBLIC) unless the
    policy allows."""
    host, port = check_shape(url, policy)
    if policy.allow_private:
        return
    addresses = await _addresses(host, port)
    if not addresses:
        raise _refuse(url, "the host does not resolve", NOT_PUBLIC)
    if not all(address_allowed(address, policy) for address in addresses):
        raise _refuse(
            url, "the host resolves to a private, loopback or link-local address", NOT_PUBLIC
        )
