"""Helpers of bench/schedules.py: databases and set-based seeding of recurring schedules."""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_db import Database as BenchDatabase  # noqa: E402

ZONES = (
    "UTC", "Europe/London", "Europe/Berlin", "Europe/Moscow", "America/New_York",
    "America/Los_Angeles", "America/Sao_Paulo", "America/St_Johns", "Asia/Tokyo",
    "Asia/Kolkata", "Asia/Kathmandu", "Asia/Dubai", "Australia/Sydney", "Pacific/Auckland",
    "Pacific/Chatham", "Africa/Cairo",
)  # fmt: skip
LANGUAGES = ("en", "de", "fr", "es", "ru")
CHUNK = 1000


def log(message: str) -> None:
    """Progress goes to stderr; stdout carries only the JSON lines."""
    print(message, file=sys.stderr, flush=True)


class Database(BenchDatabase):
    """The bench database, named bench_sched_*."""

    def __init__(self, url: str | None, schema: str | None = None) -> None:
        super().__init__(url, schema, prefix="bench_sched")


def recurring_block(rng: random.Random, start: datetime) -> dict[str, Any]:
    """A varied `recurring` schedule block (daily, weekly, monthly, custom; many zones)."""
    pattern = rng.choices(("daily", "weekly", "monthly", "custom"), (35, 30, 20, 15))[0]
    block: dict[str, Any] = {
        "pattern": pattern,
        "timezone": rng.choice(ZONES),
        # Nothing fires by itself during the bench: the first run lies two days ahead.
        "startDateTime": start.isoformat(),
    }
    if pattern == "custom":
        unit = rng.choice(("minutes", "hours", "days"))
        interval = {"minutes": (30, 60, 90), "hours": (2, 6, 12), "days": (1, 2, 3, 7)}[unit]
        block["frequency"] = {"interval": rng.choice(interval), "unit": unit}
    else:
        block["timeOfDay"] = f"{rng.randrange(24):02d}:{rng.choice((0, 15, 30, 45)):02d}"
    if pattern == "weekly":
        block["daysOfWeek"] = sorted(rng.sample(range(7), rng.randint(1, 3)))
    if pattern == "monthly":
        block["daysOfMonth"] = sorted(rng.sample(range(1, 32), rng.randint(1, 2)))
    if rng.random() < 0.05:
        block["maxOccurrences"] = 1000
    if rng.random() < 0.05:
        block["endDate"] = (start + timedelta(days=365)).isoformat()
    return block


def _campaign_target(rng: random.Random, segments: list[int]) -> dict[str, Any]:
    kind = rng.random()
    first = f"seg_{rng.choice(segments)}"
    if kind < 0.85:
        return {"segments": [first]}
    if kind < 0.95:
        rule = {"field": "languageCode", "op": "in", "value": ["en", "de", "fr"]}
        return {"segments": [first], "filters": {"all": [rule]}}
    return {"segments": [first, f"seg_{rng.choice(segments)}"]}


