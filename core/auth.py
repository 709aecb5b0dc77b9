"""API keys: minted once, stored as SHA-256 digests, checked with a short-lived cache."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
from dataclasses import dataclass

from core.context import Actor, CoreContext
from core.ids import format_id
from core.uow import UnitOfWork
from storage.locks import BOOTSTRAP, hold_until_commit
from storage.models import ApiKey, Tenant
from storage.repositories.tenants import ApiKeyRepository, TenantRepository

KEY_PREFIX = "tgc_"
DEFAULT_TENANT = "default"
CACHE_SECONDS = 30.0
TOUCH_SECONDS = 60.0


def hash_key(key: str) -> str:
    """The stored digest of a key (keys are random, so a fast hash is safe)."""
    # surrogatepass: undecodable header bytes arrive as surrogates; they hash, match nothing.
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def new_key() -> str:
    """A fresh random API key."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class MintedKey:
    """A key as shown once at creation."""

    id: str
    name: str
    key: str


async def default_tenant(uow: UnitOfWork) -> Tenant:
    """The single-tenant install's tenant, created on first use (once, across processes)."""
    repo = TenantRepository(uow.session)
    found = await repo.first()
    if found is not None:
        return found
    # Nothing makes tenant names unique: processes starting together would each add one.
    # The lock holds until this transaction commits; a waiter then reads the committed row.
    await hold_until_commit(uow.session, BOOTSTRAP)
    return await repo.first() or await repo.add(DEFAULT_TENANT)


async def mint_key(uow: UnitOfWork, tenant_id: int, name: str, *, auto: bool = False) -> MintedKey:
    """Create a key; its plaintext exists only in the returned value."""
    plaintext = new_key()
    row = await ApiKeyRepository(uow.session).add(
        ApiKey(
            tenant_id=tenant_id,
            name=name,
            prefix=plaintext[:8],
            key_hash=hash_key(plaintext),
            auto_generated=auto,
            created_at=uow.clock(),
        )
    )
    return MintedKey(format_id("api_key", row.id), name, plaintext)


async def register_configured_key(uow: UnitOfWork, tenant_id: int, plaintext: str) -> None:
    """Make API_TOKEN from the settings a valid key of the tenant (idempotent, across processes)."""
    repo = ApiKeyRepository(uow.session)
    digest = hash_key(plaintext)
    # key_hash is unique: two processes registering the same token at once must not both insert.
    await hold_until_commit(uow.session, BOOTSTRAP)
    if await repo.find_active(digest) is None:
        await repo.add(
            ApiKey(
                tenant_id=tenant_id,
                name="API_TOKEN (environment)",
                prefix=plaintext[:4],
                key_hash=digest,
                created_at=uow.clock(),
            )
        )


async def rotate_startup_key(uow: UnitOfWork, tenant_id: int) -> MintedKey:
    """Revoke the previous start-up key and mint a new one (when no API_TOKEN is set).

    Serialized across processes: the last process to start holds the one valid start-up key
    (several API processes should share a configured API_TOKEN instead).
    """
    await hold_until_commit(uow.session, BOOTSTRAP)
    await ApiKeyRepository(uow.session).revoke_auto_generated(tenant_id, uow.clock())
    return await mint_key(uow, tenant_id, "startup key (make run)", auto=True)


class Authenticator:
    """Turns a presented key into an Actor; caches hits briefly to keep the hot path cheap.

    When a cached key expires, one lookup refreshes it while concurrent requests with the same
    key wait for that lookup; `last_used_at` is written at most once a minute per key.
    """

    def __init__(self, core: CoreContext) -> None:
        self._core = core
        self._cache: dict[str, tuple[float, Actor]] = {}
        self._lookups: dict[str, asyncio.Future[Actor | None]] = {}
        self._touched: dict[str, float] = {}

    async def authenticate(self, presented: str) -> Actor | None:
        """The Actor for a valid key, None for anything else."""
        if not presented or len(presented) > 200 or not presented.isascii():
            return None
        digest = hash_key(presented)
        hit = self._cache.get(digest)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        pending = self._lookups.get(digest)
        if pending is not None:
            try:
                return await asyncio.shield(pending)
            except asyncio.CancelledError:
                if not pending.cancelled():
                    raise  # this request was cancelled, not the lookup
                return await self.authenticate(presented)
        future: asyncio.Future[Actor | None] = asyncio.get_running_loop().create_future()
        self._lookups[digest] = future
        try:
            actor = await self._lookup(digest)
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as error:
            future.set_exception(error)
            future.exception()  # marks it retrieved; waiters, if any, still get it
            raise
        else:
            future.set_result(actor)
        finally:
            del self._lookups[digest]
        return actor

    async def _lookup(self, digest: str) -> Actor | None:
        now = time.monotonic()
        async with self._core.uow() as uow:
            key = await ApiKeyRepository(uow.session).find_active(digest)
            if key is None:
                self._cache.pop(digest, None)
                return None
            if now - self._touched.get(digest, -TOUCH_SECONDS) >= TOUCH_SECONDS:
                await ApiKeyRepository(uow.session).touch(key.id, uow.clock())
                self._touched[digest] = now
            actor = Actor(tenant_id=key.tenant_id, label=f"api:{format_id('api_key', key.id)}")
        if len(self._cache) > 10_000:
            self._cache.clear()
            self._touched.clear()
        self._cache[digest] = (now + CACHE_SECONDS, actor)
        return actor

    def forget(self) -> None:
        """Drop cached keys (after a revocation)."""
        self._cache.clear()
