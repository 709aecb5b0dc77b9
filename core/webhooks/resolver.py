"""Where a webhook connection may go: the URL policy applied to the addresses actually dialled.

validate_url checks where a host resolves before an attempt; the connection resolves it again,
and a DNS answer can change in between (rebinding). This connector applies the same rule
(urls.address_allowed) to what its resolver answers, and again to every socket it opens, so
IP literals (which aiohttp never hands to a resolver) are checked at connect time too.
"""

from __future__ import annotations

import errno
import socket

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from core.webhooks.urls import UrlPolicy, address_allowed


class GuardedResolver(AbstractResolver):
    """Resolves through `inner` (aiohttp's default) and keeps only the addresses the policy
    allows; when none is left, fails the lookup."""

    def __init__(self, policy: UrlPolicy, inner: AbstractResolver | None = None) -> None:
        self._policy = policy
        self._inner = inner if inner is not None else DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """The allowed addresses of `host`; OSError when it has none."""
        results = await self._inner.resolve(host, port, family)
        allowed = [r for r in results if address_allowed(r["host"], self._policy)]
        if not allowed:
            refused = ", ".join(sorted({r["host"] for r in results}))
            # OSError(errno, strerror): aiohttp shows strerror in ClientConnectorDNSError.
            raise OSError(None, f"{host} resolves to no public address ({refused})")
        return allowed

    async def close(self) -> None:
        """Release the inner resolver."""
        await self._inner.close()


class GuardedConnector(aiohttp.TCPConnector):
    """A TCPConnector that dials only what the policy allows, and owns its resolver (aiohttp
    closes only resolvers it made itself)."""

    def __init__(self, policy: UrlPolicy, inner: AbstractResolver | None = None) -> None:
        self._guard = GuardedResolver(policy, inner)
        factory = None if policy.allow_private else _guarded_socket(policy)
        super().__init__(resolver=self._guard, socket_factory=factory)

    async def close(self, *, abort_ssl: bool = False) -> None:
        """Close the connections, then the resolver."""
        await super().close(abort_ssl=abort_ssl)
        await self._guard.close()


def _guarded_socket(policy: UrlPolicy) -> aiohttp.SocketFactoryType:
    def open_socket(addr_info: aiohttp.AddrInfoType) -> socket.socket:
        family, type_, proto, _, address = addr_info
        if not address_allowed(str(address[0]), policy):
            raise OSError(errno.EACCES, f"{address[0]} is not a public address")
        return socket.socket(family=family, type=type_, proto=proto)

    return open_socket


def guarded_connector(policy: UrlPolicy, inner: AbstractResolver | None = None) -> GuardedConnector:
    """The webhook session's connector (create it in the running loop, like any TCPConnector)."""
    return GuardedConnector(policy, inner)
