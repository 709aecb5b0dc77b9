"""The database of bench/api_list.py: engine, private PG schema, migration, key and seeding."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from bench.api_list_data import campaign_rows

# Looks at the seeded database before the engine closes: (core, engine, api key) -> report.
Inspect = Callable[[Any, Any, str], Awaitable[dict[str, Any]]]


def log(message: str) -> None:
    """Progress goes to stderr; stdout carries only the JSON lines."""
    print(message, file=sys.stderr, flush=True)


def backend_of(url: str) -> str:
    """ "sqlite" or "postgresql" for a --database-url; anything else stops the bench."""
    if url.startswith("sqlite"):
        return "sqlite"
    if url.startswith("postgresql"):
        return "postgresql"
    raise SystemExit(f"unsupported --database-url {url!r} (sqlite+aiosqlite or postgresql+asyncpg)")


def make_engine(url: str, schema: str | None) -> Any:
    """The service's engine (storage.db.create_engine); a PG schema goes in via search_path."""
    from storage.db import create_engine

    connect_args = {"server_settings": {"search_path": schema}} if schema else None
    return create_engine(url, connect_args=connect_args)


async def pg_admin(url: str, sql: str) -> None:
    """Run one statement outside a transaction (CREATE / DROP SCHEMA)."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


async def prepare(
    args: argparse.Namespace, url: str, schema: str | None, inspect: Inspect | None = None
) -> dict[str, Any]:
    """Migrate, mint a key, seed (or check the --reuse'd rows), then `inspect` if given."""
    from core.auth import default_tenant, mint_key
    from core.context import CoreContext
    from storage.db import create_session_factory
    from storage.migrate import upgrade_to_head

    engine = make_engine(url, schema)
    try:
        await upgrade_to_head(engine)
        core = CoreContext(session_factory=create_session_factory(engine))
        async with core.uow() as uow:
            tenant = await default_tenant(uow)
            minted = await mint_key(uow, tenant.id, "bench api_list")
        if args.reuse:
            count = await count_campaigns(engine, tenant.id)
            if count != args.campaigns:
                raise SystemExit(f"--reuse: database has {count} campaigns, not {args.campaigns}")
            log(f"reusing {count} seeded campaigns")
            seed_s, analyzed = 0.0, None
        else:
            seed_s, analyzed = await seed(args, engine, backend_of(url), tenant.id)
        result = {"key": minted.key, "tenant_id": tenant.id, "seed_s": seed_s, "analyzed": analyzed}
        if inspect is not None:
            result["breakdown"] = await inspect(core, engine, minted.key)
        return result
    finally:
        await engine.dispose()


async def count_campaigns(engine: Any, tenant_id: int | None = None) -> int:
    """Campaigns in the database, or of one tenant."""
    from sqlalchemy import func, select

    from storage.models import Campaign

    table: Any = Campaign.__table__
    query = select(func.count()).select_from(table)
    if tenant_id is not None:
        query = query.where(table.c.tenant_id == tenant_id)
    async with engine.connect() as conn:
        return int(await conn.scalar(query))


async def seed(
    args: argparse.Namespace, engine: Any, backend: str, tenant_id: int
) -> tuple[float, bool]:
    """Insert --campaigns rows in --chunk executemany batches, then analyze as --analyze says;
    (seconds taken, whether analyzed)."""
    from sqlalchemy import insert

    from storage.models import Campaign

    t0 = time.perf_counter()
    rows = campaign_rows(tenant_id, args.campaigns, args.seed, datetime.now(UTC))
    gen_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    async with engine.begin() as conn:
        for start in range(0, len(rows), args.chunk):
            await conn.execute(insert(Campaign.__table__), rows[start : start + args.chunk])
    insert_s = time.perf_counter() - t1
    del rows
    analyze = args.analyze == "on" or (args.analyze == "auto" and backend == "postgresql")
    t2 = time.perf_counter()
    await settle(engine, backend, analyze)
    analyze_s = time.perf_counter() - t2
    count = await count_campaigns(engine)
    if count != args.campaigns:
        raise SystemExit(f"seeded {count} campaigns, expected {args.campaigns}")
    seed_s = gen_s + insert_s + analyze_s
    log(
        f"seeded {count} campaigns in {seed_s:.2f}s (generate {gen_s:.2f}s, insert "
        f"{insert_s:.2f}s, analyze {analyze_s:.2f}s{'' if analyze else ' skipped'})"
    )
    return seed_s, analyze


async def settle(engine: Any, backend: str, analyze: bool) -> None:
    """After the bulk load: statistics if `analyze`; on SQLite also fold the WAL back in."""
    from sqlalchemy import text

    if backend == "postgresql":
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            if analyze:
                for table in ("campaigns", "api_keys", "tenants"):
                    await conn.execute(text(f"VACUUM ANALYZE {table}"))
        return
    if analyze:
        async with engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
    async with engine.connect() as conn:
        await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
