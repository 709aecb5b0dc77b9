"""Benchmark of GET /api/v1/campaigns: the real service under concurrent HTTP load.

Usage (from the repository root):

    .venv/bin/python bench/api_list.py                      # SQLite file in a temp dir, 100k rows
    .venv/bin/python bench/api_list.py \\
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/api_list.py --campaigns 20000 --duration 10 --concurrency 32
    .venv/bin/python bench/api_list.py --loop uvloop         # server on uvloop instead of asyncio
    .venv/bin/python bench/api_list.py --kinds search,sort_name --py-spy /tmp/search.txt
    .venv/bin/python bench/api_list.py --breakdown 30 --duration 0   # in-process cost split only
    .venv/bin/python bench/api_list.py --workers 1,2         # 1, then 2 server processes

What happens:

1. Database. Without --database-url a fresh SQLite file is created in a temp dir (deleted
   afterwards). A postgresql+asyncpg URL gets a fresh private schema (search_path set through
   asyncpg server_settings, like the test-suite does) that is dropped afterwards.
2. Schema and key: storage.migrate.upgrade_to_head, then core.auth.default_tenant + mint_key.
3. Seed: --campaigns rows for that one tenant with Core executemany INSERTs in chunks; varied
   names/descriptions/types/statuses/JSON content, created_at spread over the last year (ids
   grow with created_at, as in real life). PostgreSQL then gets VACUUM ANALYZE (what autovacuum
   would do shortly after such a load); SQLite is left un-ANALYZEd, as the service never runs
   ANALYZE (override with --analyze on|off).
4. Optional --breakdown N: runs the route's pipeline in-process N times per request kind and
   prints (stderr) where the time goes: SQL as seen by SQLAlchemy vs the same SQL on a raw
   driver connection, ORM, pydantic rendering, JSON, commit; plus query plans and auth cost.
5. Server: a separate process (`bench/api_list.py --serve ...`) runs api.app.create_api_app on
   an aiohttp AppRunner bound to 127.0.0.1 on a free port, exactly as webhook_server.serve does,
   on the stock asyncio loop or uvloop (--loop).
6. Load: an aiohttp client (uvloop when installed) with --concurrency workers sends a weighted
   mix of list requests with `Authorization: Bearer <key>` for --warmup seconds (responses
   fully parsed and validated; not measured) and then for --duration seconds (measured; a
   response counts as ok only if it is HTTP 200 with a body starting `{"success":true`).
7. Clean shutdown: SIGTERM to the server (it also dies with its parent), schema dropped /
   temp dir removed.

Kinds in the mix (weight): first (20) page 1 default sort; page_n (8) pages 2-50; status (12)
status=<random>; type (10) type=<random>; search (10) search=<word found in some names>;
sort_created (6) sort=-createdAt pages 1-5; sort_name (8) sort=name; sort_updated (8)
sort=-updatedAt; deep_p<M> (4) and deep_p<L> (4): page 40% in and the last-but-one page
(page=2000 and page=4999 for 100k rows), limit=20.  --kinds a,b restricts the mix.

Iterating and shared machines:
  --keep-db            keep the SQLite file / PG schema (path/name printed on stderr);
  --reuse              with --database-url sqlite+aiosqlite:///kept.db: skip seeding;
  --pg-schema NAME     run against an existing (kept) PG schema, never dropped; implies --reuse;
  --quiet-wait S       wait up to S seconds for an idle host before the warmup (other jobs on
                       the box skew results; host_cpu_busy_pct/loadavg_before are reported).

Output: exactly one JSON line on stdout per --workers count, e.g.
  {"bench": "api_list", "backend": "sqlite", "campaigns": 100000, "concurrency": 16,
   "requests": ..., "errors": ..., "req_per_s": ..., "p50_ms": ..., "p90_ms": ..., "p99_ms": ...,
   "max_ms": ..., "by_kind": {"first": {"p50_ms": ..., "p99_ms": ..., "n": ...}, ...},
   "seed_s": ..., "loop": "asyncio", "server_cpu_pct": ..., "server_cpu_ms_per_req": ...,
   "client_cpu_pct": ..., "host_cpu_busy_pct": ..., "targets": {..., "met": false}}
server_cpu_pct is the server process (all threads; 100 = one core) during the measured phase.
Everything else (progress, breakdown tables, error samples) goes to stderr.

Profiling the server:
  --py-spy PATH        run `py-spy record` on the server process during the measured phase
                       (.txt -> collapsed stacks, .svg -> flame graph, .json -> speedscope);
                       install with `.venv/bin/pip install py-spy`.
  --server-cprofile PATH  cProfile the server's event-loop thread during the measured phase and
                       dump pstats to PATH (python -m pstats PATH).
Targets on the 2-core reference machine: p99 <= 25 ms and >= 1000 req/s ("targets" in output).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGET_P99_MS = 25.0
TARGET_RPS = 1000.0
ENDPOINT = "/api/v1/campaigns"

STATUSES = (
    ("completed", 40),
    ("draft", 18),
    ("cancelled", 12),
    ("active", 12),
    ("paused", 6),
    ("scheduled", 7),
    ("failed", 5),
)
TYPES = (
    ("message", 45),
    ("engagement", 20),
    ("invitation", 15),
    ("data_collection", 10),
    ("custom", 10),
)
ADJECTIVES = (
    "Spring",
    "Summer",
    "Autumn",
    "Winter",
    "Holiday",
    "Weekend",
    "Flash",
    "Mega",
    "VIP",
    "Loyalty",
    "Welcome",
    "Reactivation",
    "Black Friday",
    "Cyber Monday",
    "New Year",
    "Back to School",
    "Early Bird",
    "Last Chance",
    "Exclusive",
    "Members",
)
NOUNS = (
    "Sale",
    "Promo",
    "Newsletter",
    "Giveaway",
    "Survey",
    "Webinar",
    "Launch",
    "Digest",
    "Reminder",
    "Offer",
    "Quiz",
    "Invite",
    "Update",
    "Contest",
    "Announcement",
)
REGIONS = ("EU", "US", "APAC", "LATAM", "MENA", "UK", "DACH")
# Words that occur in some names (5-7 % of rows each); the search kind picks one at random.
SEARCH_WORDS = ("flash", "webinar", "loyalty", "apac", "giveaway", "black friday")
SENTENCES = (
    "Drive repeat purchases among customers who bought in the last {n} days.",
    "Announce the {noun} to {region} subscribers with a personalised greeting.",
    "Re-engage users who have not opened the bot for {n} days.",
    "Collect feedback about the latest {noun} and reward answers with a coupon.",
    "A/B test two headlines; the winner goes to the remaining audience.",
    "Invite the most active members to the private {noun} channel.",
    "Remind cart abandoners about items left in the basket, {n}% discount included.",
    "Quarterly digest with product news, tips and a short survey.",
    "Seasonal campaign for {region}; send in the morning of the local time zone.",
    "Cross-sell accessories to buyers of the {adj} collection.",
    "Warm-up sequence for new subscribers, step {n} of the onboarding flow.",
    "Limited stock: notify waitlisted users as soon as the {noun} goes live.",
)
TIMEZONES = ("Europe/Berlin", "Europe/London", "America/New_York", "Asia/Singapore", None)


# --------------------------------------------------------------------------- database helpers


def backend_of(url: str) -> str:
    if url.startswith("sqlite"):
        return "sqlite"
    if url.startswith("postgresql"):
        return "postgresql"
    raise SystemExit(f"unsupported --database-url {url!r} (sqlite+aiosqlite or postgresql+asyncpg)")


def make_engine(url: str, schema: str | None) -> Any:
    """The service's engine (storage.db.create_engine); a PG schema goes in via search_path."""
    import storage.db as db

    if schema is None:
        return db.create_engine(url)
    original = db.create_async_engine

    def with_search_path(u: Any, **kwargs: Any) -> Any:
        settings = kwargs.setdefault("connect_args", {}).setdefault("server_settings", {})
        settings["search_path"] = schema
        return original(u, **kwargs)

    db.create_async_engine = with_search_path  # type: ignore[assignment]
    try:
        return db.create_engine(url)
    finally:
        db.create_async_engine = original  # type: ignore[assignment]


