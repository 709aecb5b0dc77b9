"""Tenants and their hashed API keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ApiKey, Tenant


class TenantRepository:
    """Tenant rows."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def first(self) -> Tenant | None:
        """The oldest tenant (the default one of a single-tenant install)."""
        return await self.session.scalar(select(Tenant).order_by(Tenant.id).limit(1))

    async def add(self, name: str) -> Tenant:
        """Insert a tenant."""
        tenant = Tenant(name=name)
        self.session.add(tenant)
        await self.session.flush()
        return tenant


class ApiKeyRepository:
    """API keys, looked up by digest only."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, key: ApiKey) -> ApiKey:
        """Insert a key row."""
        self.session.add(key)
        await self.session.flush()
        return key

    async def find_active(self, key_hash: str) -> ApiKey | None:
        """The unrevoked key with this digest."""
        return await self.session.scalar(
            select(ApiKey).where(ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None))
        )

    async def revoke_auto_generated(self, tenant_id: int, now: datetime) -> int:
        """Revoke the start-up keys of a tenant; returns how many."""
        result = await self.session.execute(
            update(ApiKey)
            .where(
                ApiKey.tenant_id == tenant_id,
                ApiKey.auto_generated.is_(True),
                ApiKey.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]  # an UPDATE or DELETE returns a CursorResult

    async def touch(self, key_id: int, now: datetime) -> None:
        """Record that a key was used."""
        await self.session.execute(
            update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now)
        )