async def _insert(conn: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        await conn.execute(table.insert(), rows[start : start + CHUNK])


async def seed(db: Database, schedules: int, subscribers: int, segments: int, seed: int) -> dict:
    """Subscribers, static segments, one campaign and one recurring schedule per campaign."""
    from sqlalchemy import select, text

    from core.auth import default_tenant
    from core.context import CoreContext
    from core.scheduling.parsing import parse_schedule
    from storage.db import create_session_factory
    from storage.models import Campaign, Segment
    from storage.models_scheduling import Schedule

    rng = random.Random(seed)
    engine = db.engine()
    started = time.perf_counter()
    try:
        core = CoreContext(session_factory=create_session_factory(engine))
        async with core.uow() as uow:
            tenant_id = (await default_tenant(uow)).id
        now = datetime.now(UTC).replace(microsecond=0)
        langs = "CASE i % 5 " + " ".join(f"WHEN {k} THEN '{v}'" for k, v in enumerate(LANGUAGES))
        values = (
            f"{tenant_id}, 500000000 + i, 500000000 + i, 'User' || i, 'user' || i, "
            f"{langs} END, '{{}}', 'active', 'bench'"
        )
        columns = (
            "tenant_id, telegram_id, chat_id, first_name, username, language_code, attributes, "
            "status, source, created_at, updated_at"
        )
        if db.backend == "sqlite":
            stamp = "'2024-01-01 00:00:00.000000'"
            numbers = f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {subscribers}) "  # noqa: E501
            subs_sql = f"INSERT INTO subscribers ({columns}) {numbers}SELECT {values}, {stamp}, {stamp} FROM n"  # noqa: E501
        else:
            subs_sql = (
                f"INSERT INTO subscribers ({columns}) SELECT {values}, now(), now() "
                f"FROM generate_series(1, {subscribers}) AS i"
            )
        async with engine.begin() as conn:
            await conn.execute(text(subs_sql))
            await _insert(conn, Segment.__table__, [
                {"tenant_id": tenant_id, "name": f"Bench segment {i}", "kind": "static",
                 "created_at": now, "updated_at": now} for i in range(segments)
            ])  # fmt: skip
            # Every segment gets subscribers/segments members: id modulo the segment count.
            await conn.execute(text(
                "INSERT INTO segment_members (segment_id, subscriber_id) SELECT g.id, s.id "
                f"FROM segments g JOIN subscribers s ON s.id % {segments} = g.id % {segments}"
            ))  # fmt: skip
            segment_ids = list(await conn.scalars(select(Segment.id).order_by(Segment.id)))
            await _insert(conn, Campaign.__table__, [
                {"tenant_id": tenant_id, "name": f"Recurring tips {i}", "type": "message",
                 "status": "draft", "messages": [{"content": f"Tip #{i} for {{first_name}}"}],
                 "target_audience": _campaign_target(rng, segment_ids), "target_count": 0,
                 "created_by": "bench:schedules", "created_at": now, "updated_at": now}
                for i in range(schedules)
            ])  # fmt: skip
            campaign_ids = list(await conn.scalars(select(Campaign.id).order_by(Campaign.id)))
            first = now + timedelta(days=2)
            rows = []
            for campaign_id in campaign_ids:
                block = {"recurring": recurring_block(rng, first)}
                parsed = parse_schedule("recurring", block, now)  # the API's validation
                own = rng.random() < 0.1
                rows.append({
                    "tenant_id": tenant_id, "campaign_id": campaign_id, "name": "Bench",
                    "type": "recurring", "status": "active", "schedule": block,
                    "target_audience": {"type": "segment",
                                        "segmentId": f"seg_{rng.choice(segment_ids)}"}
                    if own else None,
                    "delivery_settings": {"priority": rng.choice(("low", "normal", "high"))},
                    "next_run_at": parsed.first_run(now), "run_count": 0,
                    "created_by": "bench:schedules", "created_at": now, "updated_at": now,
                })  # fmt: skip
            await _insert(conn, Schedule.__table__, rows)
        async with engine.connect() as conn:
            if db.backend == "sqlite":
                await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            else:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text("VACUUM ANALYZE"))
        seconds = time.perf_counter() - started
        sizes = await audience_sizes(core, tenant_id, rng)
        return {"tenant_id": tenant_id, "seed_s": round(seconds, 2), "audience_sample": sizes}
    finally:
        await engine.dispose()


async def audience_sizes(core: Any, tenant_id: int, rng: random.Random) -> dict[str, int]:
    """Resolve a sample of schedules' audiences through the core (proves the seed is valid)."""
    from sqlalchemy import select

    from core.audience import count_audience
    from core.scheduling.audience import schedule_spec
    from core.scheduling.service import target_of
    from storage.models import Campaign
    from storage.models_scheduling import Schedule

    sizes = []
    async with core.uow() as uow:
        ids = list(await uow.session.scalars(select(Schedule.id)))
        for schedule_id in rng.sample(ids, min(30, len(ids))):
            schedule = await uow.session.get(Schedule, schedule_id)
            campaign = await uow.session.get(Campaign, schedule.campaign_id)
            spec = await schedule_spec(
                uow, tenant_id, target_of(schedule), campaign.target_audience
            )
            sizes.append(await count_audience(uow, spec))
    sizes.sort()
    return {"min": sizes[0], "median": sizes[len(sizes) // 2], "max": sizes[-1]}