async def pg_admin(url: str, sql: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


# ------------------------------------------------------------------------------------ seeding


def _expand(table: tuple[tuple[str, int], ...]) -> list[str]:
    """A list in which each value appears `weight` times: uniform picks follow the weights."""
    return [value for value, weight in table for _ in range(weight)]


def _pools(rng: random.Random) -> dict[str, list[Any]]:
    """Pre-built JSON/text values rows pick from (keeps generation of 100k rows ~1-2 s)."""
    descriptions: list[str | None] = [None] * 100
    for _ in range(900):
        adj, noun, region = rng.choice(ADJECTIVES), rng.choice(NOUNS), rng.choice(REGIONS)
        descriptions.append(
            " ".join(
                s.format(n=rng.randint(2, 90), noun=noun.lower(), region=region, adj=adj)
                for s in rng.sample(SENTENCES, rng.randint(1, 3))
            )
        )
    message_sets = []
    for k in range(500):
        adj, noun = rng.choice(ADJECTIVES), rng.choice(NOUNS)
        messages = []
        for m in range(rng.randint(1, 3)):
            message: dict[str, Any] = {
                "id": f"m{m + 1}",
                "content": f"Hi {{first_name}}! {adj} {noun.lower()}: up to "
                f"{rng.randint(5, 70)}% off this week only.",
                "parseMode": "HTML",
                "buttons": [[{"text": "Open", "url": f"https://shop.example.com/c/{k}/{m}"}]],
                "variations": [],
            }
            if rng.random() < 0.2:
                message["variations"] = [
                    {"id": "a", "content": f"Variant A {noun}", "weight": 50.0},
                    {"id": "b", "content": f"Variant B {noun}", "weight": 50.0},
                ]
            messages.append(message)
        message_sets.append(messages)
    goals: list[dict[str, Any] | None] = [None] * 80
    goals += [
        {
            "targetAudience": rng.randint(100, 50_000),
            "conversionRate": round(rng.uniform(0.5, 9), 2),
        }
        for _ in range(120)
    ]
    audiences: list[dict[str, Any] | None] = [None] * 60
    audiences += [
        {
            "segments": [f"seg_{rng.randint(1, 40)}" for _ in range(rng.randint(1, 3))],
            "filters": {"languageCode": rng.choice(["en", "de", "ru", "es"])},
        }
        for _ in range(140)
    ]
    strategy = {"messaging": "friendly", "timing": "morning", "channels": ["telegram"]}
    return {
        "descriptions": descriptions,
        "messages": message_sets,
        "goals": goals,
        "audiences": audiences,
        "strategies": [None, strategy],
        "statuses": _expand(STATUSES),
        "types": _expand(TYPES),
    }


def campaign_rows(tenant_id: int, n: int, seed: int, now: datetime) -> list[dict[str, Any]]:
    """n realistic campaign rows; created_at ascends with the (future) id."""
    rng = random.Random(seed)
    pools = _pools(rng)
    pick = rng.choice
    r = rng.random
    year = 365 * 24 * 3600.0
    ages = sorted((r() * year for _ in range(n)), reverse=True)
    live_statuses = {"active", "paused", "completed", "failed", "cancelled"}
    creators = ("api:key_1", "admin:111", "admin:222")
    rows = []
    for i, age in enumerate(ages):
        created = now - timedelta(seconds=age)
        updated = min(now, created + timedelta(seconds=rng.expovariate(1 / (3 * 86400))))
        adj, noun, region = pick(ADJECTIVES), pick(NOUNS), pick(REGIONS)
        roll = r()
        suffix = f" ({region})" if roll < 0.4 else f" #{i + 1}" if roll < 0.7 else ""
        status = pick(pools["statuses"])
        live = status in live_statuses
        start = created + timedelta(days=int(r() * 10)) if r() < 0.6 else None
        target = 100 + int(r() * 50_000)
        sent = int(target * (0.5 + r() / 2)) if live else 0
        rows.append(
            {
                "tenant_id": tenant_id,
                "name": f"{adj} {noun} {created.year}{suffix}",
                "description": pick(pools["descriptions"]),
                "type": pick(pools["types"]),
                "status": status,
                "goals": pick(pools["goals"]),
                "target_audience": pick(pools["audiences"]),
                "strategy": pick(pools["strategies"]),
                "messages": pick(pools["messages"]),
                "workflow": None,
                "budget": round(100 + r() * 50_000, 2) if r() < 0.7 else None,
                "start_date": start,
                "end_date": start + timedelta(days=1 + int(r() * 30)) if start else None,
                "scheduled_at": start if status == "scheduled" else None,
                "timezone": pick(TIMEZONES),
                "allow_paid_broadcast": r() < 0.1,
                "created_by": pick(creators),
                "created_at": created,
                "updated_at": updated,
                "target_count": target,
                "sent_count": sent,
                "failed_count": int(sent * r() * 0.05),
                "clicked_count": int(sent * r() * 0.2),
                "converted_count": int(sent * r() * 0.05),
                "revenue": round(sent * r() * 2, 2),
                "cost": round(sent * 0.001, 3),
                "executions_total": 1 if live else 0,
                "executions_completed": 1 if status == "completed" else 0,
                "executions_failed": 1 if status == "failed" else 0,
            }
        )
    return rows


async def prepare(args: argparse.Namespace, url: str, schema: str | None) -> dict[str, Any]:
    """Migrate, mint a key, seed; optionally analyze and run the in-process breakdown."""
    from sqlalchemy import Table, func, insert, select, text

    from core.auth import default_tenant, mint_key
    from core.context import CoreContext
    from storage.db import create_session_factory
    from storage.migrate import upgrade_to_head
    from storage.models import Campaign

    backend = backend_of(url)
    engine = make_engine(url, schema)
    try:
        await upgrade_to_head(engine)
        core = CoreContext(session_factory=create_session_factory(engine))
        async with core.uow() as uow:
            tenant = await default_tenant(uow)
            minted = await mint_key(uow, tenant.id, "bench api_list")
        tenant_id = tenant.id
        table: Table = Campaign.__table__  # type: ignore[assignment]
        if args.reuse:
            async with engine.connect() as conn:
                count = await conn.scalar(
                    select(func.count()).select_from(table).where(table.c.tenant_id == tenant_id)
                )
            if count != args.campaigns:
                raise SystemExit(f"--reuse: database has {count} campaigns, not {args.campaigns}")
            log(f"reusing {count} seeded campaigns")
            result = {"key": minted.key, "tenant_id": tenant_id, "seed_s": 0.0, "analyzed": None}
            if args.breakdown:
                result["breakdown"] = await breakdown(args, core, engine, url, schema, minted.key)
            return result

        t0 = time.perf_counter()
        rows = campaign_rows(tenant_id, args.campaigns, args.seed, datetime.now(UTC))
        gen_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        async with engine.begin() as conn:
            for start in range(0, len(rows), args.chunk):
                await conn.execute(insert(table), rows[start : start + args.chunk])
        insert_s = time.perf_counter() - t1
        del rows
        analyze = args.analyze == "on" or (args.analyze == "auto" and backend == "postgresql")
        t2 = time.perf_counter()
        if backend == "postgresql":
            async with engine.connect() as conn:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                if analyze:
                    await conn.execute(text("VACUUM ANALYZE campaigns"))
                    await conn.execute(text("VACUUM ANALYZE api_keys"))
                    await conn.execute(text("VACUUM ANALYZE tenants"))
        else:
            async with engine.begin() as conn:
                if analyze:
                    await conn.execute(text("ANALYZE"))
            async with engine.connect() as conn:
                await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        analyze_s = time.perf_counter() - t2
        async with engine.connect() as conn:
            count = await conn.scalar(select(func.count()).select_from(table))
        if count != args.campaigns:
            raise SystemExit(f"seeded {count} campaigns, expected {args.campaigns}")
        seed_s = gen_s + insert_s + analyze_s
        log(
            f"seeded {count} campaigns in {seed_s:.2f}s (generate {gen_s:.2f}s, insert "
            f"{insert_s:.2f}s, analyze {analyze_s:.2f}s{'' if analyze else ' skipped'})"
        )
        result = {"key": minted.key, "tenant_id": tenant_id, "seed_s": seed_s, "analyzed": analyze}
        if args.breakdown:
            result["breakdown"] = await breakdown(args, core, engine, url, schema, minted.key)
        return result
    finally:
        await engine.dispose()


# ----------------------------------------------------------------------------- request mix


def build_mix(
    n: int, only: set[str] | None
) -> list[tuple[str, int, Callable[[random.Random], dict[str, Any]]]]:
    pages = max(1, math.ceil(n / 20))
    deep_mid = max(1, round(pages * 0.4))
    deep_end = max(1, pages - 1)
    statuses = [s for s, _ in STATUSES]
    types = [t for t, _ in TYPES]
    mix: list[tuple[str, int, Callable[[random.Random], dict[str, Any]]]] = [
        ("first", 20, lambda r: {"page": 1, "limit": 20}),
        ("page_n", 8, lambda r: {"page": r.randint(2, min(50, pages)), "limit": 20}),
        ("status", 12, lambda r: {"status": r.choice(statuses)}),
        ("type", 10, lambda r: {"type": r.choice(types)}),
        ("search", 10, lambda r: {"search": r.choice(SEARCH_WORDS)}),
        ("sort_created", 6, lambda r: {"sort": "-createdAt", "page": r.randint(1, min(5, pages))}),
        ("sort_name", 8, lambda r: {"sort": "name"}),
        ("sort_updated", 8, lambda r: {"sort": "-updatedAt"}),
        (f"deep_p{deep_mid}", 4, lambda r: {"page": deep_mid, "limit": 20}),
        (f"deep_p{deep_end}", 4, lambda r: {"page": deep_end, "limit": 20}),
    ]
    if only:
        aliases = {"deep_mid": mix[8][0], "deep_end": mix[9][0]}
        wanted = {aliases.get(k, k) for k in only}
        unknown = wanted - {k for k, _, _ in mix}
        if unknown:
            raise SystemExit(f"unknown --kinds {sorted(unknown)}; known: {[k for k, _, _ in mix]}")
        mix = [m for m in mix if m[0] in wanted]
    return mix


class Picker:
    def __init__(self, mix: list[tuple[str, int, Callable[[random.Random], dict[str, Any]]]]):
        self.names = [k for k, _, _ in mix]
        self.weights = [w for _, w, _ in mix]
        self.makers = {k: f for k, _, f in mix}

    def pick(self, rng: random.Random) -> tuple[str, str]:
        kind = rng.choices(self.names, weights=self.weights)[0]
        return kind, ENDPOINT + "?" + urlencode(self.makers[kind](rng))


# ---------------------------------------------------------------------- in-process breakdown


async def breakdown(
    args: argparse.Namespace, core: Any, engine: Any, url: str, schema: str | None, key: str
) -> dict[str, Any]:
    """Per kind: median cost of each stage of the route, run in-process without HTTP."""
    from sqlalchemy import event

    from api.campaign_render import campaign_json
    from api.campaign_schemas import CampaignListQuery
    from api.envelope import dumps
    from api.schemas import pagination
    from core import campaigns as service
    from core.auth import Authenticator

    statements: list[tuple[str, Any, float]] = []

    def before(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        conn.info["bench_t0"] = time.perf_counter()

    def after(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        statements.append((statement, params, time.perf_counter() - conn.info.pop("bench_t0")))

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    event.listen(engine.sync_engine, "after_cursor_execute", after)
    raw = await RawDriver.open(url, schema)
    mix = build_mix(args.campaigns, set(args.kinds.split(",")) if args.kinds else None)
    authenticator = Authenticator(core)
    report: dict[str, Any] = {}
    try:
        # Auth: a cache miss costs a SELECT + UPDATE api_keys + COMMIT; hits are a dict lookup.
        miss, hit = [], []
        for _ in range(args.breakdown):
            authenticator.forget()
            t0 = time.perf_counter()
            actor = await authenticator.authenticate(key)
            miss.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            await authenticator.authenticate(key)
            hit.append(time.perf_counter() - t0)
        assert actor is not None
        report["auth"] = {"miss_ms": ms(median(miss)), "hit_us": round(median(hit) * 1e6, 1)}
        rng = random.Random(args.seed)
        for kind, _, make in mix:
            stages: dict[str, list[float]] = defaultdict(list)
            plans: list[str] = []
            for rep in range(args.breakdown):
                params = {k: str(v) for k, v in make(rng).items()}
                statements.clear()
                t0 = time.perf_counter()
                async with core.uow() as uow:
                    t1 = time.perf_counter()
                    query = CampaignListQuery.model_validate(params)
                    t2 = time.perf_counter()
                    page = await service.list_campaigns(
                        uow,
                        actor,
                        status=query.status,
                        type_=query.type,
                        search=query.search,
                        sort=query.sort,
                        page=query.page,
                        limit=query.limit,
                    )
                    t3 = time.perf_counter()
                    sql = list(statements)
                    rendered = [campaign_json(c) for c in page.items]
                    t4 = time.perf_counter()
                    dumped = {
                        "campaigns": rendered,
                        "pagination": pagination(query.page, query.limit, page.total).model_dump(
                            by_alias=True
                        ),
                    }
                    t5 = time.perf_counter()
                    body = dumps({"success": True, "data": dumped})
                    t6 = time.perf_counter()
                t7 = time.perf_counter()
                count_sql = [s for s in sql if "count(" in s[0].lower()]
                page_sql = [s for s in sql if "count(" not in s[0].lower()]
                sa_sql = sum(s[2] for s in sql)
                stages["parse_query"].append(t2 - t1)
                stages["sa_count_sql"].append(sum(s[2] for s in count_sql))
                stages["sa_page_sql"].append(sum(s[2] for s in page_sql))
                stages["orm_overhead"].append((t3 - t2) - sa_sql)
                stages["render_pydantic"].append(t4 - t3)
                stages["model_dump"].append(t5 - t4)
                stages["orjson"].append(t6 - t5)
                stages["uow_open"].append(t1 - t0)
                stages["commit_close"].append(t7 - t6)
                stages["total"].append(t7 - t0)
                # The very same SQL on a bare driver connection: the database's own cost.
                raw_count = raw_page = 0.0
                for statement, sql_params, _ in sql:
                    elapsed = await raw.time(statement, sql_params)
                    if "count(" in statement.lower():
                        raw_count += elapsed
                    else:
                        raw_page += elapsed
                stages["raw_count_sql"].append(raw_count)
                stages["raw_page_sql"].append(raw_page)
                if rep == 0:
                    for statement, sql_params, _ in sql:
                        plans.append(await raw.plan(statement, sql_params))
                    stages["_rows"].append(len(page.items))
                    stages["_bytes"].append(len(body))
                    stages["_total_rows"].append(page.total)
            row = {name: ms(median(v)) for name, v in stages.items() if not name.startswith("_")}
            row["rows"] = stages["_rows"][0]
            row["body_kb"] = round(stages["_bytes"][0] / 1024, 1)
            row["total_matching"] = stages["_total_rows"][0]
            report[kind] = row
            log(f"--- breakdown {kind}: " + json.dumps(row))
            for plan in plans:
                log("    plan: " + plan.replace("\n", "\n          "))
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", before)
        event.remove(engine.sync_engine, "after_cursor_execute", after)
        await raw.close()
    print_breakdown(report)
    return report


class RawDriver:
    """A bare sqlite3 / asyncpg connection to replay captured SQL without SQLAlchemy."""

    def __init__(self, kind: str, conn: Any) -> None:
        self.kind, self.conn = kind, conn

    @classmethod
    async def open(cls, url: str, schema: str | None) -> RawDriver:
        if url.startswith("sqlite"):
            import sqlite3

            conn = sqlite3.connect(url.split(":///", 1)[-1])
            conn.execute("PRAGMA cache_size=-65536")
            return cls("sqlite", conn)
        import asyncpg
        from sqlalchemy.engine import make_url

        u = make_url(url)
        conn = await asyncpg.connect(
            host=u.host,
            port=u.port,
            user=u.username,
            password=u.password,
            database=u.database,
            server_settings={"search_path": schema} if schema else None,
        )
        return cls("pg", conn)

    async def time(self, statement: str, params: Any) -> float:
        t0 = time.perf_counter()
        if self.kind == "sqlite":
            self.conn.execute(statement, params).fetchall()
        else:
            await self.conn.fetch(statement, *params)
        return time.perf_counter() - t0

    async def plan(self, statement: str, params: Any) -> str:
        if self.kind == "sqlite":
            rows = self.conn.execute("EXPLAIN QUERY PLAN " + statement, params).fetchall()
            return " | ".join(r[-1] for r in rows) + "   <- " + " ".join(statement.split())[:160]
        rows = await self.conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + statement, *params)
        return "\n".join(r[0] for r in rows)

    async def close(self) -> None:
        if self.kind == "sqlite":
            self.conn.close()
        else:
            await self.conn.close()


def print_breakdown(report: dict[str, Any]) -> None:
    cols = [
        "total",
        "raw_count_sql",
        "sa_count_sql",
        "raw_page_sql",
        "sa_page_sql",
        "orm_overhead",
        "render_pydantic",
        "model_dump",
        "orjson",
        "parse_query",
        "uow_open",
        "commit_close",
    ]
    log(f"auth: {report.get('auth')}")
    log("median ms per stage (in-process, no HTTP, sequential):")
    log(f"{'kind':<14}" + "".join(f"{c[:13]:>14}" for c in cols) + f"{'rows':>6}{'KB':>6}")
    for kind, row in report.items():
        if kind == "auth":
            continue
        log(
            f"{kind:<14}"
            + "".join(f"{row[c]:>14.3f}" for c in cols)
            + f"{row['rows']:>6}{row['body_kb']:>6}"
        )


# ----------------------------------------------------------------------------------- server


def serve_main(args: argparse.Namespace) -> None:
    """The --serve mode: the service's REST app on 127.0.0.1:<free port> until SIGTERM."""
    import logging

    _die_with_parent()
    logging.basicConfig(level=logging.WARNING, format="server %(levelname)s %(name)s: %(message)s")
    if args.loop == "uvloop":
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(serve(args))
    else:
        asyncio.run(serve(args))


def _die_with_parent() -> None:
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:
            os._exit(1)


async def serve(args: argparse.Namespace) -> None:
    from aiohttp import web

    from api.app import create_api_app
    from core.context import CoreContext
    from storage.db import create_session_factory

    engine = make_engine(args.database_url, args.schema)
    app = create_api_app(CoreContext(session_factory=create_session_factory(engine)))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", args.port, reuse_port=args.reuse_port or None)
    await site.start()
    port = runner.addresses[0][1]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    profiler = None
    if args.server_cprofile:
        import cProfile

        profiler = cProfile.Profile()
        loop.add_signal_handler(signal.SIGUSR1, profiler.enable)
        loop.add_signal_handler(signal.SIGUSR2, profiler.disable)
    gc.freeze()  # as the service does once started (runtime.py)
    print(f"READY {port}", flush=True)
    try:
        await stop.wait()
    finally:
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.server_cprofile)
        await runner.cleanup()
        await engine.dispose()


class Server:
    """The server processes: `workers` of them share one port (SO_REUSEPORT), like HTTP_WORKERS."""

    def __init__(self, args: argparse.Namespace, url: str, schema: str | None, workers: int):
        self.procs = [_ServerProcess(args, url, schema, 0, workers > 1)]
        self.port, self.pid = self.procs[0].port, self.procs[0].pid
        self.procs += [
            _ServerProcess(args, url, schema, self.port, True) for _ in range(workers - 1)
        ]

    def cpu_seconds(self) -> float:
        """user+system CPU of every server process so far."""
        return sum(proc.cpu_seconds() for proc in self.procs)

    def signal(self, sig: int) -> None:
        for proc in self.procs:
            proc.signal(sig)

    def stop(self) -> None:
        for proc in self.procs:
            proc.stop()


class _ServerProcess:
    """One server subprocess."""

    def __init__(
        self, args: argparse.Namespace, url: str, schema: str | None, port: int, reuse: bool
    ) -> None:
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--serve",
            "--database-url",
            url,
            "--loop",
            args.loop,
            "--port",
            str(port),
        ]
        if reuse:
            cmd.append("--reuse-port")
        if schema:
            cmd += ["--schema", schema]
        if args.server_cprofile:
            cmd += ["--server-cprofile", str(Path(args.server_cprofile).resolve())]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line.startswith("READY "):
            self.stop()
            raise SystemExit(f"server did not start (got {line!r})")
        self.port = int(line.split()[1])
        self.pid = self.proc.pid

    def cpu_seconds(self) -> float:
        """user+system CPU of the server process (all threads) so far."""
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(sig)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                log("server ignored SIGTERM; killing it")
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()


