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
# What the API documents and check_shape enforces: https (http where allowed), a host name or
# IPv4 address (no IPv6 literal yet), an optional port and a printable ASCII path.
PORT = r"([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
URL_PATTERN = rf"^https://[A-Za-z0-9.-]+(:{PORT})?(/[!-~]*)?$"
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
        raise _refuse(url, "a host name or IPv4 address, a port and a printable ASCII path only")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def _forbidden(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


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
    if any(_forbidden(address) for address in addresses):
        raise _refuse(
            url, "the host resolves to a private, loopback or link-local address", NOT_PUBLIC
        )
