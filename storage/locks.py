"""PostgreSQL advisory locks named per database and schema (no-ops on SQLite's one process)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

MIGRATIONS = "migrations"
BOOTSTRAP = "bootstrap"


def lock_key_sql(name: str) -> str:
    """SQL for the lock key of `name` in this database and schema (as scheduler/leader.py)."""
    # Deployments (or test runs) sharing one server in different schemas never block each other;
    # coalesce: a search_path naming no existing schema still yields a key.
    return (
        "hashtext(current_database() || '.' || coalesce(current_schema(), '') "
        f"|| '.tg-campaigns-{name}')"
    )


async def hold_until_commit(target: AsyncSession | AsyncConnection, name: str) -> None:
    """Wait for and take the transaction-scoped lock `name`; the transaction's end frees it."""
    bind = target.get_bind() if isinstance(target, AsyncSession) else target
    if bind.dialect.name != "postgresql":
        return
    await target.execute(text(f"SELECT pg_advisory_xact_lock({lock_key_sql(name)})"))