# ----------------------------------------------------------------------------------- client


class Stats:
    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.samples: list[str] = []

    def error(self, kind: str, what: str) -> None:
        self.errors[kind] += 1
        if len(self.samples) < 5:
            self.samples.append(f"{kind}: {what}")


def validate(kind: str, status: int, body: bytes, limit: int = 20) -> str | None:
    """None when the body is a proper successful list page, else what is wrong."""
    import orjson

    if status != 200:
        return f"HTTP {status}: {body[:200]!r}"
    doc = orjson.loads(body)
    if doc.get("success") is not True:
        return f"success is not true: {body[:200]!r}"
    data = doc["data"]
    campaigns, paging = data["campaigns"], data["pagination"]
    if not isinstance(campaigns, list) or len(campaigns) > limit or paging["total"] <= 0:
        return f"unexpected page: {len(campaigns)} rows, pagination {paging}"
    if kind != "search" and not campaigns:
        return f"empty page: pagination {paging}"
    return None


async def drive(
    base: str, key: str, picker: Picker, concurrency: int, seconds: float, seed: int, full: bool
) -> tuple[Stats, float]:
    import aiohttp

    stats = Stats()
    headers = {"Authorization": f"Bearer {key}"}
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency)
    timeout = aiohttp.ClientTimeout(total=60)
    ok_prefix = b'{"success":true'

    async with aiohttp.ClientSession(
        base, connector=connector, timeout=timeout, headers=headers
    ) as s:
        deadline = time.perf_counter() + seconds

        async def worker(i: int) -> None:
            rng = random.Random(seed * 1000 + i)
            while time.perf_counter() < deadline:
                kind, path = picker.pick(rng)
                t0 = time.perf_counter()
                try:
                    async with s.get(path) as resp:
                        body = await resp.read()
                        status = resp.status
                except Exception as exc:  # every failure is counted
                    stats.error(kind, f"{type(exc).__name__}: {exc}")
                    continue
                elapsed = time.perf_counter() - t0
                if full:
                    problem = validate(kind, status, body)
                elif status != 200 or not body.startswith(ok_prefix):
                    problem = f"HTTP {status}: {body[:200]!r}"
                else:
                    problem = None
                if problem:
                    stats.error(kind, problem)
                else:
                    stats.latency[kind].append(elapsed)

        started = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(concurrency)))
        return stats, time.perf_counter() - started


def run_client(coro: Any) -> Any:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)


def start_py_spy(args: argparse.Namespace, pid: int) -> subprocess.Popen[bytes] | None:
    if not args.py_spy:
        return None
    exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(exe).exists():
        raise SystemExit("py-spy not found: .venv/bin/pip install py-spy")
    fmt = {".svg": "flamegraph", ".json": "speedscope"}.get(Path(args.py_spy).suffix, "raw")
    cmd = [
        exe,
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(max(1, int(args.duration))),
        "--rate",
        str(args.py_spy_rate),
        "--format",
        fmt,
        "--output",
        args.py_spy,
        "--nonblocking",
    ]
    if args.py_spy_idle:
        cmd.append("--idle")
    if args.py_spy_gil:
        cmd.append("--gil")
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=sys.stderr)


# ------------------------------------------------------------------------------------- main


def host_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs from /proc/stat."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]
    return float(sum(values) - idle), float(sum(values))


def wait_for_quiet_host(limit: float, threshold: float = 25.0) -> None:
    """On a shared machine: wait (up to `limit` s) for a 2 s window with host CPU < threshold %."""
    deadline = time.monotonic() + limit
    busy = 100.0
    while time.monotonic() < deadline:
        a = host_cpu()
        time.sleep(2)
        b = host_cpu()
        busy = 100 * (b[0] - a[0]) / max(1e-9, b[1] - a[1])
        if busy < threshold:
            log(f"host quiet ({busy:.0f}% busy); measuring")
            return
    log(f"host still {busy:.0f}% busy after {limit:.0f}s; measuring anyway")


def median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else 0.0


def pct(ordered: list[float], q: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--campaigns", type=int, default=100_000, help="rows to seed (100000)")
    p.add_argument("--duration", type=float, default=20, help="measured seconds of load (20)")
    p.add_argument("--concurrency", type=int, default=16, help="concurrent client requests (16)")
    p.add_argument("--warmup", type=float, default=3, help="unmeasured seconds of load first (3)")
    p.add_argument(
        "--database-url",
        help="sqlite+aiosqlite:///path (default: fresh file in a temp dir) or "
        "postgresql+asyncpg://... (a private schema is created and dropped)",
    )
    p.add_argument(
        "--loop",
        choices=("asyncio", "uvloop"),
        default="asyncio",
        help="server event loop; the service itself runs stock asyncio (default)",
    )
    p.add_argument("--kinds", help="comma-separated subset of request kinds")
    p.add_argument(
        "--analyze",
        choices=("auto", "on", "off"),
        default="auto",
        help="ANALYZE after seeding (auto: PostgreSQL only)",
    )
    p.add_argument(
        "--breakdown",
        type=int,
        default=0,
        metavar="N",
        help="in-process per-stage timing, N runs per kind (stderr)",
    )
    p.add_argument("--py-spy", metavar="PATH", help="py-spy record the server while measuring")
    p.add_argument("--py-spy-rate", type=int, default=250)
    p.add_argument("--py-spy-idle", action="store_true", help="include idle thread samples")
    p.add_argument("--py-spy-gil", action="store_true", help="only sample the GIL holder")
    p.add_argument("--server-cprofile", metavar="PATH", help="cProfile the server while measuring")
    p.add_argument(
        "--quiet-wait",
        type=float,
        default=0,
        metavar="S",
        help="shared machine: wait up to S seconds for an idle host before measuring",
    )
    p.add_argument("--seed", type=int, default=42, help="RNG seed of data and request mix")
    p.add_argument("--chunk", type=int, default=5000, help="rows per INSERT executemany")
    p.add_argument("--keep-db", action="store_true", help="keep the SQLite file / PG schema")
    p.add_argument(
        "--reuse",
        action="store_true",
        help="skip seeding: the database already holds --campaigns rows (kept earlier)",
    )
    p.add_argument("--pg-schema", help="use this existing PostgreSQL schema (kept; implies reuse)")
    p.add_argument(
        "--workers",
        default="1",
        help="server process counts to measure one after the other, e.g. 1,2 (one JSON line "
        "each): N processes share the port with SO_REUSEPORT, as HTTP_WORKERS=N does",
    )
    p.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--schema", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def _interrupt(signum: int, frame: Any) -> None:
    """SIGTERM to the bench behaves like Ctrl-C, so the finally-blocks clean up."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.pg_schema:
        args.reuse = True
    if args.serve:
        serve_main(args)
        return
    signal.signal(signal.SIGTERM, _interrupt)
    tmpdir = schema = None
    url = args.database_url
    if not url:
        tmpdir = tempfile.mkdtemp(prefix="bench_api_list_")
        url = f"sqlite+aiosqlite:///{tmpdir}/bench.db"
    backend = backend_of(url)
    keep = args.keep_db
    if backend == "postgresql" and args.pg_schema:
        schema, keep = args.pg_schema, True  # an existing schema is never dropped
    elif backend == "postgresql":
        schema = f"bench_api_list_{uuid.uuid4().hex[:10]}"
        asyncio.run(pg_admin(url, f'CREATE SCHEMA "{schema}"'))
    try:
        log(f"backend {backend}: {url}" + (f" schema {schema}" if schema else ""))
        prepared = asyncio.run(prepare(args, url, schema))
        if args.duration <= 0:
            return
        for workers in [int(n) for n in args.workers.split(",")]:
            server = Server(args, url, schema, workers)
            try:
                result = measure(args, backend, prepared, server, workers)
            finally:
                server.stop()
            print(json.dumps(result), flush=True)
    finally:
        if keep:
            log(f"kept database: {url}" + (f" schema {schema}" if schema else ""))
        else:
            if schema:
                asyncio.run(pg_admin(url, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            if tmpdir:
                shutil.rmtree(tmpdir, ignore_errors=True)


def measure(
    args: argparse.Namespace,
    backend: str,
    prepared: dict[str, Any],
    server: Server,
    workers: int,
) -> dict[str, Any]:
    """Warm up, then load the running server for --duration seconds; the result line."""
    base = f"http://127.0.0.1:{server.port}"
    log(f"{workers} server process(es) on {base} (loop {args.loop}); warmup {args.warmup}s")
    picker = Picker(build_mix(args.campaigns, set(args.kinds.split(",")) if args.kinds else None))
    key = prepared["key"]
    if args.quiet_wait > 0:
        wait_for_quiet_host(args.quiet_wait)
    if args.warmup > 0:
        warm, _ = run_client(drive(base, key, picker, args.concurrency, args.warmup, 7, True))
        n_warm = sum(len(v) for v in warm.latency.values())
        log(f"warmup: {n_warm} ok, {sum(warm.errors.values())} errors {warm.samples}")
    spy = start_py_spy(args, server.pid)
    if args.server_cprofile:
        server.signal(signal.SIGUSR1)
    load0, host0 = os.getloadavg()[0], host_cpu()
    cpu0, client0, wall0 = server.cpu_seconds(), time.process_time(), time.perf_counter()
    stats, elapsed = run_client(
        drive(base, key, picker, args.concurrency, args.duration, args.seed, False)
    )
    cpu1, client1, wall1 = server.cpu_seconds(), time.process_time(), time.perf_counter()
    host1 = host_cpu()
    if args.server_cprofile:
        server.signal(signal.SIGUSR2)
    if spy is not None:
        try:
            spy.wait(timeout=args.duration + 30)
        except subprocess.TimeoutExpired:
            spy.terminate()
            spy.wait()
        log(f"py-spy profile written to {args.py_spy}")
    if stats.samples:
        log(f"error samples: {stats.samples}")
    result = summarize(args, backend, prepared, stats, elapsed)
    wall = wall1 - wall0
    n = result["requests"]
    result.update(
        workers=workers,
        loop=args.loop,
        duration_s=round(elapsed, 2),
        server_cpu_pct=round(100 * (cpu1 - cpu0) / wall, 1),
        server_cpu_ms_per_req=round(1000 * (cpu1 - cpu0) / n, 3) if n else None,
        client_cpu_pct=round(100 * (client1 - client0) / wall, 1),
        # Whole machine (100 = every core busy) and the 1-min load average before the
        # measured phase: high values with low server+client CPU mean outside interference.
        host_cpu_busy_pct=round(100 * (host1[0] - host0[0]) / max(1e-9, host1[1] - host0[1]), 1),
        cores=os.cpu_count(),
        loadavg_before=round(load0, 2),
        analyzed=prepared["analyzed"],
        targets={
            "p99_ms": TARGET_P99_MS,
            "req_per_s": TARGET_RPS,
            "met": result["p99_ms"] <= TARGET_P99_MS and result["req_per_s"] >= TARGET_RPS,
        },
    )
    if "breakdown" in prepared:
        result["breakdown_ms"] = prepared["breakdown"]
    return result


def summarize(
    args: argparse.Namespace, backend: str, prepared: dict[str, Any], stats: Stats, elapsed: float
) -> dict[str, Any]:
    everything = sorted(v for values in stats.latency.values() for v in values)
    errors = sum(stats.errors.values())
    by_kind = {}
    for kind in sorted(set(stats.latency) | set(stats.errors)):
        values = sorted(stats.latency.get(kind, []))
        by_kind[kind] = {
            "p50_ms": ms(pct(values, 0.50)),
            "p90_ms": ms(pct(values, 0.90)),
            "p99_ms": ms(pct(values, 0.99)),
            "max_ms": ms(values[-1]) if values else 0.0,
            "n": len(values),
            "errors": stats.errors.get(kind, 0),
        }
    total = len(everything) + errors
    return {
        "bench": "api_list",
        "backend": backend,
        "campaigns": args.campaigns,
        "concurrency": args.concurrency,
        "requests": total,
        "errors": errors,
        "req_per_s": round(len(everything) / elapsed, 1) if elapsed else 0.0,
        "p50_ms": ms(pct(everything, 0.50)),
        "p90_ms": ms(pct(everything, 0.90)),
        "p99_ms": ms(pct(everything, 0.99)),
        "max_ms": ms(everything[-1]) if everything else 0.0,
        "by_kind": by_kind,
        "seed_s": round(prepared["seed_s"], 2),
    }


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
